"""The least value of each id macro a conversion may carry: read by the mock's check of a
conversion (``mock_server.firing.conversion``) and by ``everflow-mock fire``'s options, so
that ``fire`` refuses (exit 2) what the mock would refuse. Imports nothing, so the CLI's
``--help`` stays fast."""

ID_MINIMUMS = {"offer_id": 1, "affiliate_id": 1, "event_id": 0}


def id_rule(name: str) -> str:
    """Why a value of the id macro ``name`` is refused, as the mock and ``fire`` say it."""
    return f"must be a whole number >= {ID_MINIMUMS[name]}"
