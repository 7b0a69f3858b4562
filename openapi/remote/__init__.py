"""Talking to a real Everflow API safely, and judging its answers by the spec.

The one safe client (``client.ContractClient``), the one set of answer checks (``checks``),
the findings they produce and the reports written from them. The contract suite (``contract_tests``), the mock's validating proxy and its
recorder (``mock_server.proxy``) all use these, so none of them carries a copy.

Why here, under ``openapi``: the layering lets ``mock_server`` and ``contract_tests`` both
import ``openapi`` but not each other, and these modules need nothing of the kit but the
spec and its validators. Importing this package costs nothing; httpx and openapi-core load
with ``client`` and ``checks``.
"""
