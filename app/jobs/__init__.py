"""Jobs: runs and sweeps in engine worker processes, seen by the GUI through Qt signals."""

from app.jobs._adapter import WorkerAdapter
from app.jobs._job import Job, RunJob
from app.jobs._manager import JobManager
from app.jobs._panel import JobsPanel, format_seconds
from app.jobs._queue import AppQueue
from app.jobs._sweep_job import SweepJob, TrialJob

__all__ = [
    "AppQueue",
    "Job",
    "JobManager",
    "JobsPanel",
    "RunJob",
    "SweepJob",
    "TrialJob",
    "WorkerAdapter",
    "format_seconds",
]
