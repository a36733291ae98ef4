"""The late-entries sensor: pure planning and cursor logic, then end to end with the Harvest emulator
(close a 1,200-entry month read in three pages, edit one entry, the sensor re-closes exactly that client-month)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AddDynamicPartitionsRequest,
    DagsterInstance,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    SensorResult,
    build_sensor_context,
)

from billing_assets.cli import main
from billing_assets.definitions import build_defs, build_resources
from billing_assets.partitions import split_key
from resources.harvest_changes import Change, change_from_api
from resources.home import BillingHome
from resources.timesource import CsvTimeSource, HarvestTimeSource
from resources.warehouse_duckdb import DuckDBWarehouse
from sensors.late_entries import (
    ContractNames,
    Cursor,
    build_late_entries_sensor,
    is_closed,
    late_time_entries,
    plan_late_closes,
)
from tests.emulators.harvest_server import Clock, HarvestEmulator, parse_stamp

MONTH = "2026-09"
NORTHWIND = """client: northwind
name: Northwind Traders
currency: USD
terms_days: 30
roles: {principal: 300, designer: 160}
people: {"Maya Chen": principal, "Omar Haddad": designer}
retainer: {monthly_fee: 8000, included_hours: 40}
"""
GLOBEX = """client: globex
name: Globex Corporation
aliases: ["Globex Corp"]
currency: USD
terms_days: 15
default_rate: 140
roles: {partner: 420, consultant: 190}
people: {"Ana Souza": partner, "Raj Patel": consultant}
"""
CLIENTS = {"Northwind Traders": "northwind", "Globex Corporation": "globex", "Globex Corp": "globex"}
PEOPLE = {"Northwind Traders": ["Maya Chen", "Omar Haddad"], "Globex Corporation": ["Ana Souza", "Raj Patel"],
          "Globex Corp": ["Raj Patel"]}
TABLES = ("raw_time_entries", "classified_time_entries", "invoice_lines", "invoices", "line_entries",
          "entry_outcomes")
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- pure logic ---------------------------------------------------------------------------------------------


def resolver(name: str, month: str) -> list[str]:
    return [CLIENTS[name]] if name in CLIENTS else []


def change(n: int, client: str = "Globex Corp", month: str = MONTH, minutes: int = 5, running: bool = False
           ) -> Change:
    return Change(f"harvest:{n}", client, month, at(minutes), running)


def test_plan_requests_exactly_the_changed_closed_client_months() -> None:
    changes = [change(1, "Globex Corp", minutes=5), change(2, "Globex Corporation", minutes=9),
               change(3, "Northwind Traders", "2026-08", minutes=2), change(4, "Initech", minutes=7),
               change(5, "Northwind Traders", "2026-11", minutes=30), change(6, "Globex Corp", "2026-07", 40, True)]
    plan = plan_late_closes(changes, Cursor(T0), "2026-11", resolver)
    assert plan.client_months == {("globex", MONTH): at(9), ("northwind", "2026-08"): at(2)}
    assert plan.unknown == {("Initech", MONTH): 1}
    assert plan.open_months == 1
    assert plan.cursor == Cursor(at(40), frozenset({"harvest:6"}))  # running entries still move the mark
    requests = plan.run_requests()
    assert [(r.run_key, split_key(r.partition_key)) for r in requests] == [
        ("late:globex|2026-09:2026-11-01T12:09:00Z", ("globex", MONTH)),
        ("late:northwind|2026-08:2026-11-01T12:02:00Z", ("northwind", "2026-08"))]
    assert plan_late_closes(changes, Cursor(T0), "2026-11", resolver).run_requests()[0].run_key == \
        requests[0].run_key  # a repeated evaluation asks with the same run_key: the daemon launches once


def test_later_priced_months_are_re_closed_in_the_same_run() -> None:
    """Months after the changed one carry its lots, cap totals and late-change adjustments: one run, in order."""
    plan = plan_late_closes([change(3, "Northwind Traders", "2026-08", minutes=2)], Cursor(T0), "2026-11", resolver)
    (request,) = plan.run_requests({"northwind": "2026-10", "globex": "2026-10"})
    assert request.partition_key is None and request.run_key == "late:northwind|2026-08..2026-10:2026-11-01T12:02:00Z"
    assert request.tags["dagster/asset_partition_range_start"] == "northwind|2026-08"
    assert request.tags["dagster/asset_partition_range_end"] == "northwind|2026-10"


def test_cursor_handles_the_inclusive_one_second_updated_since() -> None:
    first = plan_late_closes([change(1, minutes=5)], Cursor(T0), "2026-11", resolver)
    assert Cursor.parse(first.cursor.serialize(), T0) == first.cursor == Cursor(at(5), frozenset({"harvest:1"}))
    # Harvest returns entry 1 again (updated_since is inclusive) and entry 2, edited in the same second later
    again = plan_late_closes([change(1, minutes=5), change(2, "Northwind Traders", minutes=5)], first.cursor,
                             "2026-11", resolver)
    assert list(again.client_months) == [("northwind", MONTH)]
    assert again.cursor == Cursor(at(5), frozenset({"harvest:1", "harvest:2"}))
    assert plan_late_closes([change(1, minutes=5)], again.cursor, "2026-11", resolver).client_months == {}


def test_cursor_text_forms() -> None:
    default = at(-60)
    assert Cursor.parse(None, default) == Cursor(default, frozenset())
    bare = Cursor.parse("2026-11-01T12:05:00Z", default)
    assert bare == Cursor(at(5)) and bare.serialize() == "2026-11-01T12:05:00Z"
    assert not bare.is_new(change(1, minutes=5)) and bare.is_new(change(1, minutes=6))  # bare: all at mark seen
    assert Cursor.parse("2026-11-01T13:05:00+01:00", default) == Cursor(at(5))
    assert json.loads(Cursor(at(5), frozenset({"harvest:2", "harvest:1"})).serialize()) == {
        "since": "2026-11-01T12:05:00Z", "seen": ["harvest:1", "harvest:2"]}
    assert plan_late_closes([], bare, "2026-11", resolver).cursor == bare


def test_closed_months_are_partition_months_before_the_current_one() -> None:
    assert is_closed("2026-10", "2026-11") and not is_closed("2026-11", "2026-11")
    assert not is_closed("2019-12", "2026-11") and not is_closed("2027-01", "2026-11")


def test_change_from_api_object() -> None:
    raw = {"id": 7, "spent_date": "2026-09-30", "client": {"id": 1, "name": "Globex Corp"},
           "updated_at": "2026-11-01T12:05:00Z", "is_running": False}
    assert change_from_api(raw) == Change("harvest:7", "Globex Corp", MONTH, at(5))


def test_contract_names_by_month_with_amendments_and_bad_contracts(tmp_path: Path) -> None:
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "globex.yaml").write_text(
        GLOBEX + "amendments:\n- {effective_from: 2026-10, aliases: [\"Globex Intl\"]}\n")
    (tmp_path / "contracts" / "broken.yaml").write_text("client: broken\nname: Broken\ncurrency: USD\nbogus: 1\n")
    names = ContractNames(BillingHome(path=str(tmp_path)))
    assert names("Globex Corp", MONTH) == ["globex"] and names("Globex Intl", MONTH) == []
    assert names("Globex Intl", "2026-10") == ["globex"] and names("Globex Corp", "2026-10") == []
    assert names("Broken", MONTH) == [] and "contracts/broken.yaml" in names.problems["broken"]


def test_sensor_status_and_interval_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BILLING_SOURCE", raising=False)
    monkeypatch.delenv("BILLING_LATE_ENTRIES_INTERVAL_SECONDS", raising=False)
    stopped = build_late_entries_sensor()
    assert stopped.default_status == DefaultSensorStatus.STOPPED and stopped.minimum_interval_seconds == 300
    monkeypatch.setenv("BILLING_SOURCE", "harvest")
    monkeypatch.setenv("BILLING_LATE_ENTRIES_INTERVAL_SECONDS", "60")
    running = build_late_entries_sensor()
    assert running.default_status == DefaultSensorStatus.RUNNING and running.minimum_interval_seconds == 60
    assert build_late_entries_sensor(minimum_interval_seconds=900).minimum_interval_seconds == 900


def test_sensor_skips_when_the_source_is_csv(tmp_path: Path) -> None:
    with build_sensor_context(cursor="2026-11-01T12:00:00Z", resources={
            "time_source": CsvTimeSource(home=str(tmp_path)), "home": BillingHome(path=str(tmp_path)),
            "warehouse": DuckDBWarehouse(database=str(tmp_path / "billing.duckdb"))}) as context:
        result = late_time_entries(context)
    assert isinstance(result, SensorResult) and not result.run_requests
    assert "not harvest" in result.skip_reason.skip_message and result.cursor == "2026-11-01T12:00:00Z"


def test_sensor_loads_into_the_project_definitions() -> None:
    defs = build_defs()
    Definitions.validate_loadable(defs)
    sensor_def = defs.resolve_sensor_def("late_time_entries")
    assert sensor_def.job_name == "month_close"
    assert sensor_def.required_resource_keys == {"time_source", "home", "warehouse"}


def evaluate_once(home: Path, harvest: HarvestEmulator, instance: DagsterInstance) -> SensorResult:
    """One evaluation of the sensor on `home` against the emulator, without a cursor."""
    resources = {"time_source": HarvestTimeSource(home=str(home), access_token=harvest.token,
                                                  account_id=harvest.account_id, base_url=harvest.base_url),
                 "home": BillingHome(path=str(home)),
                 "warehouse": DuckDBWarehouse(database=str(home / "billing.duckdb"))}
    with build_sensor_context(instance=instance, resources=resources) as context:
        return late_time_entries(context)


def test_first_evaluation_looks_back_registers_clients_and_skips_unknown_and_open(tmp_path: Path, monkeypatch) -> None:
    from sensors import late_entries

    monkeypatch.setattr(late_entries, "priced_client_months", lambda _warehouse: {("globex", MONTH)})
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "northwind.yaml").write_text(NORTHWIND)
    (tmp_path / "contracts" / "globex.yaml").write_text(GLOBEX)
    now = datetime.now(UTC).replace(microsecond=0)
    with HarvestEmulator(clock=Clock(now - timedelta(days=2))) as harvest, DagsterInstance.ephemeral() as instance:
        ids = harvest.add_entries([{"spent_date": "2026-09-03", "client": "Globex Corp"},
                                   {"spent_date": "2026-09-04", "client": "Initech"},
                                   {"spent_date": now.date().isoformat(), "client": "Northwind Traders"}])
        harvest.add_entries([{"spent_date": "2026-09-05", "client": "Northwind Traders", "is_running": True}])
        result = evaluate_once(tmp_path, harvest, instance)
        since = parse_stamp(harvest.requests[-1].query["updated_since"])
    assert timedelta(days=34) < now - since <= timedelta(days=36)
    assert [split_key(r.partition_key) for r in result.run_requests] == [("globex", MONTH)]
    assert result.dynamic_partitions_requests == [AddDynamicPartitionsRequest("client", ["globex"])]
    assert json.loads(result.cursor)["seen"] == sorted(f"harvest:{i}" for i in [*ids, ids[-1] + 1])


# --- end to end ---------------------------------------------------------------------------------------------


def work(n: int) -> Iterator[dict]:
    """n entries of MONTH over three client spellings (one is an alias), quarter hours 0.25..4.00."""
    for i in range(n):
        client = list(CLIENTS)[i % 3]
        people = PEOPLE[client]
        yield {"spent_date": date(2026, 9, i % 30 + 1).isoformat(), "client": client, "project": "Operations",
               "user": people[i // 3 % len(people)], "hours": Decimal(i % 16 + 1) / 4, "notes": f"work item {i}"}


def emulator_totals(harvest: HarvestEmulator) -> dict[str, tuple[int, Decimal]]:
    totals: dict[str, tuple[int, Decimal]] = {}
    for entry in harvest.data["time_entries"].values():
        client = CLIENTS[entry["client"]["name"]]
        count, hours = totals.get(client, (0, Decimal(0)))
        totals[client] = (count + 1, hours + entry["hours"])
    return totals


def db_rows(home: Path, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql, list(params)).fetchall()


def raw_totals(home: Path) -> dict[str, tuple[int, Decimal]]:
    rows = db_rows(home, "SELECT client, count(*), sum(hours) FROM raw_time_entries WHERE month = ? GROUP BY 1",
                   MONTH)
    return {client: (count, hours) for client, count, hours in rows}


def client_rows(home: Path, client: str) -> dict[str, list[tuple]]:
    return {t: db_rows(home, f"SELECT * FROM {t} WHERE client = ? AND month = ? ORDER BY ALL", client, MONTH)
            for t in TABLES}


def harvest_home(billing_env, monkeypatch: pytest.MonkeyPatch, harvest: HarvestEmulator) -> Path:
    home = billing_env()
    (home / "contracts" / "northwind.yaml").write_text(NORTHWIND)
    (home / "contracts" / "globex.yaml").write_text(GLOBEX)
    monkeypatch.setenv("BILLING_SOURCE", "harvest")
    monkeypatch.setenv("HARVEST_ACCESS_TOKEN", harvest.token)
    monkeypatch.setenv("HARVEST_ACCOUNT_ID", harvest.account_id)
    monkeypatch.setenv("HARVEST_BASE_URL", harvest.base_url)
    return home


def tick(instance: DagsterInstance, cursor: str) -> SensorResult:
    resources = {k: v for k, v in build_resources().items() if k in ("time_source", "home", "warehouse")}
    with build_sensor_context(instance=instance, cursor=cursor, resources=resources) as context:
        result = late_time_entries(context)
    assert isinstance(result, SensorResult)
    return result


def launch(instance: DagsterInstance, request: RunRequest):
    """The run the daemon launches for a sensor's request: its partition, its tags and its run key."""
    return build_defs().resolve_job_def("month_close").execute_in_process(
        instance=instance, partition_key=request.partition_key,
        tags={**request.tags, "dagster/run_key": request.run_key})


