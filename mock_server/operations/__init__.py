"""The spec's operations, by ``operationId``: one handler each (``table``), what a write body
may hold (``writes``) and what a list filter or search selects (``selection``).
"""
