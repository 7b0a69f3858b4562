"""Every failure's answer carries what the spec said of the request and of the answer."""

from __future__ import annotations

from mock_server import MockConfig, create_app
from mock_server.core.errors import ApiError, SpecBreach
from mock_server.core.reply import Verdict
from mock_server.pipeline.registry import get_pipeline


def test_an_answer_that_broke_the_spec_is_the_answer_s_fault_not_the_request_s() -> None:
    pipeline = get_pipeline(create_app(MockConfig()))
    reply = pipeline.failed(SpecBreach("$.pixel_status: 'paused' is not one of the enum"))
    assert reply.status == 500
    assert reply.verdict == Verdict(
        "valid", "invalid", "$.pixel_status: 'paused' is not one of the enum"
    )


def test_an_operation_s_own_error_judges_the_request_valid() -> None:
    pipeline = get_pipeline(create_app(MockConfig()))
    assert pipeline.failed(ApiError(404)).verdict == Verdict("valid", "valid")
    assert pipeline.failed(ApiError(429)).verdict == Verdict(
        "unchecked", "valid", "answered 429 before the spec's checks"
    )
