"""What-if backtests: golden case 01 (a 40-hour retainer with rollover) closed for real, then priced under a
changed contract (designer rate 160 -> 170, 35 included hours, rollover cap 5) by `billing whatif` and by the
`whatif` job, against a hand computation from the spec and the pricing core run on the changed contract."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from billing_assets.cli import main
from billing_assets.core.contract import ContractFile
from billing_assets.core.pricing import LedgerState, Lot, PricingEntry, price_month
from billing_assets.core.whatif import MonthInputs, backtest
from tests.conftest import GOLDEN, use_home

MONTHS = ["2026-07", "2026-08", "2026-09", "2026-10"]
TABLES = ("invoices", "invoice_lines", "line_entries", "retainer_ledger", "cap_ledger", "entry_outcomes",
          "classified_time_entries", "raw_time_entries", "invoice_pushes", "period_adjustments", "partition_status")

# Hand computation (BILLING_SPEC section 4) of the changed contract over the golden 01 time:
# July: 30 standard h, all covered by 35; 5 unused carried (cap 5).               total 8,000.00
# August: 52 standard h against 5 (July) + 35 = 40 -> 12 h overage, the last 12 in processing order:
#   Lena 1.5 + 3.5 (developer 180) = 900; Omar 3.5 + 1.5 of 3.5 (designer 170) = 850; Maya 2 (principal 300) = 600;
#   rush outside the retainer: Lena 6 x 180 x 1.5 = 1,620; Omar 2.5 x 170 x 1.5 = 637.50.  total 12,607.50
#   (the real invoice, from a 10 h July lot and 40 included, was 10,570.00)
# September: nothing carried; 38 standard h against 35 -> 3 h overage: Maya 2 x 300 + Lena 1 x 180 = 780;
#   rush 2,257.50 as in August.                                                    total 11,037.50
# October (never closed here: no invoice): no time, the retainer fee only.        total 8,000.00
EXPECTED = {"2026-07": ("8000.00", "8000.00"), "2026-08": ("10570.00", "12607.50"),
            "2026-09": ("10220.00", "11037.50"), "2026-10": (None, "8000.00")}


def changed_contract(folder: Path) -> Path:
    data = yaml.safe_load((GOLDEN / "01_retainer_rush_rollover" / "contracts" / "northwind.yaml").read_text())
    data["roles"]["designer"] = 170
    data["retainer"]["included_hours"] = 35
    data["retainer"]["rollover"]["max_hours"] = 5
    path = folder / "northwind-2027-terms.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def table_hashes(home: Path) -> dict[str, str]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        hashes = {t: hashlib.sha256(repr(sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall()))).encode())
                  .hexdigest() for t in TABLES}
    for path in sorted((home / "outbox").rglob("*")):
        if path.is_file():
            hashes[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


@pytest.fixture(scope="module")
def closed_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Golden 01 closed for 2026-07..2026-09 through `billing close` (outbox push); October stays unclosed."""
    with pytest.MonkeyPatch.context() as mp:
        home = use_home(mp, tmp_path_factory.mktemp("whatif"), GOLDEN / "01_retainer_rush_rollover")
        assert main(["close", "--month", "2026-07..2026-09"]) == 0
        yield home


