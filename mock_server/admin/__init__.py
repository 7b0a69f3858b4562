"""The admin API under ``/__admin/``: inspect and change a running mock (WireMock's idea),
and fire conversions through it. Served by Flask, beside the API, never through the pipeline.
"""
