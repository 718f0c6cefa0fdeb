"""A run's description (MLflow's note, which the MLflow UI and the runs browser show and let
the user edit) is shared between the user and the summary Netyard writes when a run ends.

The summary never takes the place of what the user wrote: it goes below it, under a heading.
The last summary written is kept in a tag of its own, so a resumed run replaces it rather
than piling a second one below the first.
"""

from __future__ import annotations

NOTE_TAG = "mlflow.note.content"  # what the MLflow UI shows as the run's description
SUMMARY_TAG = "netyard.summary"  # the summary Netyard last wrote into the note
SUMMARY_HEADING = "Netyard's summary:"


def merged_note(current: str, previous_summary: str, summary: str) -> str:
    """The note to write: ``current`` (the note now) without Netyard's earlier summary
    ``previous_summary``, then ``summary``; the summary alone where the user wrote nothing."""
    user = current
    if previous_summary:
        if user.strip() == previous_summary.strip():
            user = ""
        else:
            earlier = f"{SUMMARY_HEADING}\n{previous_summary}"
            if user.rstrip().endswith(earlier):
                user = user.rstrip()[: -len(earlier)]
    user = user.rstrip()
    return f"{user}\n\n{SUMMARY_HEADING}\n{summary}" if user else summary
