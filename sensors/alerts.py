"""Alerts: every failed asset-check evaluation (error or warning) and every failed run, notified once.

A failed non-blocking check leaves the run green, so run-failure sensors never see it: this sensor reads
ASSET_CHECK_EVALUATION event records after a storage-id cursor instead.
"""

import time

from dagster import (
    DagsterEventType,
    DefaultSensorStatus,
    EventRecordsFilter,
    RunFailureSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from resources.notify import Notifier

BATCH = 500
FIRST_LOOK_BACK_SECONDS = 24 * 3600  # a first tick alerts the last day's failures, not a firm's whole history


def check_alert(record, notifier: Notifier) -> dict | None:
    """The alert for one evaluation record, or None when it passed, is a per-run summary, or repeats a failure an
    earlier run evaluated (`carried`: logged so the Checks tab shows the firm's state; alerted when it happened;
    it names no partition now, and is skipped as a summary too)."""
    evaluation = record.event_log_entry.dagster_event.event_specific_data
    if evaluation.passed or evaluation.partition is None:
        return None
    metadata = {k: getattr(v, "value", v) for k, v in (evaluation.metadata or {}).items()}
    if metadata.get("carried"):
        return None
    return {
        "kind": "check",
        "severity": evaluation.severity.value,
        "title": f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}",
        "partition": evaluation.partition,
        "message": metadata.pop("message", evaluation.description or ""),
        "numbers": metadata,
        "blocking": bool(evaluation.blocking),
        "url": notifier.run_url(record.event_log_entry.run_id),
        "storage_id": record.storage_id,
    }


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def check_failure_alerts(context: SensorEvaluationContext, notifier: Notifier) -> SkipReason:
    """Notifies each new failing check evaluation (per client-month) exactly once. Its first tick (no cursor)
    passes over evaluations older than a day: the failures of months of closes run before the daemon (found by an
    auditor: every one of them was alerted at once, most long mended)."""
    cursor = int(context.cursor) if context.cursor else None
    passed_over = ""
    if cursor is None:  # start after the newest evaluation older than a day (the first batch could not hold them all)
        older = context.instance.get_event_records(
            EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION,
                               before_timestamp=time.time() - FIRST_LOOK_BACK_SECONDS), limit=1, ascending=False)
        if older:
            cursor = older[0].storage_id
            passed_over = "; evaluations older than a day, from before this sensor first ran, were not alerted"
    records = context.instance.get_event_records(
        EventRecordsFilter(DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=cursor), limit=BATCH,
        ascending=True)
    sent = 0
    for record in records:
        alert = check_alert(record, notifier)
        if alert is not None:
            notifier.notify(alert)
            sent += 1
        context.update_cursor(str(record.storage_id))
    if passed_over and not records:  # start after the history passed over, even with nothing new yet
        context.update_cursor(str(cursor))
    return SkipReason(f"{sent} alert(s) sent for {len(records)} new evaluation(s){passed_over}")


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING)
def run_failure_alerts(context: RunFailureSensorContext, notifier: Notifier) -> None:
    """Notifies every failed run with its error."""
    notifier.notify({
        "kind": "run", "severity": "ERROR", "title": f"run of {context.dagster_run.job_name} failed",
        "partition": context.dagster_run.tags.get("dagster/partition", ""),
        "message": context.failure_event.message or "", "url": notifier.run_url(context.dagster_run.run_id),
    })
