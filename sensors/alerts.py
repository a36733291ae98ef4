"""Alerts: every failed asset-check evaluation (error or warning) and every failed run, notified once; a failure a
later close finds again, saying the same, is not notified again.

A failed non-blocking check leaves the run green, so run-failure sensors never see it: this sensor reads
ASSET_CHECK_EVALUATION event records after a storage-id cursor instead.
"""

import hashlib
import json
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


def _cursor(text: str | None) -> tuple[int | None, dict[str, str]]:
    """(the storage id read up to, the failures alerted and not passed since: check and partition -> a digest of
    what was said). An earlier release's cursor was the storage id alone."""
    if not text:
        return None, {}
    if text.lstrip("-").isdigit():
        return int(text), {}
    state = json.loads(text)
    return state["after"], state["alerted"]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _failure_key(evaluation) -> str:
    """Which failure: the check and its client-month (what a later evaluation of it passes or fails again)."""
    return _digest(f"{evaluation.asset_key.to_user_string()}.{evaluation.check_name}|{evaluation.partition}")


@sensor(minimum_interval_seconds=30, default_status=DefaultSensorStatus.RUNNING)
def check_failure_alerts(context: SensorEvaluationContext, notifier: Notifier) -> SkipReason:
    """Notifies each new failing check evaluation (per client-month) once, and a failure found again by a later
    close only when it says something else (found by an auditor: every unchanged re-close alerted every anomaly
    again); a pass in between makes the next failure new. Its first tick (no cursor) passes over evaluations
    older than a day: the failures of months of closes run before the daemon (found by an auditor: every one of
    them was alerted at once, most long mended)."""
    cursor, alerted = _cursor(context.cursor)
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
    sent = repeated = 0
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        alert = check_alert(record, notifier)
        if alert is not None:  # what it says: a re-close that finds the same failure says the same
            key, digest = _failure_key(evaluation), _digest(f"{alert['severity']}|{alert['message']}")
            if alerted.get(key) == digest:
                repeated += 1
            else:
                notifier.notify(alert)
                alerted[key] = digest
                sent += 1
        elif evaluation.passed and evaluation.partition is not None:
            alerted.pop(_failure_key(evaluation), None)
        cursor = record.storage_id
        context.update_cursor(json.dumps({"after": cursor, "alerted": alerted}))
    if passed_over and not records:  # start after the history passed over, even with nothing new yet
        context.update_cursor(json.dumps({"after": cursor, "alerted": alerted}))
    again = f"; {repeated} failure(s) found again as alerted before, not alerted again" if repeated else ""
    return SkipReason(f"{sent} alert(s) sent for {len(records)} new evaluation(s){again}{passed_over}")


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING, monitor_all_code_locations=True)
def run_failure_alerts(context: RunFailureSensorContext, notifier: Notifier) -> None:
    """Notifies every failed run with its error: runs launched from the UI or the daemon, and those of `billing
    close`, which Dagster records without a code location (found by an auditor: a failed close was never alerted;
    the sensor watched its own code location's runs only). A run failed only by `client_months_pushed` (a
    client-month held back on purpose) is not: that check's evaluations alert each held-back client-month once
    (found by an auditor: every close of a blocked month alerted the same failed run again)."""
    if _held_back_only(context.instance, context.dagster_run.run_id):
        return
    notifier.notify({
        "kind": "run", "severity": "ERROR", "title": f"run of {context.dagster_run.job_name} failed",
        "partition": context.dagster_run.tags.get("dagster/partition", ""),
        "message": context.failure_event.message or "", "url": notifier.run_url(context.dagster_run.run_id),
    })


def _held_back_only(instance, run_id: str) -> bool:
    """Whether every step failure of the run is the blocking check `client_months_pushed` failing."""
    failures = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    return bool(failures) and all(
        f.dagster_event.event_specific_data.error is not None
        and f.dagster_event.event_specific_data.error.cls_name == "DagsterAssetCheckFailedError"
        and f.dagster_event.event_specific_data.error.message.strip().endswith("quickbooks_draft_invoices: "
                                                                              "client_months_pushed")
        for f in failures)