def test_cli_json_matches_hand_computation_and_writes_nothing(closed_home: Path, capsys) -> None:
    before = table_hashes(closed_home)
    assert any(key.startswith("outbox") for key in before)
    capsys.readouterr()
    assert main(["whatif", "--contract", str(changed_contract(closed_home.parent)), "--month", "2026-07..2026-10",
                 "--json"]) == 0
    printed = capsys.readouterr()
    assert printed.err == ""  # rates and retainer terms only: no classification-only change to note
    report = json.loads(printed.out)
    assert [r["month"] for r in report] == MONTHS
    for r in report:
        current, whatif = EXPECTED[r["month"]]
        assert (r["client"], r["current_total"], r["whatif_total"]) == ("northwind", current, whatif)
        assert r["difference"] == (None if current is None else f"{Decimal(whatif) - Decimal(current):.2f}")
    august = {(line["kind"], line["description"]): line for line in report[1]["lines"]}
    overage = [line for (kind, _), line in august.items() if kind == "overage"]
    assert sum(Decimal(line["whatif_amount"]) for line in overage) == Decimal("2350.00")
    assert sum(Decimal(line["current_amount"]) for line in overage) == Decimal("350.00")
    assert sum(Decimal(line["whatif_quantity"]) for line in overage) == Decimal("12")
    rush_designer = august[("hourly", "Hourly: Brand Retainer / designer (rush)")]
    assert (rush_designer["current_amount"], rush_designer["whatif_amount"]) == ("600.00", "637.50")
    assert report[0]["lines"] == []  # July: the same lines, nothing moved
    assert [(line["kind"], line["current_amount"], line["whatif_amount"]) for line in report[3]["lines"]] == \
        [("retainer_fee", "0.00", "8000.00")]  # October: no invoice, so every what-if line is new
    assert table_hashes(closed_home) == before  # tables and outbox byte-for-byte untouched


