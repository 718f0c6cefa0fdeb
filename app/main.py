"""Starting the app: ``netyard`` with no arguments, ``netyard gui`` or ``python -m app``."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def create_application(argv: Sequence[str] | None = None):
    """The QApplication with Netyard's names, style, plot theme and error hook.

    Everything that opens the app's windows (``main``, scripts, benchmarks) goes through
    here, so this is where the None refcount guard goes on, before the first Qt call.
    """
    from app._none_refcount import protect_none

    # PySide6/shiboken6 6.12 on Python 3.11 returns None from Qt methods (update(),
    # parentItem()...) without Py_INCREF, one reference lost per call, until "Fatal Python
    # error: none_dealloc". Not yet reported upstream as far as we found. A no-op on
    # Python 3.12+ and outside the PySide6 versions it is known for: see app/_none_refcount.py.
    protect_none()
    from engine.mlflow_output import quiet_mlflow_output

    # Also when not started by `netyard` (python -m app, scripts): no progress bar in the
    # terminal for each image the compare view downloads.
    quiet_mlflow_output()
    from PySide6.QtWidgets import QApplication

    from app._errors import install_excepthook

    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    app.setOrganizationName("Netyard")
    app.setApplicationName("Netyard")
    app.setApplicationDisplayName("Netyard")
    app.setStyle("Fusion")  # follows the system's light or dark scheme on every platform
    install_excepthook()
    return app


def main(argv: Sequence[str] | None = None, workspace: str | None = None) -> int:
    from PySide6.QtCore import QTimer

    from app._platform import check_platform

    check_platform()  # one clear line (UsageError, exit 2) where Qt would abort
    app = create_application(argv)
    from app._signals import notify_ready, quit_on_signals
    from app.window import MainWindow

    window = MainWindow(workspace=workspace)
    quit_on_signals(window)
    window.show()
    from engine.worker import start_zygote

    # Trial workers fork from it with torch and MLflow already imported: a sweep's first
    # trial starts at once instead of after seconds of imports (engine/worker/_zygote.py).
    # Its imports wait for the first dataset preview (a run started before then starts a
    # fresh worker, as without a zygote).
    zygotes = []
    window.after_first_preview(lambda: zygotes.append(start_zygote()))
    # The plots (pyqtgraph) and the dataset list (torch) load once the window is on screen.
    QTimer.singleShot(0, lambda: (window.finish_startup(), notify_ready()))
    code = app.exec()
    # Ended by a signal: the shell's convention, 128 + its number (143 for SIGTERM).
    if window.ended_by is not None:
        code = 128 + window.ended_by
    from app._exit import leave_now, prepare_exit
    from app._tasks import wait_for_background_tasks

    # Closing never waits for start-up work still on a pool thread (imports, the runs
    # browser's first load, a preview): see app/_exit.py.
    if prepare_exit(zygotes[0] if zygotes else None, window.tracking_uris_used):
        leave_now(code)
    wait_for_background_tasks()
    return code


if __name__ == "__main__":
    sys.exit(main())
