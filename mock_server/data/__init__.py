"""Postbacks as data: checked against the spec once (``records``), read from JSON or YAML
files (``datafile``, strict parsers), and the built-in catalogue. Imports nothing of the
mock's other sub-packages.
"""
