"""A sensor's re-close whose run failed is launched again under a fresh key (Dagster launches a run key once): a late
Harvest entry stayed off the invoice after Harvest answered 500 during its re-close, with no stale mark."""

from __future__ import annotations

import uuid

from dagster import DagsterInstance, DagsterRun, DagsterRunStatus, RunRequest

from sensors.follow_up import MAX_ATTEMPTS, RUN_KEY_TAG, attempt, from_cursor, to_cursor


def add_run(instance: DagsterInstance, key: str, status: DagsterRunStatus) -> None:
    instance.add_run(DagsterRun(job_name="month_close", run_id=str(uuid.uuid4()), status=status,
                                tags={RUN_KEY_TAG: key}))


def test_a_failed_run_is_requested_again_then_given_up() -> None:
    request = RunRequest(run_key="late:globex|2026-09:x", partition_key="globex|2026-09", tags={"a": "b"})
    with DagsterInstance.ephemeral() as instance:
        first = attempt(instance, request)
        assert (first.request.run_key, first.done, first.given_up) == (request.run_key, False, False)
        add_run(instance, request.run_key, DagsterRunStatus.STARTED)
        assert attempt(instance, request).request.run_key == request.run_key  # running: the same key, no new run
        add_run(instance, request.run_key, DagsterRunStatus.FAILURE)
        second = attempt(instance, request)
        assert second.request.run_key == f"{request.run_key}#2" and second.request.tags == {"a": "b"}
        add_run(instance, f"{request.run_key}#2", DagsterRunStatus.SUCCESS)
        assert attempt(instance, request).done
        other = RunRequest(run_key="late:acme|2026-09:y", partition_key="acme|2026-09")
        for n in range(1, MAX_ATTEMPTS + 1):
            add_run(instance, other.run_key if n == 1 else f"{other.run_key}#{n}", DagsterRunStatus.FAILURE)
        assert attempt(instance, other).given_up


def test_pending_requests_survive_the_cursor() -> None:
    request = RunRequest(run_key="k", partition_key="globex|2026-09", tags={"billing/trigger": "late_entries"})
    [back] = from_cursor(to_cursor([request]))
    assert (back.run_key, back.partition_key, back.tags) == ("k", "globex|2026-09", {"billing/trigger": "late_entries"})

