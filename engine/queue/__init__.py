"""The run queue: runs and sweeps waiting in a workspace's ``queue.json``, started in order.

- ``RunQueue``: the persisted queue (add, remove, move, pause, settings, claim and finish
  entries), safe to share between the app, ``netyard queue`` commands and runners in other
  processes; entries whose runner died go back in the queue when it is next read.
- ``QueueEntry``, ``QueueState``: plain data; ``entry_title`` names an entry.
- ``QueueRunner``: runs the queue headless (``netyard queue start``), with the events
  ``EntryStarted`` and ``EntryEnded`` besides the entries' own; ``exclusive_runner`` keeps it
  to one runner per queue.
- ``jobs_at_once``, ``place_run``, ``visible_gpus``: concurrency and GPU placement, shared by
  the CLI runner and the app's.
"""

from engine.queue._entries import ENDED_STATES, STATES, QueueEntry, QueueState, entry_title
from engine.queue._owner import this_process
from engine.queue._placement import jobs_at_once, place_run
from engine.queue._runner import EntryEnded, EntryStarted, QueueRunner, QueueSummary
from engine.queue._runner_lock import exclusive_runner
from engine.queue._store import INTERRUPTED, RunQueue, queue_path
from engine.sweeps import visible_gpus

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
    "jobs_at_once",
    "place_run",
    "queue_path",
    "this_process",
    "visible_gpus",
]
