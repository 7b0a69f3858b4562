"""The vocabulary every request uses: the mock's configuration and clock, the spec's routes,
``Prefer`` controls, rate-limit buckets, warnings, error messages, queued answers, faults and
the ``Reply`` a front sends. Imports nothing of the mock's other sub-packages.
"""
