"""The kinds of record a data file or recording holds agree with the spec they name."""

from __future__ import annotations

from openapi.operations import find_operation
from openapi.record_kinds import KEYS, KINDS, NEIGHBOURS
from openapi.spec import resolved


def test_each_kind_s_schema_id_field_and_read_are_the_spec_s() -> None:
    for kind in KINDS:
        ref = {"$ref": f"#/components/schemas/{kind.schema}"}
        assert kind.id_field in resolved(ref)["properties"], kind
        operation = find_operation("GET", "/v1" + kind.read.format(605))
        assert operation is not None, kind
        assert resolved(operation.response_schemas[200]) == resolved(ref), kind


def test_the_object_form_lists_postbacks_first_then_what_they_name() -> None:
    assert KEYS == ("postbacks", "offers", "affiliates")
    assert [kind.name for kind in NEIGHBOURS] == ["offer", "affiliate"]
