"""The delivery journal: bounded, cut, waited on."""

from __future__ import annotations

from mock_server.firing.journal import KEPT, TEXT_BYTES, Delivery, DeliveryJournal, cut, wait


def test_the_journal_keeps_the_newest_and_counts_on() -> None:
    journal = DeliveryJournal(2)
    for n in range(3):
        journal.add(Delivery(n, "html", "conversion", state=KEPT))
    assert [entry["pixel_id"] for entry in journal.entries()] == [1, 2]
    assert [entry["id"] for entry in journal.entries()] == [2, 3]
    journal.clear()
    assert journal.entries() == []
    assert journal.add(Delivery(9, "html", "conversion", state=KEPT)).id == 4


def test_long_text_is_cut() -> None:
    assert cut("a" * TEXT_BYTES) == "a" * TEXT_BYTES
    longer = cut("b" * (TEXT_BYTES + 5))
    assert longer.startswith("b" * TEXT_BYTES)
    assert longer == "b" * TEXT_BYTES + f"... ({TEXT_BYTES + 5:,} characters, cut)"


def test_text_rendering_stopped_at_the_bound_is_marked_cut() -> None:
    assert cut("c" * 10) == "c" * 10
    assert cut("c" * 10, more=True) == "c" * 10 + f"... (more than {TEXT_BYTES:,} characters, cut)"


def test_wait_returns_whether_all_ended() -> None:
    pending = Delivery(1, "postback", "conversion")
    assert wait([pending], 0.05) is False
    DeliveryJournal(5).finish(pending, "delivered", 200, 1.0)
    assert wait([pending], 0.05) is True
