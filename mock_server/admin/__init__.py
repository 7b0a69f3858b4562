"""The admin API under ``/__admin/`` (``api``, on the request core), its guard and its page:
inspect and change a running mock (WireMock's idea), and fire conversions through it."""
