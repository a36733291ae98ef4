"""Progress of a long close on a terminal, from the Dagster events of its runs: client-months done of total, the
stage running now and an estimate of the time left. Silent when the output is not a terminal (piped, a log
file, the test suite), so scripts see only the summary."""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from typing import TextIO

from dagster import DagsterEventType, DagsterInstance
from dagster._core.events.log import EventLogEntry

REDRAW_EVERY_S = 0.2


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class CloseProgress:
    """One status line, rewritten in place, for the client-months of a close across all of its runs.

    Work is counted in (asset, client-month) materializations, so the estimate moves stage by stage even when a
    run prices all its client-months in one step; a client-month is done when every selected asset of it is."""

    def __init__(self, client_months: int, assets: int, stream: TextIO | None = None,
                 clock=time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = client_months
        self.assets = max(assets, 1)
        self.clock = clock
        self.started = clock()
        self.stage = "starting"
        self.materialized: dict[str, set[str]] = defaultdict(set)
        self._drawn_at = float("-inf")
        self._width = 0

    def watch(self, instance: DagsterInstance, run_id: str) -> None:
        """Follow the events of the run `run_id` (called in the run's own thread as each event is stored)."""
        if self.enabled:
            instance.add_event_listener(run_id, self.on_event)

    @property
    def done(self) -> int:
        return min(self.total, sum(len(a) >= self.assets for a in self.materialized.values()))

    @property
    def units(self) -> int:
        return sum(len(a) for a in self.materialized.values())

    def on_event(self, entry: EventLogEntry) -> None:
        event = entry.dagster_event
        if event is None:
            return
        if event.event_type == DagsterEventType.STEP_START and event.step_key:
            self.stage = event.step_key
            self.draw(force=True)  # a dozen steps per run: every stage is shown
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION and event.partition:
            self.materialized[event.partition].add(event.asset_key.path[-1])
            self.draw()  # one per asset and client-month: at most five redraws a second

    def line(self) -> str:
        elapsed = self.clock() - self.started
        if self.stage == "done":
            return f"closing: {self.done}/{self.total} client-months done in {_duration(elapsed)}"
        units, total_units = self.units, self.total * self.assets
        if units and total_units > units:
            left = f"about {_duration(elapsed * (total_units - units) / units)} left"
        else:
            left = "estimating time left" if not units else "about 0s left"
        return (f"closing: {self.done}/{self.total} client-months done, stage {self.stage}, "
                f"{_duration(elapsed)} elapsed, {left}")

    def draw(self, force: bool = False) -> None:
        now = self.clock()
        if not self.enabled or (not force and now - self._drawn_at < REDRAW_EVERY_S):
            return
        self._drawn_at = now
        text = self.line()
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def finish(self) -> None:
        """The last line stays on screen, ended, before the summary."""
        if self.enabled:
            self.stage = "done"
            self.draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
