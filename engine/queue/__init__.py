"""The run queue: runs and sweeps waiting in a workspace's ``queue.json``, started in order.

- ``RunQueue``: the persisted queue (add, remove, move, pause, settings, claim and finish
  entries), safe to share between the app, ``netyard queue`` commands and runners in other
  processes; entries whose runner died go back in the queue when it is next read.
- ``QueueEntry``, ``QueueState``: plain data; ``entry_title`` names an entry.
- ``QueueRunner``: runs the queue headless (``netyard queue start``), with the events
  ``EntryStarted`` and ``EntryEnded`` besides the entries' own; ``exclusive_runner`` keeps it
  to one runner per queue.
- How many entries run at once and where each run goes: ``engine.worker``'s ``jobs_at_once``
  and ``place``, for the CLI runner and the app's alike.
"""

from engine.queue._entries import ENDED_STATES, STATES, QueueEntry, QueueState, entry_title
from engine.queue._owner import this_process
from engine.queue._runner import EntryEnded, EntryStarted, QueueRunner, QueueSummary
from engine.queue._runner_lock import exclusive_runner
from engine.queue._store import INTERRUPTED, RunQueue, queue_path

__all__ = [
    "ENDED_STATES",
    "EntryEnded",
    "EntryStarted",
    "INTERRUPTED",
    "QueueEntry",
    "QueueRunner",
    "QueueState",
    "QueueSummary",
    "RunQueue",
    "STATES",
    "entry_title",
    "exclusive_runner",
    "queue_path",
    "this_process",
]
