"""The server's log: one timestamped line on its stderr (the log file, or the terminal with --foreground)."""

from __future__ import annotations

import contextlib
import os
import time


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with contextlib.suppress(OSError):
        os.write(2, f"{stamp} [{os.getpid()}] {message}\n".encode(errors="replace"))