def test_core_chain_equals_pricing_core_month_by_month(closed_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The backtest equals the pricing core run on the changed contract independently, each month from the
    previous month's result under the changed terms (not from the real ledger)."""
    from billing_assets.whatif import ScenarioContractFile, reading, whatif_reports

    monkeypatch.setenv("BILLING_DB", str(closed_home / "billing.duckdb"))

    folder = closed_home.parent / "core"
    folder.mkdir(exist_ok=True)
    scenario = ScenarioContractFile(changed_contract(folder))
    with reading() as conn:
        stored = conn.rows("SELECT r.month, r.entry_id, r.project, r.person, r.roles, r.hours, c.work_type, "
                           "c.sow_item, c.held FROM raw_time_entries r JOIN classified_time_entries c USING "
                           "(client, month, entry_id) ORDER BY r.entry_date, r.source_file, r.source_row")
        rows = [tuple(r.values()) for r in stored]
        reports = whatif_reports(conn, scenario, MONTHS[1:3])
    prior = LedgerState()
    independent = {}
    for month in MONTHS:
        entries = [PricingEntry(e, p, who, roles, Decimal(h), wt, sow, held=held)
                   for m, e, p, who, roles, h, wt, sow, held in rows if m == month]
        result = price_month(scenario.for_month(month), month, entries, [], prior)
        independent[month] = result.totals.total
        prior = result.carried()
    assert independent == {m: Decimal(EXPECTED[m][1]) for m in MONTHS}
    # a report of August..September alone still chains from July under the changed contract
    assert [(r.month, r.whatif_total) for r in reports] == [(m, independent[m]) for m in MONTHS[1:3]]
    # pricing August from the REAL July ledger (a 10 h lot) would be wrong: 45 h of allowance, not 40
    wrong = price_month(scenario.for_month("2026-08"), "2026-08",
                        [PricingEntry(e, p, who, roles, Decimal(h), wt, sow, held=held)
                         for m, e, p, who, roles, h, wt, sow, held in rows if m == "2026-08"], [],
                        LedgerState(lots=(Lot("2026-07", Decimal(10)),)))
    assert wrong.totals.total != independent["2026-08"]


def test_unchanged_contract_reports_no_difference(closed_home: Path, capsys) -> None:
    assert main(["whatif", "--contract", str(closed_home / "contracts" / "northwind.yaml"), "--month",
                 "2026-08..2026-09", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["difference"], r["lines"], r["problems"]) for r in report] == [("0.00", [], [])] * 2


def test_invalid_contract_and_client_mismatch_exit_2(closed_home: Path, capsys) -> None:
    bad = closed_home.parent / "bad-terms.yaml"
    text = (closed_home / "contracts" / "northwind.yaml").read_text().replace("max_hours: 10", "max_hours: -5")
    bad.write_text(text)
    capsys.readouterr()
    assert main(["whatif", "--contract", str(bad), "--month", "2026-08"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"{bad}: retainer.rollover.max_hours: Input should be greater than or equal to 0"
    assert main(["whatif", "--contract", str(closed_home / "contracts" / "northwind.yaml"), "--month", "2026-08",
                 "--client", "globex"]) == 2
    assert "the contract is for 'northwind', not --client 'globex'" in capsys.readouterr().err


def test_months_without_invoice_or_outside_are_said(closed_home: Path, capsys) -> None:
    assert main(["whatif", "--contract", str(closed_home / "contracts" / "northwind.yaml"), "--month",
                 "2026-06..2026-10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["northwind 2026-06: no invoice priced  what-if 0.00",
                       "  problem: bills nothing under the changed contract: 2026-06 is outside the engagement "
                       "(2026-07..; start from first source data)"]
    assert "northwind 2026-09: current 10,220.00  what-if 10,220.00  difference +0.00" in out
    assert "northwind 2026-10: no invoice priced  what-if 8,000.00" in out
    assert out[-1] == "total difference over 3 invoiced month(s): +0.00"


def test_months_a_changed_end_leaves_outside_bill_nothing(closed_home: Path, tmp_path: Path, capsys) -> None:
    """Found by an auditor: with `end` moved before months that were invoiced, those months showed "what-if -" and
    the total difference left them out; outside the engagement a month bills nothing (spec section 2)."""
    data = yaml.safe_load((GOLDEN / "01_retainer_rush_rollover" / "contracts" / "northwind.yaml").read_text())
    ended = tmp_path / "northwind-ended.yaml"
    ended.write_text(yaml.safe_dump({**data, "end": "2026-07"}, sort_keys=False))
    assert main(["whatif", "--contract", str(ended), "--month", "2026-07..2026-09", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [(r["month"], r["current_total"], r["whatif_total"], r["difference"]) for r in report] == [
        ("2026-07", "8000.00", "8000.00", "0.00"), ("2026-08", "10570.00", "0.00", "-10570.00"),
        ("2026-09", "10220.00", "0.00", "-10220.00")]
    assert main(["whatif", "--contract", str(ended), "--month", "2026-07..2026-09"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "total difference over 3 invoiced month(s): -20,790.00"


def test_a_month_never_closed_has_no_whatif_total(closed_home: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    """Found by an auditor: a month never closed was priced from the warehouse's nothing, a what-if of 0.00 (or the
    retainer fee) for time its exports hold; the what-if prices the stored classification, so it says to close it."""
    home = tmp_path / "home"
    shutil.copytree(closed_home, home)
    with (home / "timesheets" / "harvest_time_b.csv").open("a") as sheet:
        sheet.write("2026-10-05,Northwind Traders,Brand Retainer,NW-RET,Design,Design iteration 99 on campaign "
                    "assets,3.50,3.50,Yes,No,Yes,Omar,Haddad,,,Yes,,,,,United States Dollar - USD,\n")
    monkeypatch.setenv("BILLING_HOME", str(home))
    monkeypatch.setenv("BILLING_DB", str(home / "billing.duckdb"))
    assert main(["whatif", "--contract", str(changed_contract(tmp_path)), "--month", "2026-09..2026-10"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "northwind 2026-10: no invoice priced  what-if -" in out
    assert ("  problem: 2026-10 has no priced invoice here, yet its exports hold billable time: the what-if prices "
            "the stored classification, so close 2026-10 first") in out
    assert out[out.index("northwind 2026-10: no invoice priced  what-if -") + 1].startswith("  problem: ")  # no lines
    assert "northwind 2026-09: current 10,220.00  what-if 11,037.50  difference +817.50" in out  # closed: as before


def test_a_month_outside_the_real_engagement_is_not_billed_nothing_by_a_changed_start(
        tmp_path: Path, monkeypatch, capsys) -> None:
    """Found by an auditor: with the real contract starting in September, a changed contract without `start` was
    priced from September (the warehouse's first month with data) and called August outside, what-if 0.00, though
    August's exports hold globex time: August is a month the what-if cannot price, not one that bills nothing."""
    with monkeypatch.context() as patch:
        home = use_home(patch, tmp_path, GOLDEN / "02_rate_cards_rounding")
        contract = home / "contracts" / "globex.yaml"
        unchanged = contract.read_text()
        contract.write_text(unchanged + "start: 2026-09\n")
        assert main(["close", "--month", "2026-08..2026-09"]) == 0
        capsys.readouterr()
        (tmp_path / "no-start.yaml").write_text(unchanged)
        assert main(["whatif", "--contract", str(tmp_path / "no-start.yaml"), "--month", "2026-08..2026-09"]) == 0
        out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["globex 2026-08: no invoice priced  what-if -",
                       "  problem: 2026-08 has no priced invoice here, yet its exports hold billable time: the what-if "
                       "prices the stored classification, so close 2026-08 first"]
    assert out[-1] == "total difference over 1 invoiced month(s): +0.00"


def test_sow_item_missing_from_changed_contract_is_a_problem_not_a_crash() -> None:
    """Pure: entries classified to an item the changed contract dropped are held and reported per month."""
    path = GOLDEN / "03_caps_tiers_fixed_fee" / "contracts" / "initech.yaml"
    data = yaml.safe_load(path.read_text())
    data["sow"]["items"] = [i for i in data["sow"]["items"] if i["id"] != "S2"]
    data["caps"] = [c for c in data["caps"] if c.get("sow_item") != "S2"]
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "initech.yaml"
        target.write_text(yaml.safe_dump(data))
        contract = ContractFile(target)
    entries = [PricingEntry("a", "TPS Automation", "Joanna Park", "", Decimal("2"), "standard", "S1"),
               PricingEntry("b", "Hosting", "Peter Gibbons", "", Decimal("3.5"), "standard", "S2"),
               PricingEntry("c", "Hosting", "Peter Gibbons", "", Decimal("1"), "standard", "S2"),
               # written off by a reviewer: never priced, whatever its item, so not "unpriced" by the change
               PricingEntry("d", "Hosting", "Peter Gibbons", "", Decimal("0.75"), "standard", "S2", write_off=True)]
    [report] = backtest("initech", contract.for_month, ["2026-08"], "2026-08",
                        {"2026-08": MonthInputs(entries=entries, current_total=Decimal("1000.00"))})
    assert report.problems == ["2 entries (4.5 h) classified to SOW item 'S2', which the changed contract lacks: "
                               "hours unpriced"]
    # 2 h of the lead at 250 = 500, raised to the 3,000 monthly minimum
    assert (report.whatif_total, report.difference) == (Decimal("3000.00"), Decimal("2000.00"))


def test_whatif_job_reports_metadata(closed_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job a person launches from the UI, through the Definitions, with the contract's YAML as config."""
    from billing_assets.definitions import build_defs

    monkeypatch.setenv("BILLING_HOME", str(closed_home))
    monkeypatch.setenv("BILLING_DB", str(closed_home / "billing.duckdb"))
    before = table_hashes(closed_home)
    contract_yaml = changed_contract(closed_home.parent).read_text()
    job = build_defs().get_job_def("whatif")
    result = job.execute_in_process(run_config={"ops": {"whatif_backtest": {"config": {
        "months": "2026-07..2026-10", "contract_yaml": contract_yaml}}}})
    assert result.success
    [output] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    metadata = output.event_specific_data.metadata
    report = metadata["report"].value
    assert [(r["month"], r["current_total"], r["whatif_total"]) for r in report] == \
        [(m, *EXPECTED[m]) for m in MONTHS]
    assert metadata["total_difference"].value == "2855.00"  # 2,037.50 + 817.50
    assert "| 2026-08 | 10,570.00 | 12,607.50 | +2,037.50 | 0 |" in metadata["months"].value
    assert "| 2026-10 | - | 8,000.00 | - | 0 |" in metadata["months"].value
    assert "overage" in metadata["lines 2026-08"].value
    assert metadata["notes"].value == "none"
    assert table_hashes(closed_home) == before


def test_classification_only_changes_are_noted(closed_home: Path, capsys) -> None:
    """The what-if prices the stored classification: a changed task_map or rush keyword is said, not silently
    ignored."""
    data = yaml.safe_load((closed_home / "contracts" / "northwind.yaml").read_text())
    data["rush_keywords"].append("rush")
    data["task_map"]["Design"] = "rush"
    path = closed_home.parent / "rush-terms.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["whatif", "--contract", str(path), "--month", "2026-08"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "note: the changed contract's task_map, rush_keywords differ from contracts/northwind.yaml: the what-if "
        "prices the stored classification, so those changes are not reflected until the months are re-classified",
        "northwind 2026-08: current 10,570.00  what-if 10,570.00  difference +0.00"]


def test_whatif_job_reads_a_contract_path_in_the_home_and_fails_clearly(closed_home: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from billing_assets.definitions import build_defs

    monkeypatch.setenv("BILLING_HOME", str(closed_home))
    monkeypatch.setenv("BILLING_DB", str(closed_home / "billing.duckdb"))
    (closed_home / "scenarios").mkdir(exist_ok=True)
    changed_contract(closed_home / "scenarios")
    job = build_defs().get_job_def("whatif")

    def run(config: dict):
        return job.execute_in_process(run_config={"ops": {"whatif_backtest": {"config": config}}},
                                      raise_on_error=False)

    result = run({"months": "2026-09", "contract_path": "scenarios/northwind-2027-terms.yaml"})
    [output] = [e for e in result.all_node_events if e.event_type_value == "STEP_OUTPUT"]
    assert [(r["month"], r["whatif_total"]) for r in output.event_specific_data.metadata["report"].value] == \
        [("2026-09", "11037.50")]
    failures = {
        "contract_yaml: retainer.rollover.max_hours: Input should be greater than or equal to 0": {
            "months": "2026-09", "contract_yaml": (closed_home / "contracts" / "northwind.yaml").read_text()
            .replace("max_hours: 10", "max_hours: -1")},
        "config: give exactly one of contract_path and contract_yaml": {"months": "2026-09"},
        "months: must be YYYY-MM or YYYY-MM..YYYY-MM (first <= last), got '2026-13'": {
            "months": "2026-13", "contract_path": "scenarios/northwind-2027-terms.yaml"},
    }
    for message, config in failures.items():
        result = run(config)
        [failure] = [e for e in result.all_node_events if e.event_type_value == "STEP_FAILURE"]
        assert not result.success and failure.event_specific_data.error.message.strip().endswith(message), message


def test_name_alias_and_currency_changes_are_named_not_priced_as_comparable(closed_home: Path, capsys) -> None:
    """Which export rows are the client's (name, aliases) and whether they can be billed (currency) are decided
    before classification: the what-if prices the rows the current contract matched, so such a change is said, and
    a total in another currency is never shown as a difference."""
    data = yaml.safe_load((closed_home / "contracts" / "northwind.yaml").read_text())
    renamed = closed_home.parent / "renamed-terms.yaml"
    renamed.write_text(yaml.safe_dump(data | {"name": "Northwind Holdings", "aliases": ["NW Holdings"]}))
    capsys.readouterr()
    assert main(["whatif", "--contract", str(renamed), "--month", "2026-08"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "note: the changed contract's name or aliases differ from contracts/northwind.yaml (only in the changed "
        "contract: 'NW Holdings', 'Northwind Holdings'; only in contracts/northwind.yaml: 'Northwind Traders'): the "
        "what-if prices the rows the current contract matched; a close under the changed contract matches export "
        "rows by its own names",
        "northwind 2026-08: current 10,570.00  what-if 10,570.00  difference +0.00",
        "total difference over 1 invoiced month(s): +0.00"]

    euro = closed_home.parent / "euro-terms.yaml"
    euro.write_text(yaml.safe_dump(data | {"currency": "EUR"}))
    note = ("note: the changed contract bills in EUR, contracts/northwind.yaml in USD: the what-if totals are in EUR "
            "and not compared with the invoices; a close under the changed contract stops months whose export amounts "
            "are in USD (currency_matches)")
    assert main(["whatif", "--contract", str(euro), "--month", "2026-08..2026-10"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        note,
        "northwind 2026-08: current 10,570.00 USD  what-if 10,570.00 EUR  not compared: USD invoice, EUR what-if",
        "northwind 2026-09: current 10,220.00 USD  what-if 10,220.00 EUR  not compared: USD invoice, EUR what-if",
        "northwind 2026-10: no invoice priced  what-if 8,000.00 EUR",
        "  retainer_fee       Monthly retainer 2026-10                         qty      0 -> 1      amount       "
        "0.00 -> 8,000.00"]  # and no total line: no month is comparable
    assert main(["whatif", "--contract", str(euro), "--month", "2026-09", "--json"]) == 0
    printed = capsys.readouterr()
    assert printed.err.strip() == note
    [report] = json.loads(printed.out)
    assert (report["current_total"], report["current_currency"], report["whatif_total"], report["whatif_currency"],
            report["difference"]) == ("10220.00", "USD", "10220.00", "EUR", None)
    # the same currency on both sides: the difference as before, the currency said in the JSON
    assert main(["whatif", "--contract", str(closed_home / "contracts" / "northwind.yaml"), "--month", "2026-09",
                 "--json"]) == 0
    [same] = json.loads(capsys.readouterr().out)
    assert (same["current_currency"], same["whatif_currency"], same["difference"]) == ("USD", "USD", "0.00")


def test_whatif_job_refuses_months_not_closed_as_the_cli_does(closed_home: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys) -> None:
    """The job applies `billing --month`'s rule with its message: closed months only, written without spaces."""
    from datetime import UTC, datetime

    from billing_assets.core.months import add_months
    from billing_assets.definitions import build_defs

    now = datetime.now(UTC)
    current = f"{now.year:04d}-{now.month:02d}"
    monkeypatch.setenv("BILLING_HOME", str(closed_home))
    monkeypatch.setenv("BILLING_DB", str(closed_home / "billing.duckdb"))
    contract_yaml = (closed_home / "contracts" / "northwind.yaml").read_text()
    job = build_defs().get_job_def("whatif")
    failures = {
        current: f"months: {current} is not closed yet (the current month is excluded until it ends)",
        f"2026-09..{add_months(current, 4)}":
            f"months: {add_months(current, 4)} is in the future (the current month is {current}, and it is excluded "
            "until it ends)",
        " 2026-08 ": "months: must be YYYY-MM or YYYY-MM..YYYY-MM (first <= last), got ' 2026-08 '",
    }
    for months, message in failures.items():
        result = job.execute_in_process(run_config={"ops": {"whatif_backtest": {"config": {
            "months": months, "contract_yaml": contract_yaml}}}}, raise_on_error=False)
        [failure] = [e for e in result.all_node_events if e.event_type_value == "STEP_FAILURE"]
        assert not result.success and failure.event_specific_data.error.message.strip().endswith(message), months
    with pytest.raises(SystemExit) as refused:
        main(["whatif", "--contract", str(closed_home / "contracts" / "northwind.yaml"), "--month", current])
    assert str(refused.value) == f"billing: {current} is not closed yet (the current month is excluded until it ends)"
    # the one rule both apply (cli.parse_months and the job), with the date given
    from billing_assets.core.whatif import not_closed_yet

    assert not_closed_yet(["2026-10"], datetime(2026, 11, 27, tzinfo=UTC)) is None
    assert not_closed_yet(["2026-10", "2026-11"], datetime(2026, 11, 27, tzinfo=UTC)) == \
        "2026-11 is not closed yet (the current month is excluded until it ends)"
