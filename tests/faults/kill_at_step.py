"""Test-only entry point: `python -m tests.faults.kill_at_step <billing args>` runs the real `billing` command,
and SIGKILLs its own process the moment the STEP_START event of step $BILLING_KILL_AT_STEP is stored (the
step then holds its pool slot, as in a crash)."""

from __future__ import annotations

import os
import signal
import sys

from dagster import DagsterInstance

STEP = os.environ["BILLING_KILL_AT_STEP"]
_store = DagsterInstance.handle_new_event


def _handle_new_event(self, event, **kwargs):
    _store(self, event, **kwargs)
    if event.is_dagster_event and event.dagster_event_type.value == "STEP_START" and event.step_key == STEP:
        os.kill(os.getpid(), signal.SIGKILL)


DagsterInstance.handle_new_event = _handle_new_event

if __name__ == "__main__":
    from billing_assets.cli import main

    sys.exit(main(sys.argv[1:]))
