"""Rendering run events in a terminal: a live progress line, or periodic lines when piped."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from engine.events import (
    Checkpointed,
    EvalMetrics,
    Event,
    OverfittingSeen,
    RolledBack,
    RunCancelled,
    RunFailed,
    RunFinished,
    RunStarted,
    StepMetrics,
)

REDRAW_SECONDS = 0.1
BAR_WIDTH = 24


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:d}:{secs:02d}"


def format_metrics(metrics: dict[str, float]) -> str:
    """``key value`` pairs: four decimals, or four significant digits where the decimals
    would round a small value to nothing (an MSE of 2e-05) or a large one is wide."""
    parts = []
    for key, value in metrics.items():
        readable = value == 0 or 1e-2 <= abs(value) < 1e4
        parts.append(f"{key} {value:.4f}" if readable else f"{key} {value:.4g}")
    return "  ".join(parts)


class ProgressPrinter:
    """Consumes run events and draws progress on ``stream`` (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.total = 0
        self.start_step = 0
        self.step = 0
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.last_reported_tenth = -1
        self.train: dict[str, float] = {}
        self.val: dict[str, float] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self.total, self.start_step, self.step = (
                event.total_steps,
                event.start_step,
                event.start_step,
            )
            self.started = time.monotonic()
            where = f"run {event.run_id}" if event.run_id else "untracked run"
            resumed = f", resuming at step {event.start_step}" if event.start_step else ""
            self._line(
                f"Training {event.plugin} on {event.dataset} ({where}) on {event.device}"
                f" for {event.total_steps} steps{resumed}"
            )
        elif isinstance(event, StepMetrics):
            self.step = event.step
            self.train = {key: values[-1] for key, values in event.metrics.items()}
            self._progress()
        elif isinstance(event, EvalMetrics):
            self.step = event.step
            # The gradient health (health/*) is for the plots and MLflow, not this one line.
            self.val = {k: v for k, v in event.metrics.items()
                        if k != "lr" and not k.startswith("health/")}  # fmt: skip
            self._progress(force=self.live)
        elif isinstance(event, Checkpointed):
            pass
        elif isinstance(event, RolledBack | OverfittingSeen):
            if self.live:  # the line below the progress bar, which goes on on the next
                self.stream.write("\r\x1b[K")
            self._line(event.message[0].upper() + event.message[1:])
        elif isinstance(event, RunFinished | RunFailed | RunCancelled):
            if self.live:
                self._progress(force=True)
                self.stream.write("\n")
                self.stream.flush()

    def _progress(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.live:
            if force or now - self.last_draw >= REDRAW_SECONDS:
                self.last_draw = now
                self.stream.write("\r" + self._status_line(now) + "\x1b[K")
                self.stream.flush()
            return
        tenth = int(10 * self.step / max(1, self.total))
        if tenth > self.last_reported_tenth:
            self.last_reported_tenth = tenth
            self._line(self._status_line(now))

    def _status_line(self, now: float) -> str:
        done = self.step - self.start_step
        remaining = self.total - self.step
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 and done > 0 else 0.0
        eta = format_duration(remaining / rate) if rate else "?"
        fraction = self.step / max(1, self.total)
        filled = int(BAR_WIDTH * fraction)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        metrics = format_metrics({**self.train, **self.val})
        return (
            f"[{bar}] {self.step}/{self.total} {fraction:4.0%}  {rate:6.0f} steps/s  "
            f"ETA {eta}  {metrics}"
        )

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
