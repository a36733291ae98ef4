"""A Harvest entry moved after the close (to another client or month): the late-entries sensor re-closes the
client-month it left as well as the one it joined, so it is billed once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, SensorResult, build_sensor_context

from billing_assets.cli import main
from billing_assets.definitions import build_resources
from billing_assets.partitions import split_key
from resources.harvest_changes import Change
from sensors.late_entries import Cursor, late_time_entries, plan_late_closes
from tests.emulators.harvest_server import Clock, HarvestEmulator, stamp

ACME = "client: acme\nname: Acme Corp\ncurrency: USD\nterms_days: 30\nroles: {senior: 250}\n" \
       "people: {\"Alice Ng\": senior, \"Bob Ray\": senior}\n"
GLOBEX = ACME.replace("client: acme", "client: globex").replace("name: Acme Corp", "name: Globex")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def resolve(name: str, month: str) -> list[str]:
    return {"Acme Corp": ["acme"], "Globex": ["globex"]}.get(name, [])


def test_entry_moved_to_another_month_recloses_the_month_it_left() -> None:
    moved = Change("harvest:1", "Acme Corp", "2026-08", T0)
    plan = plan_late_closes([moved], Cursor(T0 - timedelta(minutes=5)), "2026-11", resolve,
                            held={"harvest:1": {("acme", "2026-09")}})
    assert plan.client_months == {("acme", "2026-08"): T0, ("acme", "2026-09"): T0}


def test_entry_moved_to_an_unknown_client_or_open_month_still_recloses_where_it_was() -> None:
    changes = [Change("harvest:1", "Internal", "2026-09", T0), Change("harvest:2", "Acme Corp", "2026-11", T0)]
    held = {"harvest:1": {("acme", "2026-09")}, "harvest:2": {("acme", "2026-10")}}
    plan = plan_late_closes(changes, Cursor(T0 - timedelta(minutes=5)), "2026-11", resolve, held=held)
    assert plan.client_months == {("acme", "2026-09"): T0, ("acme", "2026-10"): T0}
    assert plan.unknown == {("Internal", "2026-09"): 1} and plan.open_months == 1


def raw_clients(home: Path, entry_id: str) -> list[str]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return [c for (c,) in conn.execute("SELECT client FROM raw_time_entries WHERE entry_id = ? ORDER BY 1",
                                           [entry_id]).fetchall()]


def test_entry_moved_to_another_client_is_billed_once(billing_env, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    with HarvestEmulator(clock=Clock(start)) as harvest:
        ids = harvest.add_entries([
            {"spent_date": "2026-09-02", "client": "Acme Corp", "hours": "8", "notes": "workshop"},
            {"spent_date": "2026-09-03", "client": "Acme Corp", "hours": "1"},
            {"spent_date": "2026-09-03", "client": "Globex", "user": "Bob Ray", "hours": "1"}])
        home = billing_env()
        (home / "contracts" / "acme.yaml").write_text(ACME)
        (home / "contracts" / "globex.yaml").write_text(GLOBEX)
        for name, value in {"BILLING_SOURCE": "harvest", "HARVEST_ACCESS_TOKEN": harvest.token,
                            "HARVEST_ACCOUNT_ID": harvest.account_id, "HARVEST_BASE_URL": harvest.base_url}.items():
            monkeypatch.setenv(name, value)
        assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
        entry = f"harvest:{ids[0]}"
        assert raw_clients(home, entry) == ["acme"]

        mark = stamp(harvest.clock.now())
        harvest.clock.advance(600)
        harvest.edit_entry(ids[0], client="Globex")  # the wrong client had been picked
        resources = {k: v for k, v in build_resources().items() if k in ("time_source", "home", "warehouse")}
        with DagsterInstance.get() as instance, \
                build_sensor_context(instance=instance, cursor=mark, resources=resources) as context:
            result = late_time_entries(context)
        assert isinstance(result, SensorResult)
        keys = sorted(split_key(r.partition_key) for r in result.run_requests)
        assert keys == [("acme", "2026-09"), ("globex", "2026-09")]
        for client, month in keys:
            assert main(["close", "--month", month, "--client", client]) == 0, capsys.readouterr().out
        assert raw_clients(home, entry) == ["globex"]


def test_an_entry_moved_out_of_a_sent_month_is_not_sent_twice(billing_env, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Found by an auditor: an entry moved in Harvest from sent July into August was billed on August's invoice
    while July's sent invoice still charged it, and approval sent August with exit 0 (only the approved month's
    own changes were looked for). August is refused until July is closed again; August then carries July's
    difference: 4 h x 250 sent in July, 2 h + 3 h moved in August, less the 3 h July charged."""
    with HarvestEmulator(clock=Clock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))) as harvest:
        ids = harvest.add_entries([
            {"spent_date": "2026-07-31", "client": "Acme Corp", "hours": "1", "notes": "kick-off"},
            {"spent_date": "2026-07-31", "client": "Acme Corp", "user": "Bob Ray", "hours": "3", "notes": "audit"},
            {"spent_date": "2026-08-03", "client": "Acme Corp", "hours": "2", "notes": "report"}])
        home = billing_env()
        (home / "contracts" / "acme.yaml").write_text(ACME)
        for name, value in {"BILLING_SOURCE": "harvest", "HARVEST_ACCESS_TOKEN": harvest.token,
                            "HARVEST_ACCOUNT_ID": harvest.account_id, "HARVEST_BASE_URL": harvest.base_url}.items():
            monkeypatch.setenv(name, value)
        assert main(["close", "--month", "2026-07..2026-08"]) == 0, capsys.readouterr().out
        assert main(["approve", "--month", "2026-07", "--by", "Dana"]) == 0, capsys.readouterr().out
        harvest.clock.advance((datetime.now(UTC) - harvest.clock.now()).total_seconds() + 1)  # Harvest's clock: now
        harvest.edit_entry(ids[1], spent_date="2026-08-01")  # it was August's work
        time.sleep(2)  # the next close begins after the move
        assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
        capsys.readouterr()
        assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
        assert ("acme                         2026-08  skipped       2026-07 was sent and its entries in Harvest "
                "changed since it was closed: this month carries the difference once 2026-07 is closed again"
                ) in capsys.readouterr().out
        assert main(["close", "--month", "2026-07..2026-08"]) == 0, capsys.readouterr().out
        assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0, capsys.readouterr().out
        with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
            sent = conn.execute("SELECT month, total FROM sent_invoices ORDER BY month").fetchall()
        assert sent == [("2026-07", Decimal("1000.00")), ("2026-08", Decimal("500.00"))]  # 6 h x 250 in all
