"""What a running mock knows: the postback store and its index, the request journal, and
``MockState`` that holds them with the clock and rate-limit buckets.
"""
