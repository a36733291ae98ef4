"""Late exports: re-close closed client-months whose export rows changed since their close (the CSV folder).

A row dated in a closed month can reach the folder after its close (August time in September's export, a
corrected re-export, a late expense). The month close reads only its own month, so without this the closed
month's invoice stays short and approval would send it. Each tick stamps `timesheets/`, `expenses/` and
`settings.yaml` (file names, sizes, modification times). A new stamp is left to settle for one tick, so a file still
being copied is read once it has stopped changing. A settled stamp not handled yet is read, once no month close
is running (its months are not written yet, and it holds the warehouse): each priced client-month
of a closed month whose time entries or expenses differ from the ones it was closed with
(billing_assets/export_changes.py) gets a `month_close` run of its client, from that month through its last
priced month (later months carry its retainer lots, cap totals and late-change adjustments; a sent month's change
is carried by the next unsent one). The run key names the change, so an evaluation repeated before the run ends
launches nothing again; the folder is read again at each tick until a run of each change succeeded, and a failed
run is launched again under a fresh key, up to three runs (sensors/follow_up.py).

Cursor: `{"seen": <stamp digest>, "handled": <stamp digest>}`. Clearing it in the UI re-reads the folder at the
next tick but one. An API source has its own sensor (`late_time_entries`)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from billing_assets.export_changes import ExportChange, contract_names, export_changes
from billing_assets.jobs import month_close_job
from billing_assets.settings import firm_now
from resources.home import BillingHome
from resources.timesource import CsvTimeSource, TimeSource
from resources.warehouse import Warehouse, query
from sensors.follow_up import MAX_ATTEMPTS, follow
from sensors.late_entries import INTERVAL_ENV, is_closed, last_priced_months, month_of, reclose_requests

DEFAULT_INTERVAL_SECONDS = 300
TRIGGER = "late_exports"
UNFINISHED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
              DagsterRunStatus.STARTED]


@dataclass(frozen=True)
class ExportCursor:
    seen: str = ""  # the stamp of the last tick
    handled: str = ""  # the last stamp whose changes were requested

    @classmethod
    def parse(cls, text: str | None) -> ExportCursor:
        if not text or not text.lstrip().startswith("{"):
            return cls()
        data = json.loads(text)
        return cls(str(data.get("seen") or ""), str(data.get("handled") or ""))

    def serialize(self) -> str:
        return json.dumps({"seen": self.seen, "handled": self.handled})


def stamp_digest(stamp: tuple) -> str:
    return hashlib.sha256(repr(stamp).encode()).hexdigest()[:16]


def closed_changes(time_source: CsvTimeSource, home: BillingHome, warehouse: Warehouse,
                   current_month: str) -> list[ExportChange]:
    """The priced client-months of closed months whose exports changed since their close."""
    if not warehouse.exists():
        return []
    with warehouse.connect() as conn:
        pairs = [(r["client"], r["month"]) for r in query(conn, "priced_months")
                 if is_closed(r["month"], current_month)]
    if not pairs:
        return []
    parsed = time_source.load(sorted({m for _, m in pairs}))  # read before the file is held
    with warehouse.connect() as conn:
        return export_changes(conn, parsed, contract_names(home), pairs)


def evaluate(context: SensorEvaluationContext, time_source: TimeSource, home: BillingHome,
             warehouse: Warehouse) -> SensorResult:
    """One evaluation: stamp the folder, wait for it to settle, compare, request the re-closes."""
    if not isinstance(time_source, CsvTimeSource):
        return SensorResult(skip_reason=f"time source is {time_source.kind!r}, not the CSV folder",
                            cursor=context.cursor)
    cursor = ExportCursor.parse(context.cursor)
    now = stamp_digest(time_source.stamp())
    if now != cursor.seen:
        return SensorResult(skip_reason="exports changed: read at the next tick, once they have stopped changing",
                            cursor=ExportCursor(now, cursor.handled).serialize())
    if now == cursor.handled:
        return SensorResult(skip_reason="no export changed since the last reading", cursor=context.cursor)
    if context.instance.get_runs_count(RunsFilter(job_name=month_close_job.name, statuses=UNFINISHED)):
        return SensorResult(skip_reason="a month close is running: the exports are compared once it has ended",
                            cursor=context.cursor)  # what it closes is not written yet, and it holds the warehouse
    changes = closed_changes(time_source, home, warehouse, month_of(firm_now()))
    done = ExportCursor(now, now).serialize()
    if not changes:
        return SensorResult(skip_reason="the exports hold what every closed client-month was closed with", cursor=done)
    months: dict[str, list[str]] = {}
    markers: dict[str, str] = {}
    for change in changes:
        context.log.info(f"late exports: re-closing {change.client} {change.month}: {change.summary()}")
        months.setdefault(change.client, []).append(change.month)
        markers[change.client] = hashlib.sha256((markers.get(change.client, "") + change.marker).encode()
                                                ).hexdigest()[:12]
    attempts = follow(context.instance, reclose_requests(months, markers, last_priced_months(warehouse), "exports",
                                                         tag=TRIGGER))
    for a in attempts:
        if a.given_up:
            context.log.warning(f"late exports: the re-close {a.base_key} failed {MAX_ATTEMPTS} times; its change is "
                                "not on the invoice: see the failed runs, then close the month again")
    requests = [a.request for a in attempts if not a.done and not a.given_up]
    # read again at the next tick until every re-close succeeded (or was given up): a failed run is launched again
    return SensorResult(run_requests=requests,
                        cursor=done if not requests else ExportCursor(now, cursor.handled).serialize())


def build_late_exports_sensor(minimum_interval_seconds: int | None = None) -> SensorDefinition:
    """The sensor; interval from the argument, else $BILLING_LATE_ENTRIES_INTERVAL_SECONDS, else 300 s. Running by
    default unless BILLING_SOURCE names an API (read when this is called)."""
    interval = minimum_interval_seconds or int(os.environ.get(INTERVAL_ENV) or DEFAULT_INTERVAL_SECONDS)
    status = DefaultSensorStatus.RUNNING if (os.environ.get("BILLING_SOURCE") or "csv") == "csv" \
        else DefaultSensorStatus.STOPPED

    @sensor(name=TRIGGER, job=month_close_job, minimum_interval_seconds=interval, default_status=status)
    def late_exports(context: SensorEvaluationContext, time_source: TimeSource, home: BillingHome,
                     warehouse: Warehouse) -> SensorResult:
        """Re-closes closed client-months whose exports changed since they were closed (a late row or expense
        dated in a closed month, a row edited or removed): one month_close run per changed client, from the
        changed month through its last priced month, once the folder has stopped changing for one tick."""
        return evaluate(context, time_source, home, warehouse)

    return late_exports
