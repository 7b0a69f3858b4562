"""Firing postbacks as Everflow would: a conversion in, each postback that applies rendered
and delivered to its receiver, every delivery journaled.
"""
