"""Buffered metric writing with MLflow's batch API, off the training loop's interpreter.

A synchronous ``log_metric`` costs about 3 ms per call on SQLite here and MLflow's own async
queue took 8.9 s to flush 2000 points, so points are buffered and written with ``log_batch`` (up
up to 1000 a call). Even batched, MLflow's SQLAlchemy store spends 60-150 µs of Python
per point building ORM rows; on a thread that time holds the GIL the training loop needs (about
10 % of a ConvBase run). So with a database store on Linux the points go to a forked writer
process, which does the ORM work on another core; elsewhere (an HTTP tracking server, no
``fork``) a background thread writes them. ``close`` drains everything before the run ends.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Mapping

from engine.tracking._forking import can_fork_helpers, fork_helper, leave_unwaited, wait_for

# MLflow's client sends at most 1000 entities per store call (it splits a larger log_batch).
MAX_BATCH = 1000
# Points are handed to the writer every FLUSH_SECONDS (or at MAX_BATCH points): each hand-off
# and each log_batch has a fixed cost. Live views get metrics from events, so only the MLflow
# UI lags, by at most this long.
FLUSH_SECONDS = 2.0

Point = tuple[str, float, int, int]  # key, value, timestamp (ms), step


def write_points(client, run_id: str, points: list[Point]) -> None:
    """Write ``points`` in step order, so that what a kill leaves in the store is, for every
    metric, all its points up to some step (what ``logged_steps`` reads back on a resume)."""
    from mlflow.entities import Metric

    points = sorted(points, key=lambda point: point[3])  # stable: by step, then arrival
    for start in range(0, len(points), MAX_BATCH):
        chunk = points[start : start + MAX_BATCH]
        client.log_batch(
            run_id,
            metrics=[Metric(key, value, ts, step) for key, value, ts, step in chunk],
            synchronous=True,
        )


def logged_steps(client, run) -> dict[str, int]:
    """The last step in the store of each metric of ``run`` (an MLflow ``Run``).

    Read from the histories, not from a tag written beside them: MLflow's SQL store commits a
    log_batch's metrics and its tags in separate transactions, so no tag can vouch for them."""
    return {
        key: max((m.step for m in client.get_metric_history(run.info.run_id, key)), default=-1)
        for key in run.data.metrics
    }


class MetricWriter:
    """Collects points and hands them, in batches, to a writer process (or thread)."""

    def __init__(self, client, run_id: str, logged: Mapping[str, int] | None = None) -> None:
        """``logged``: the last step already in the store of each metric; a point of that
        metric at or before it is dropped (a resumed run replaying steps that its killed
        predecessor had logged), so each step appears once in every history."""
        self._logged = dict(logged or {})
        self._pending: list[Point] = []
        self._handed_at = time.monotonic()
        if can_fork_helpers(client):
            self._sink: _ProcessSink | _ThreadSink = _ProcessSink(client, run_id)
        else:
            self._sink = _ThreadSink(client, run_id)

    def add(self, step: int, metrics: Mapping[str, float], timestamp_ms: int | None = None) -> None:
        timestamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
        self._pending.extend(
            (key, float(v), timestamp, int(step))
            for key, v in metrics.items()
            if step > self._logged.get(key, -1)
        )
        self._maybe_hand_off()

    def add_series(self, steps: list[int], series: Mapping[str, list[float]]) -> None:
        """Many steps at once, e.g. a chunk of per-step training losses."""
        timestamp = int(time.time() * 1000)
        for key, values in series.items():
            after = self._logged.get(key, -1)
            self._pending.extend(
                (key, float(value), timestamp, int(step))
                for step, value in zip(steps, values, strict=True)
                if step > after
            )
        self._maybe_hand_off()

    def hand_off(self) -> None:
        """Give what is buffered to the writer now: a forked writer writes it even if this
        process is killed the next moment."""
        if self._pending:
            self._sink.put(self._pending)
            self._pending, self._handed_at = [], time.monotonic()

    def _maybe_hand_off(self) -> None:
        now = time.monotonic()
        if len(self._pending) >= MAX_BATCH or now - self._handed_at >= FLUSH_SECONDS:
            self._sink.put(self._pending)
            self._pending, self._handed_at = [], now

    def forked_sink(self) -> _ProcessSink | None:
        """The writer process, when there is one (a finisher can only take that over)."""
        return self._sink if isinstance(self._sink, _ProcessSink) else None

    def close(self) -> None:
        """Write everything still buffered and stop the writer; re-raise a write error."""
        if self._pending:
            self._sink.put(self._pending)
            self._pending = []
        self._sink.close()


