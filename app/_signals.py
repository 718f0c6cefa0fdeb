"""SIGTERM, SIGHUP and SIGINT end the app as File > Quit does, without asking: running jobs
are stopped (runs KILLED, sweep trials FAIL), the web UIs it started are stopped, the layout is
saved, and no worker, zygote or server process is left behind.

Python runs a signal handler only between bytecodes of the main thread, which sits in Qt's
event loop (C++) while the app is idle; a short timer hands control back to Python often
enough for the handler to run.
"""

from __future__ import annotations

import os
import signal
import socket

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow

QUIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
WAKE_MS = 200


def quit_on_signals(window: QMainWindow) -> dict[int, object]:
    """Install the handlers; ``window.ended_by`` holds the signal that ended the app."""
    window.ended_by = None

    def handle(signum: int, _frame) -> None:
        if window.ended_by is None:  # a second signal while closing changes nothing
            window.ended_by = signum
            QTimer.singleShot(0, lambda: _close(window))

    previous = {signum: signal.signal(signum, handle) for signum in QUIT_SIGNALS}
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(WAKE_MS)
    return previous


def _close(window: QMainWindow) -> None:
    from PySide6.QtWidgets import QApplication

    window.confirm_close = lambda _count: True  # nobody is there to answer
    window.close()
    QApplication.quit()


def notify_ready() -> None:
    """Tell a service manager that the window is up: systemd's ``sd_notify`` protocol
    (``READY=1`` to the datagram socket ``$NOTIFY_SOCKET``), for ``Type=notify`` units and for
    whatever waits on the app's start without guessing how long it takes."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
            notify.sendto(b"READY=1", address)
    except OSError:
        pass  # nobody listens any more: the app runs all the same