def test_late_entry_recloses_exactly_its_client_month(billing_env, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with HarvestEmulator(max_per_page=500) as harvest:
        ids = harvest.add_entries(work(1200))
        home = harvest_home(billing_env, monkeypatch, harvest)
        harvest.fail_next(429)  # one throttled answer for certain, whatever the machine's speed
        assert main(["close", "--month", MONTH]) == 0, capsys.readouterr().out
        assert raw_totals(home) == emulator_totals(harvest)
        assert sorted(db_rows(home, "SELECT client FROM invoices WHERE month = ?", MONTH)) == [("globex",),
                                                                                               ("northwind",)]
        pages = [r for r in harvest.requests if r.path == "/v2/time_entries" and r.status == 200]
        statuses = {r.status for r in harvest.requests}
        assert 429 in statuses and statuses <= {200, 429}
        assert len(pages) % 3 == 0 and sum("cursor" in r.query for r in pages) == len(pages) * 2 // 3  # 3 pages
        before = {c: client_rows(home, c) for c in ("northwind", "globex")}
        raw_before = raw_totals(home)

        harvest.clock.advance(3600)
        edited = harvest.edit_entry(ids[2], hours="9.75")  # a "Globex Corp" (alias) entry, was 0.75 h
        with DagsterInstance.get() as instance:
            result = tick(instance, "2026-11-01T12:00:00Z")  # the mark after the close
            polls = [r for r in harvest.requests if "updated_since" in r.query]
            assert polls[-1].query["updated_since"] == "2026-11-01T12:00:00Z"
            assert [(r.run_key, split_key(r.partition_key)) for r in result.run_requests] == [
                ("late:globex|2026-09:2026-11-01T13:00:00Z", ("globex", MONTH))]
            cursor = json.loads(result.cursor)
            assert (cursor["since"], cursor["seen"]) == (edited["updated_at"], [f"harvest:{ids[2]}"])
            assert "swept" in cursor  # a first sweep for deletions ran: nothing was deleted

            run = launch(instance, result.run_requests[0])
            assert run.success

            after = {c: client_rows(home, c) for c in ("northwind", "globex")}
            assert after["northwind"] == before["northwind"]
            assert after["globex"]["invoices"] != before["globex"]["invoices"]
            assert raw_totals(home) == emulator_totals(harvest)
            outcome_hours = db_rows(home, "SELECT sum(source_hours) FROM entry_outcomes WHERE client = 'globex' "
                                    "AND month = ?", MONTH)[0][0]
            assert outcome_hours == raw_totals(home)["globex"][1] == raw_before["globex"][1] + 9
            assert tick(instance, result.cursor).run_requests == []

            harvest.clock.advance(3600)  # an expense added to the closed month: it was never billed
            [spent] = harvest.add_expenses([{"spent_date": "2026-09-20", "client": "Globex Corp",
                                             "total_cost": "300.00"}])
            later = tick(instance, result.cursor)
            assert [split_key(r.partition_key) for r in later.run_requests] == [("globex", MONTH)]
            assert json.loads(later.cursor)["seen"] == [f"expense:harvest:{spent}"]
            assert json.loads(later.cursor)["pending"]  # followed until a run of it succeeds
            assert tick(instance, later.cursor).run_requests[0].run_key == later.run_requests[0].run_key  # one run
            assert launch(instance, later.run_requests[0]).success

            # An entry deleted in Harvest: `updated_since` never says so. The hourly sweep finds the closed month
            # that still bills it and re-closes that client-month alone.
            harvest.delete_entry(ids[0])  # Northwind Traders, 2026-09-01
            assert tick(instance, later.cursor).run_requests == []  # swept less than an hour ago
            hour_ago = {**json.loads(later.cursor), "swept": "2026-01-01T00:00:00Z"}
            swept = tick(instance, json.dumps(hour_ago))
            [request] = swept.run_requests
            assert split_key(request.partition_key) == ("northwind", MONTH)
            assert request.run_key.startswith("deleted:northwind|2026-09:")
            assert request.tags["billing/trigger"] == "late_entries_deleted"
            assert tick(instance, json.dumps(hour_ago)).run_requests[0].run_key == request.run_key  # one run
            run = launch(instance, request)
            assert run.success
            assert raw_totals(home)["northwind"] == emulator_totals(harvest)["northwind"]
            assert tick(instance, json.dumps(hour_ago)).run_requests == []  # nothing of it is billed any more


def first_tick_on_a_globex_entry(home: Path) -> SensorResult:
    """The first evaluation on a home with Globex's contract and one September entry of it in Harvest."""
    (home / "contracts").mkdir()
    (home / "contracts" / "globex.yaml").write_text(GLOBEX)
    now = datetime.now(UTC).replace(microsecond=0)
    with HarvestEmulator(clock=Clock(now - timedelta(days=2))) as harvest, DagsterInstance.ephemeral() as instance:
        harvest.add_entries([{"spent_date": "2026-09-03", "client": "Globex Corp"}])
        return evaluate_once(home, harvest, instance)


def test_a_sweep_harvest_refuses_leaves_the_late_changes_and_is_tried_again(tmp_path: Path, monkeypatch) -> None:
    from resources.harvest_api import HarvestError
    from sensors import late_entries

    def refused(*_args, **_kwargs):
        raise HarvestError("GET /v2/time_entries: 503 Service Unavailable\ndetails")

    monkeypatch.setattr(late_entries, "find_deletions", refused)
    monkeypatch.setattr(late_entries, "priced_client_months", lambda _warehouse: {("globex", MONTH)})
    result = first_tick_on_a_globex_entry(tmp_path)
    assert [split_key(r.partition_key) for r in result.run_requests] == [("globex", MONTH)]
    assert "swept" not in json.loads(result.cursor)  # the next tick sweeps again


def test_a_month_never_closed_is_not_closed_by_the_sensor(tmp_path: Path) -> None:
    """Found by an auditor: the first tick of a new instance closed (and, with QuickBooks, drafted) every month with
    an entry updated in the last 35 days, before anyone closed anything."""
    result = first_tick_on_a_globex_entry(tmp_path)
    assert result.run_requests == [] and json.loads(result.cursor)["seen"]  # read, and left to its close


def test_approval_refuses_a_month_changed_in_harvest_since_its_close(billing_env, monkeypatch, capsys) -> None:
    """Found by an auditor: with Harvest, nothing but the sensor checked closed months; with the daemon down (or
    before its tick) approval sent a month whose entry had changed, short."""
    with HarvestEmulator(clock=Clock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))) as harvest:
        ids = harvest.add_entries(work(40))
        home = harvest_home(billing_env, monkeypatch, harvest)
        assert main(["close", "--month", MONTH]) == 0, capsys.readouterr().out
        harvest.clock.advance((datetime.now(UTC) - harvest.clock.now()).total_seconds() + 1)  # Harvest's clock: now
        harvest.edit_entry(ids[2], hours="9.75")  # a Globex Corp (alias) entry, after the close
        time.sleep(2)  # the next close begins after the edit
        capsys.readouterr()
        assert main(["approve", "--month", MONTH, "--by", "Dana"]) == 1
        out = capsys.readouterr().out
        assert (f"globex                       {MONTH}  skipped       1 entry or expense(s) changed in Harvest "
                "since it was closed: close") in out
        assert f"northwind                    {MONTH}  sent" in out  # its entries are as closed
        assert main(["close", "--month", MONTH, "--client", "globex"]) == 0
        assert main(["approve", "--month", MONTH, "--by", "Dana"]) == 0
        assert db_rows(home, "SELECT client FROM sent_invoices ORDER BY client") == [("globex",), ("northwind",)]


