"""Re-close runs a sensor requested, followed until one succeeds.

Dagster launches a run key once, whatever becomes of its run: a re-close that failed (Harvest answering 500 during
its ingest, say) was never launched again, and its late change stayed off the invoice with no stale mark. A
request whose key's run failed or was canceled gets a fresh key (`<key>#2`, `#3`), up to MAX_ATTEMPTS runs; then it
is given up and logged (a month that fails every time, such as one held back by a broken contract, shows failed in
the UI and its page says why).

The late-entries sensor keeps what it requested in its cursor (`pending`) until a run of it succeeded: Harvest's
`updated_since` reports a change once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dagster import DagsterInstance, DagsterRunStatus, RunRequest, RunsFilter

RUN_KEY_TAG = "dagster/run_key"
MAX_ATTEMPTS = 3
FAILED = (DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


@dataclass(frozen=True)
class Attempt:
    request: RunRequest  # with the key to request now
    base_key: str  # the key of the first attempt
    done: bool  # a run of it succeeded: nothing to follow
    given_up: bool  # MAX_ATTEMPTS runs failed


def attempt(instance: DagsterInstance, request: RunRequest) -> Attempt:
    """The request as it should be made now: the same key while its run is pending, running or succeeded (Dagster
    launches nothing again), the next key after a failed run."""
    base = request.run_key or ""
    for n in range(1, MAX_ATTEMPTS + 1):
        key = base if n == 1 else f"{base}#{n}"
        runs = instance.get_runs(filters=RunsFilter(tags={RUN_KEY_TAG: key}), limit=1)
        if not runs or runs[0].status not in FAILED:
            done = bool(runs) and runs[0].status == DagsterRunStatus.SUCCESS
            return Attempt(request.with_replaced_attrs(run_key=key), base, done, False)
    return Attempt(request.with_replaced_attrs(run_key=f"{base}#{MAX_ATTEMPTS}"), base, False, True)


def follow(instance: DagsterInstance, requests: Iterable[RunRequest]) -> list[Attempt]:
    return [attempt(instance, r) for r in requests]


def to_cursor(requests: Iterable[RunRequest]) -> dict[str, dict[str, Any]]:
    """Requests to keep following, by their first key (JSON for a sensor cursor)."""
    return {r.run_key or "": {"partition_key": r.partition_key, "tags": dict(r.tags)} for r in requests}


def from_cursor(pending: Mapping[str, Mapping[str, Any]]) -> list[RunRequest]:
    return [RunRequest(run_key=key, partition_key=spec.get("partition_key"), tags=dict(spec.get("tags") or {}))
            for key, spec in sorted(pending.items())]
