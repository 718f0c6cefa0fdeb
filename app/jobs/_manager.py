"""Every job of this app session: start, re-run, and end them all cleanly at shutdown."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.jobs._job import Job, RunJob
from app.jobs._sweep_job import SweepJob
from engine.runner import RunConfig

STOP_GRACE_MS = 20000


class JobManager(QObject):
    job_added = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs: list[Job] = []

    def add(self, job: Job) -> Job:
        self.jobs.append(job)
        self.job_added.emit(job)
        return job

    def start_run(self, config: RunConfig, env: Mapping[str, str] | None = None) -> RunJob:
        job = RunJob(config, env, parent=self)
        self.add(job)
        job.start()
        return job

    def start_sweep(
        self, spec: Mapping[str, Any], env: Mapping[str, str] | None = None
    ) -> SweepJob:
        job = SweepJob(spec, env, parent=self)
        self.add(job)
        job.start()
        return job

    def rerun(self, job: Job) -> Job:
        """The same configuration again as a new run (a finished or failed one stays listed).

        A trial is re-run as a plain run with its hyperparameters.
        """
        if isinstance(job, RunJob):
            return self.start_run(dataclasses.replace(job.config, resume=None), job.env)
        rerun_config = getattr(job, "rerun_config", None)
        if rerun_config is None:
            raise ValueError(f"{job.title} cannot be re-run")
        return self.start_run(rerun_config())

    def resuming(self, checkpoint: str) -> RunJob | None:
        """The active run that trains on from ``checkpoint``, if there is one."""
        return next(
            (job for job in self.active_jobs()
             if isinstance(job, RunJob) and job.config.resume == checkpoint),
            None,
        )  # fmt: skip

    def active_jobs(self) -> list[Job]:
        return [job for job in self.jobs if job.active]

    def shutdown(self, grace_ms: int = STOP_GRACE_MS) -> None:
        """Stop every active job, wait for them to end cleanly, kill what is left.

        Stopped runs end KILLED in MLflow (the worker ends its own run); sweeps mark their
        running trials FAIL. Blocks the GUI thread, which is fine while the app closes.
        """
        active = self.active_jobs()
        for job in active:
            getattr(job, "shutdown_stop", job.stop)()
        for job in active:
            if not job.wait(grace_ms):
                job.kill()
                job.wait(5000)