def test_approval_refuses_the_month_an_entry_moved_away_from(billing_env, monkeypatch, capsys) -> None:
    """An entry moved in Harvest to a client under no contract leaves its closed month short: approval refuses
    the month that holds it (it matched changes by their new client and month only)."""
    with HarvestEmulator(clock=Clock(datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5))) as harvest:
        ids = harvest.add_entries(work(40))
        home = harvest_home(billing_env, monkeypatch, harvest)
        assert main(["close", "--month", MONTH]) == 0, capsys.readouterr().out
        harvest.clock.advance((datetime.now(UTC) - harvest.clock.now()).total_seconds() + 1)
        harvest.edit_entry(ids[1], client="Someone Else Ltd")  # a Globex Corporation entry, moved away
        time.sleep(2)
        capsys.readouterr()
        assert main(["approve", "--month", MONTH, "--by", "Dana"]) == 1
        out = capsys.readouterr().out
        assert (f"globex                       {MONTH}  skipped       1 entry or expense(s) changed in Harvest "
                "since it was closed: close") in out
        assert f"northwind                    {MONTH}  sent" in out
        hours = "SELECT sum(hours) FROM raw_time_entries WHERE client = 'globex'"
        billed = db_rows(home, hours)[0][0]
        assert main(["close", "--month", MONTH, "--client", "globex"]) == 0
        assert db_rows(home, hours)[0][0] == billed - Decimal("0.5")
        assert main(["approve", "--month", MONTH, "--by", "Dana"]) == 0


