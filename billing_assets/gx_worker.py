"""Great Expectations in a forked worker that imports it while a command starts up.

Importing great_expectations takes 3-5 s on two cores, which a cold `billing close` would otherwise pay inside
its raw-entry checks. `start()`, called first thing by the CLI, forks a worker that imports GX on the other
core while the command imports Dagster, parses the exports and runs the first steps; the checks then send each
chunk's DataFrame to it. Without a worker (a run launched from the UI, the warm server that has GX preloaded,
a worker that died) validation runs in process. No Dagster here.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from billing_assets.core.quality import CheckOutcome

_worker: tuple[Any, Any] | None = None  # (process, connection) once started in this process


def start() -> None:
    """Fork the worker (before Dagster is imported: the process has no threads yet). A no-op when GX is already
    imported here, when a worker runs, where fork is unavailable, or when the process already has other threads
    (forking then could copy a lock another thread holds)."""
    global _worker
    import threading

    if _worker is not None or "great_expectations" in sys.modules or not hasattr(os, "fork") \
            or threading.active_count() > 1:
        return
    import multiprocessing

    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, ours), name="billing-gx-worker", daemon=True)
    process.start()
    theirs.close()
    _worker = (process, ours)


def _serve(connection: Any, parent_end: Any) -> None:
    """The worker: import GX, then answer validation requests until the parent closes its end."""
    parent_end.close()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from billing_assets.expectations import validate_in_process, warm_up

    warm_up()
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            connection.send(("ok", validate_in_process(*request)))
        except Exception:
            connection.send(("error", traceback.format_exc()))


def validate(frame: pd.DataFrame, pairs: Sequence[tuple[str, str]], contract_currency: dict[tuple[str, str], str]
             ) -> dict[tuple[str, str], dict[str, CheckOutcome]]:
    """Validate through the worker when it runs, else in process (same results either way)."""
    global _worker
    from billing_assets.expectations import validate_in_process

    if _worker is not None and _worker[0].is_alive():
        try:
            _worker[1].send((frame, list(pairs), contract_currency))
            status, answer = _worker[1].recv()
        except (EOFError, OSError):  # the worker died: carry on without it
            _worker = None
        else:
            if status == "error":
                raise RuntimeError(f"Great Expectations validation failed in the worker:\n{answer}")
            return answer
    return validate_in_process(frame, pairs, contract_currency)
