"""A mock of Everflow's partner postback API."""

__all__: list[str] = []
