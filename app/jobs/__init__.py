"""Jobs: runs and sweeps in engine worker processes, seen by the GUI through Qt signals."""

from app.jobs._adapter import WorkerAdapter
from app.jobs._job import Job, RunJob
from app.jobs._manager import JobManager
from app.jobs._panel import JobsPanel, format_seconds

__all__ = ["Job", "JobManager", "JobsPanel", "RunJob", "WorkerAdapter", "format_seconds"]
