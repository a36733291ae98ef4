"""BILLING_TIMEZONE: the schedule closes the previous month on the 1st at 06:00 in the firm's zone, and a month's
partition appears once the month has ended there. It is read when the definitions load, so each case runs in a
fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import json
from datetime import UTC, datetime
from dagster import build_schedule_context, instance_for_test
from dagster._utils.schedules import cron_string_iterator
from billing_assets.jobs import close_previous_month
from billing_assets.partitions import months_partitions

after = datetime(2026, 10, 31, 12, tzinfo=UTC).timestamp()
tick = next(cron_string_iterator(after, close_previous_month.cron_schedule, close_previous_month.execution_timezone))
with instance_for_test() as instance:
    instance.add_dynamic_partitions("client", ["acme", "zeta"])
    request = close_previous_month(build_schedule_context(instance=instance, scheduled_execution_time=tick))
at_utc_midnight = months_partitions.get_partition_keys(current_time=datetime(2026, 11, 1, 2, tzinfo=UTC))
print(json.dumps({"zone": close_previous_month.execution_timezone, "tick_utc": tick.astimezone(UTC).isoformat(),
                  "tags": dict(request.tags), "last_month_at_0200_utc": at_utc_midnight[-1],
                  "described": close_previous_month.description}))
"""


def _probe(zone: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "BILLING_TIMEZONE"}
    env |= {"BILLING_FIRST_MONTH": "2026-01", "OPENBLAS_NUM_THREADS": "1"}
    if zone:
        env["BILLING_TIMEZONE"] = zone
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_close_runs_on_the_first_in_the_firms_zone_and_closes_the_month_that_ended_there() -> None:
    """A Los Angeles firm's close at 06:00 UTC on the 1st ran at 23:00 on October 31st, with a working evening of
    October still to come; its October partition appeared at 17:00 on the 31st."""
    la = _probe("America/Los_Angeles")
    assert la["zone"] == "America/Los_Angeles"
    assert la["tick_utc"] == "2026-11-01T14:00:00+00:00"  # 06:00 PST: daylight saving ended at 02:00 that morning
    assert la["tags"]["dagster/asset_partition_range_start"] == "acme|2026-10"
    assert la["tags"]["dagster/asset_partition_range_end"] == "zeta|2026-10"
    assert la["last_month_at_0200_utc"] == "2026-09"  # 19:00 on October 31st in Los Angeles: October is not over
    assert "06:00 (America/Los_Angeles" in la["described"]


def test_without_a_zone_the_firm_runs_on_utc() -> None:
    utc = _probe(None)
    assert (utc["zone"], utc["tick_utc"]) == ("UTC", "2026-11-01T06:00:00+00:00")
    assert utc["tags"]["dagster/asset_partition_range_start"] == "acme|2026-10"
    assert utc["last_month_at_0200_utc"] == "2026-10"


@pytest.mark.parametrize("zone", ["America", "Europe/Londn", "../etc/passwd", "utc+2"])
def test_a_zone_that_names_none_is_one_line_before_anything_runs(billing_env, monkeypatch, capsys, zone: str) -> None:
    from billing_assets.cli import main

    billing_env()
    monkeypatch.setenv("BILLING_TIMEZONE", zone)
    assert main(["validate"]) == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]  # after any warning Dagster printed on import
    assert said == f"billing: BILLING_TIMEZONE must be an IANA time zone such as Europe/London or America/New_York, " \
                   f"got {zone!r}"


@pytest.mark.parametrize(("zone", "refused"), [("Pacific/Auckland", False), ("UTC", True),
                                               ("America/Los_Angeles", True)])
def test_a_month_is_closed_once_it_has_ended_in_the_firms_zone(monkeypatch, zone: str, refused: bool) -> None:
    """20:00 UTC on October 31st is 09:00 on November 1st in Auckland: October is closed there, not in UTC or in
    Los Angeles (the rule `billing --month`, the what-if job and the late-entries sensor share)."""
    from datetime import UTC, datetime

    from billing_assets.core.whatif import not_closed_yet
    from billing_assets.settings import firm_now

    monkeypatch.setenv("BILLING_TIMEZONE", zone)
    said = not_closed_yet(["2026-10"], firm_now(datetime(2026, 10, 31, 20, tzinfo=UTC)))
    assert said == ("2026-10 is not closed yet (the current month is excluded until it ends)" if refused else None)
