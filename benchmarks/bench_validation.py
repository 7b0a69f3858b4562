"""Bodies validated per second: openapi-core and schema_violations against the compiled validator.

Run: python benchmarks/bench_validation.py [--seconds 2]

All on the same factory postbacks in the same run: openapi-core's response validation (a
request and response around each body), ``schema_violations`` (the validator openapi-core
uses, called directly) and ``openapi.fast_validation`` (jsonschema-rs). Then what a
never-seen id costs in dynamic mode (``MockState.generated``: build, check, encode),
against the factory's ``build`` alone.
Goal (issue 11): the validator no longer the bottleneck of a never-seen id.
"""

from __future__ import annotations

import argparse
import json

from openapi_core.testing import MockRequest, MockResponse

from benchmarks.bench_factories import rate
from fixtures import RULES, PostbackFactory
from mock_server import MockConfig, MockState
from openapi import get_openapi, schema_violations
from openapi.fast_validation import is_valid, violations

BATCH = 50  # openapi-core judges about 600 bodies a second: read the clock often


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    seconds = parser.parse_args().seconds

    factory = PostbackFactory(seed=0)
    valid = factory.build_batch(2000)
    invalid = [factory.build_invalid(rule, i + 1) for i, rule in enumerate(list(RULES) * 100)]
    request = MockRequest("http://127.0.0.1", "get", "/v1/networks/pixels/1")
    responses = [
        MockResponse(json.dumps(body).encode(), content_type="application/json")
        for body in valid[:200]
    ]
    openapi = get_openapi()
    is_valid(valid[0])  # compile outside the measurement

    def core(i: int) -> None:
        openapi.validate_response(request, responses[i % len(responses)])

    rows = [
        ("openapi-core validate_response [baseline]", rate(core, seconds, BATCH)),
        (
            "schema_violations, valid bodies",
            rate(lambda i: schema_violations(valid[i % 2000]), seconds, BATCH),
        ),
        ("fast is_valid, valid bodies", rate(lambda i: is_valid(valid[i % 2000]), seconds, BATCH)),
        (
            "schema_violations, invalid bodies",
            rate(lambda i: schema_violations(invalid[i % 1200]), seconds, BATCH),
        ),
        (
            "fast violations, invalid bodies",
            rate(lambda i: violations(invalid[i % 1200]), seconds, BATCH),
        ),
    ]
    state = MockState(MockConfig())
    rows += [
        ("factory build(id) alone", rate(lambda i: factory.build(10**9 + i), seconds, BATCH)),
        (
            "MockState.generated, never-seen ids",
            rate(lambda i: state.generated(0, 10**10 + i), seconds, BATCH),
        ),
    ]
    baseline = rows[0][1]
    print(f"{'what':<44}{'per second':>12}{'vs openapi-core':>17}")
    for label, value in rows:
        print(f"{label:<44}{value:>12,.0f}{value / baseline:>16.1f}x")
    build, generated = rows[-2][1], rows[-1][1]
    print(
        f"a never-seen id costs {1e6 / generated:.0f} us, {build / generated:.2f}x a factory build"
    )
    print("(figures on a shared, loaded machine are provisional)")


if __name__ == "__main__":
    main()