# -- a background thread (HTTP tracking servers, platforms without fork) ---------------------
class _ThreadSink:
    def __init__(self, client, run_id: str) -> None:
        import queue

        self._client, self._run_id = client, run_id
        self._queue: queue.SimpleQueue[list[Point] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._loop, name="netyard-metrics", daemon=True)
        self._thread.start()

    def put(self, points: list[Point]) -> None:
        if self._error is not None:  # a failed write stops the run now, not at its end
            raise RuntimeError(f"writing metrics to MLflow failed: {self._error}")
        self._queue.put(points)

    def _loop(self) -> None:
        while (points := self._queue.get()) is not None:
            if self._error is None:  # after a failure, drain without writing
                try:
                    write_points(self._client, self._run_id, points)
                except BaseException as error:  # noqa: BLE001 - re-raised by close()
                    self._error = error

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


# -- a forked writer process (database stores on POSIX) --------------------------------------
class _ProcessSink:
    """Points go down a pipe to a helper forked from this process (``_forking``); it writes
    them and answers with its outcome at the end. If this process dies, the helper reads
    end-of-file, writes what it was sent and exits."""

    def __init__(self, client, run_id: str) -> None:
        from multiprocessing.connection import Pipe

        self._connection, child_end = Pipe(duplex=True)
        self._pid = fork_helper(
            lambda: _write_what_arrives(child_end, client, run_id), client, [child_end.fileno()]
        )
        child_end.close()

    def fileno(self) -> int:
        return self._connection.fileno()

    def put(self, points: list[Point]) -> None:
        if self._connection.poll():  # the writer said a write failed: stop the run now
            _, error = self._connection.recv()
            raise RuntimeError(f"writing metrics to MLflow failed: {error}")
        self._connection.send(points)

    def hand_over(self) -> None:
        """A forked finisher now owns this writer: let go of the pipe, reap the pid later."""
        self._connection.close()
        leave_unwaited(self._pid)

    def close(self) -> None:
        error = None
        try:
            self._connection.send(None)
            error = self._connection.recv()
            while isinstance(error, tuple):  # an early report ("failed", error): the end follows
                error = self._connection.recv()
        except (EOFError, OSError):
            error = "the metric writer process died"
        finally:
            self._connection.close()
            code = wait_for(self._pid)
        if error:
            raise RuntimeError(
                f"writing metrics to MLflow failed (writer exit code {code}): {error}"
            )


def _write_what_arrives(connection, client, run_id: str) -> None:
    """The helper's loop: write every batch (merging those already waiting) until the end."""
    error = ""
    ended = False
    while not ended:
        batch: list[Point] = []
        try:
            message = connection.recv()
            while True:  # take what is already waiting too, for one write
                if message is None:
                    ended = True
                    break
                batch.extend(message)
                if not connection.poll():
                    break
                message = connection.recv()
        except EOFError:  # every holder of the other end is gone: write what came, stop
            ended = True
        if batch and not error:  # after a failure, drain without writing
            try:
                write_points(client, run_id, batch)
            except BaseException as failure:  # noqa: BLE001 - reported to the parent
                error = "".join(traceback.format_exception_only(failure)).strip()
                try:  # at once, so the run stops instead of training on without its metrics
                    connection.send(("failed", error))
                except OSError:  # the parent is gone
                    pass
    try:
        connection.send(error)
    except OSError:  # the parent is gone
        pass
