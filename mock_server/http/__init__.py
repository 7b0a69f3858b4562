"""The fronts: what turns bytes on a socket (RSGI for granian) or a WSGI call into a
request for the pipeline and its ``Reply`` back into bytes; and the event loop's helpers.
"""
