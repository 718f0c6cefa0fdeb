"""The run's note is the user's: Netyard's end-of-run summary goes below what they wrote."""

from engine.tracking import SUMMARY_HEADING
from engine.tracking._notes import merged_note


def test_a_run_without_a_note_gets_the_summary_alone():
    assert merged_note("", "", "The network wins.") == "The network wins."


def test_the_users_words_stay_above_the_summary():
    note = merged_note("try a wider window next", "", "The linear model wins.")
    assert note == f"try a wider window next\n\n{SUMMARY_HEADING}\nThe linear model wins."


def test_a_resumed_run_replaces_its_earlier_summary():
    assert merged_note("The linear model wins.", "The linear model wins.", "Now: network.") == (
        "Now: network."
    )
    earlier = merged_note("my idea", "", "The linear model wins.")
    later = merged_note(earlier, "The linear model wins.", "The network wins.")
    assert later == f"my idea\n\n{SUMMARY_HEADING}\nThe network wins."


def test_a_summary_the_user_rewrote_is_theirs():
    note = merged_note("The linear model wins, by a hair.", "The linear model wins.", "New.")
    assert note.startswith("The linear model wins, by a hair.\n\n")
    assert note.endswith("New.")
