from openapi.text import counted, cut, listed


def test_text_within_its_limit_is_kept_whole() -> None:
    assert cut("abc", 3) == "abc"
    assert cut("abc", 3, noted=True) == "abc"


def test_longer_text_is_cut_and_marked() -> None:
    assert cut("abcdef", 3) == "abc..."


def test_a_noted_cut_says_how_long_the_text_was() -> None:
    assert cut("x" * 2048, 4, noted=True) == "xxxx... (2,048 characters, cut)"


def test_more_says_the_text_was_stopped_at_the_limit() -> None:
    assert cut("abcd", 4, more=True) == "abcd... (more than 4 characters, cut)"


def test_a_list_is_cut_to_a_count_and_says_how_many_more() -> None:
    assert listed(["a", "b"], 3) == "a; b"
    assert listed(["a", "b", "c", "d", "e"], 3) == "a; b; c (and 2 more)"
    assert listed(["a", "b", "c"], 2, ", ") == "a, b (and 1 more)"


def test_counted_nouns_are_plural_unless_one() -> None:
    assert [counted(n, "error") for n in (0, 1, 2)] == ["0 errors", "1 error", "2 errors"]
