"""Production in the loop: the validating proxy (``everflow-mock proxy``) and scrubbed
recordings (``everflow-mock record``, ``proxy --record``) the mock serves.

Both send through the contract suite's safe client and judge answers with its checks, from
``openapi.remote``; ``docs/mock-server/proxy.md`` describes them for users.
"""
