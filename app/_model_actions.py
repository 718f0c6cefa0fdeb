"""What the Runs browser and the sweep dashboard do with a run's model: register it (a name
asked for), export it (a file asked for) or any such task, off the GUI thread, its outcome
said in a message box and a status line. The busy indicator says it is under way; closing
the app waits for it (a registry version or a file half made is worse than a slower exit)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from app._tasks import run_in_background


def ask_model_name(parent: QWidget, what: str, default: str) -> str | None:
    name, ok = QInputDialog.getText(
        parent, "Register model", f"Registered model name for {what}:", text=default
    )
    return name.strip() if ok and name.strip() else None


def model_task(
    owner: QWidget,
    work: Callable[[], str],
    say: Callable[[str], None],
    done: Callable[[], None],
    busy: str = "Working on the run's model…",
) -> None:
    """Run ``work`` (it returns a line saying what it did); ``say`` each line on the way and
    call ``done`` at the end, the outcome also in a message box. ``busy``: what the busy
    indicator says meanwhile."""

    def finished(message: str) -> None:
        say(message)
        done()
        QMessageBox.information(owner, "Model", message)

    def failed(message: str, _details: str) -> None:
        text = message.removeprefix("UsageError: ")
        say(f"Failed: {text}")
        done()
        QMessageBox.warning(owner, "Model", text)

    run_in_background(
        work, finished, failed, queue="mlflow", owner=owner, busy=busy, finish_before_exit=True
    )


def register_run(tracking_uri: str, run_id: str, name: str, datasets_dir) -> str:
    """Register the run's model as a new version of ``name``; a line saying which."""
    from engine.models import register_model
    from engine.tracking import open_client

    version = register_model(open_client(tracking_uri), run_id, name, datasets_dir)
    return f"Registered {version.name} version {version.version}"


EXPORT_SUFFIXES = {".onnx": "onnx", ".pt": "torchscript", ".safetensors": "safetensors"}


def export_run_model(tracking_uri: str, run_id: str, out: str, datasets_dir) -> str:
    """Export the run's model to ``out`` (format by suffix), checked; a line saying how."""
    from pathlib import Path

    from engine.errors import UsageError
    from engine.models import export_run
    from engine.tracking import open_client

    fmt = EXPORT_SUFFIXES.get(Path(out).suffix.lower())
    if fmt is None:
        raise UsageError(f"{out}: end the name in {', '.join(EXPORT_SUFFIXES)}")
    exported, _run = export_run(open_client(tracking_uri), run_id, fmt, out, datasets_dir)
    return (
        f"Exported as {exported.format} to {exported.path}: {exported.how}; checked on the "
        f"input example, max abs diff {exported.max_abs_diff:.3g}"
    )