def test_validate_reads_harvest_for_the_months_asked(billing_env, monkeypatch, capsys) -> None:
    """`billing validate` with Harvest read only the empty folder and said 0 problems; it reads the API now."""
    with HarvestEmulator() as harvest:
        harvest.add_entries([*work(6), {"spent_date": "2026-09-04", "client": "Someone Else Ltd",
                                        "project": "Operations", "user": "Maya Chen", "hours": Decimal("1.5")}])
        harvest_home(billing_env, monkeypatch, harvest)
        assert main(["validate", "--month", MONTH]) == 0  # time of no contract is a warning, as the close says it
        out = capsys.readouterr().out
        assert "Harvest API v2 time entries" in out
        assert ("warning: Harvest API: entries 100007: unknown client 'Someone Else Ltd' (no contract name or alias "
                "matches; unknown_client): 1.5 h billable billed to nobody; add the name to a contract's aliases if "
                "it is a client's time") in out
        assert "0 problem(s), 1 warning(s)" in out
        monkeypatch.setenv("HARVEST_ACCESS_TOKEN", "wrong")
        assert main(["validate", "--month", MONTH]) == 1
        err = capsys.readouterr().err
        assert err.startswith(f"billing: Harvest could not be read for {MONTH}..{MONTH}: ") and err.count("\n") == 1
