"""The Northbeam Partners demo billing home (demo_firm/: data files and generator): deterministic, valid, and covering
every contract rule of the billing spec."""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

import demo_firm as demo
from billing_assets.core.contract import load_contracts
from billing_assets.core.contract_checks import DecimalLoader
from billing_assets.core.rates import base_rate, resolve_role
from billing_assets.core.sources import read_folder

MONTHS = ("2026-08", "2026-09", "2026-10")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
SPEC_TOP_KEYS = {
    "client", "name", "aliases", "currency", "terms_days", "require_project_code", "rounding",
    "default_rate", "roles", "people", "rate_overrides", "work_types", "task_map", "rush_keywords",
    "retainer", "caps", "tiers", "discount_pct", "minimum_monthly_fee", "expenses", "review", "sow",
    "amendments",
}
GOLDEN = Path(__file__).resolve().parents[2] / "shared" / "golden"


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _rows(home: Path, folder: str) -> list[dict[str, str]]:
    rows = []
    for path in sorted((home / folder).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "home"
    demo.write_demo_home(root)
    return root


@pytest.fixture(scope="module")
def contracts(home: Path) -> dict[str, dict]:
    """Every contract as loaded YAML (numbers as Decimal, the way the project reads them)."""
    return {p.stem: yaml.load(p.read_text(encoding="utf-8"), Loader=DecimalLoader)
            for p in sorted((home / "contracts").glob("*.yaml"))}


@pytest.fixture(scope="module")
def time_rows(home: Path) -> list[dict[str, str]]:
    return _rows(home, "timesheets")


# ---- determinism and layout --------------------------------------------------------------------------------


def test_two_calls_write_byte_identical_trees(tmp_path: Path) -> None:
    demo.write_demo_home(tmp_path / "a")
    demo.write_demo_home(tmp_path / "b", seed=2026)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert list(a) == list(b)
    assert a == b
    # Writing over an existing home gives the same bytes again.
    demo.write_demo_home(tmp_path / "a")
    assert _tree(tmp_path / "a") == b


def test_seed_changes_time_but_not_contracts(tmp_path: Path) -> None:
    demo.write_demo_home(tmp_path / "a", seed=2026)
    demo.write_demo_home(tmp_path / "b", seed=7)
    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert {k: v for k, v in a.items() if k.startswith("contracts/")} == \
        {k: v for k, v in b.items() if k.startswith("contracts/")}
    assert a["timesheets/harvest_time_2026-09.csv"] != b["timesheets/harvest_time_2026-09.csv"]


def test_home_layout(home: Path) -> None:
    files = sorted(_tree(home))
    assert files == sorted(
        ["README.md", "overrides/README.txt"]
        + [f"contracts/{c.slug}.yaml" for c in demo.CLIENTS]
        + [f"timesheets/harvest_time_{m}.csv" for m in MONTHS]
        + [f"expenses/harvest_expenses_{m}.csv" for m in MONTHS])
    assert list((home / "overrides").glob("*.csv")) == []
    overrides_readme = (home / "overrides" / "README.txt").read_text()
    assert "entry_id,work_type,sow_item,action,note" in overrides_readme
    readme = (home / "README.md").read_text()
    assert "Northbeam Partners" in readme
    for client in demo.CLIENTS:
        assert f"`{client.slug}`" in readme


def test_main_writes_the_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert demo.main([str(tmp_path / "cli"), "--seed", "2026"]) == 0
    assert "12 clients" in capsys.readouterr().out
    demo.write_demo_home(tmp_path / "api")
    assert _tree(tmp_path / "cli") == _tree(tmp_path / "api")


# ---- contracts -------------------------------------------------------------------------------------------


def test_twelve_valid_contracts(home: Path, contracts: dict[str, dict]) -> None:
    good, bad = load_contracts(home / "contracts")
    assert bad == {}
    assert len(good) == 12
    assert len(contracts) == 12
    names = [c["name"] for c in contracts.values()]
    assert len(set(names)) == 12
    all_names = names + [a for c in contracts.values() for a in c.get("aliases", [])]
    assert len(set(all_names)) == len(all_names)
    for stem, contract in contracts.items():
        assert SLUG.fullmatch(stem)
        assert contract["client"] == stem
        assert set(contract) <= SPEC_TOP_KEYS, stem
        assert contract["currency"] == "USD"
        assert isinstance(contract["terms_days"], Decimal)
        for month in MONTHS:  # every amended version validates too
            assert good[stem].for_month(month).client == stem


def test_contract_numbers_and_months_are_written_plainly(home: Path) -> None:
    for path in sorted((home / "contracts").glob("*.yaml")):
        text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.startswith("#"))
        assert not re.search(r"\d[eE][+-]?\d", text), path.name  # no exponent notation
        for month in re.findall(r"(?:since|effective_from): (\S+)", text):
            assert re.fullmatch(r'"\d{4}-\d{2}"[,}]?', month), (path.name, month)
        for month in re.finditer(r"(?<!\d)\d{4}-\d{2}(?!\d)", text):  # schedule keys too
            assert text[month.start() - 1] == '"' and text[month.end()] == '"', (path.name, month.group())
    harborline = (home / "contracts" / "harborline.yaml").read_text()
    assert "overage_multiplier: 1.15" in harborline
    assert "increment_hours: 0.25" in harborline


def test_contracts_jointly_use_every_rule(contracts: dict[str, dict]) -> None:
    c = list(contracts.values())

    def some(predicate) -> bool:
        return any(predicate(x) for x in c)

    retainers = [x["retainer"] for x in c if "retainer" in x]
    assert any(r["included_hours"] > 0 for r in retainers)
    assert any(r.get("overage_multiplier", Decimal(1)) != 1 for r in retainers)
    assert any(set(r.get("rollover", {})) == {"max_hours", "expires_after_months"} for r in retainers)
    # rush outside the retainer, on a contract that has a rollover retainer
    assert some(lambda x: "rollover" in x.get("retainer", {})
                and x["work_types"]["rush"]["counts_against_retainer"] is False
                and x["work_types"]["rush"]["multiplier"] > 1)
    caps = [cap for x in c for cap in x.get("caps", [])]
    assert {cap["period"] for cap in caps} == {"month", "lifetime"}
    assert any("project" in cap for cap in caps)
    assert any("sow_item" in cap for cap in caps)
    assert any("project" not in cap and "sow_item" not in cap for cap in caps)
    assert all("since" in cap for cap in caps if cap["period"] == "lifetime")
    assert some(lambda x: len(x.get("tiers", [])) >= 2)
    items = [item for x in c for item in x.get("sow", {}).get("items", [])]
    assert any(i["billing"] == "fixed_fee" and i.get("schedule") for i in items)
    assert some(lambda x: "default_rate" in x)
    overrides = [o for x in c for o in x.get("rate_overrides", [])]
    assert any("project" in o for o in overrides)
    assert any("project" not in o for o in overrides)
    assert some(lambda x: x.get("people"))
    assert some(lambda x: "non_billable" in x.get("task_map", {}).values())
    assert some(lambda x: "rush" in x.get("task_map", {}).values())
    assert some(lambda x: x.get("rush_keywords"))
    assert {x["rounding"]["mode"] for x in c if "rounding" in x} == {"up", "nearest", "none"}
    increments = {x["rounding"]["increment_hours"] for x in c if "increment_hours" in x.get("rounding", {})}
    assert len(increments) >= 3
    assert some(lambda x: x.get("discount_pct", 0) > 0)
    assert some(lambda x: x.get("minimum_monthly_fee", 0) > 0)
    assert some(lambda x: x.get("expenses", {}).get("markup_pct", 0) > 0)
    assert some(lambda x: x.get("aliases"))
    assert some(lambda x: x.get("require_project_code") is True)
    amendments = [a for x in c for a in x.get("amendments", [])]
    assert amendments and all(MONTHS[0] < a["effective_from"] <= MONTHS[-1] for a in amendments)
    assert any("roles" in a for a in amendments)
    assert some(lambda x: "min_confidence" in x.get("review", {}))
    assert all("terms_days" in x for x in c)
    assert some(lambda x: "sow" not in x)
    # clients classified by meaning: several hourly items with descriptions and no project codes
    by_meaning = [x for x in c if x.get("sow") and all(
        i["billing"] == "hourly" and not i.get("project_codes") and len(i["description"]) > 60
        for i in x["sow"]["items"]) and len(x["sow"]["items"]) >= 4]
    assert len(by_meaning) >= 2
    assert all("rush" in x.get("work_types", {}) for x in by_meaning)


def test_rules_listed_in_contracts_are_valid_per_spec(contracts: dict[str, dict]) -> None:
    for stem, x in contracts.items():
        known = {"standard", "rush", "non_billable", *x.get("work_types", {})}
        assert set(x.get("task_map", {}).values()) <= known, stem
        tiers = x.get("tiers", [])
        if tiers:
            starts = [t["from_hours"] for t in tiers]
            assert starts[0] == 0 and starts == sorted(set(starts)), stem
        scopes = [(cap.get("project"), cap.get("sow_item")) for cap in x.get("caps", [])]
        assert len(scopes) == len(set(scopes)), stem
        if "rollover" in x.get("retainer", {}):
            assert "retainer" in x
        ids = {i["id"] for i in x.get("sow", {}).get("items", [])}
        assert all(cap["sow_item"] in ids for cap in x.get("caps", []) if "sow_item" in cap), stem


# ---- time and expense exports ----------------------------------------------------------------------------


def test_headers_match_harvest_exports(home: Path) -> None:
    for month in MONTHS:
        time_header = (home / "timesheets" / f"harvest_time_{month}.csv").read_bytes().split(b"\r\n")[0]
        assert time_header.decode().split(",") == list(demo.HARVEST_TIME_HEADER)
        expense_header = (home / "expenses" / f"harvest_expenses_{month}.csv").read_bytes().split(b"\r\n")[0]
        assert expense_header.decode().split(",") == list(demo.HARVEST_EXPENSE_HEADER)
    if GOLDEN.is_dir():  # the shared golden cases, when checked out beside the repo
        golden_time = next(GOLDEN.glob("*/timesheets/*.csv")).read_text().splitlines()[0]
        golden_expense = next(GOLDEN.glob("*/expenses/*.csv")).read_text().splitlines()[0]
        assert golden_time.split(",") == list(demo.HARVEST_TIME_HEADER)
        assert golden_expense.split(",") == list(demo.HARVEST_EXPENSE_HEADER)


def test_every_row_parses_and_belongs_to_a_contract(home: Path, contracts: dict[str, dict]) -> None:
    parsed = read_folder(home)
    assert parsed.problems == []
    assert len(parsed.entries) == sum(len(demo.build_demo().rows_in(m)) for m in MONTHS)
    assert len(parsed.expenses) >= 30
    client_of = {n: stem for stem, x in contracts.items() for n in [x["name"], *x.get("aliases", [])]}
    assert all(e.client_name in client_of for e in parsed.entries)
    assert all(e.client_name in client_of for e in parsed.expenses)
    per_client_month = Counter((client_of[e.client_name], e.month) for e in parsed.entries)
    for stem in contracts:
        for month in MONTHS:
            assert 40 <= per_client_month[(stem, month)] <= 160, (stem, month)
    assert {e.month for e in parsed.entries} == set(MONTHS)
    assert len({e.entry_id for e in parsed.entries}) == len(parsed.entries)
    assert {e.currency for e in parsed.entries} == {"United States Dollar - USD"}
    # aliases really occur as the Client of some rows
    used_aliases = {e.client_name for e in parsed.entries} - {x["name"] for x in contracts.values()}
    assert used_aliases == {"Tallgrass CU", "Solstice Bio", "Solstice Biotherapeutics Inc."}


def test_people(contracts: dict[str, dict], time_rows: list[dict[str, str]]) -> None:
    client_of = {n: stem for stem, x in contracts.items() for n in [x["name"], *x.get("aliases", [])]}
    people = {(r["First Name"], r["Last Name"]) for r in time_rows}
    assert len(people) == 15
    assert all(first and last and " " not in first for first, last in people)
    clients_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    roles_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in time_rows:
        clients_of[(r["First Name"], r["Last Name"])].add(client_of[r["Client"]])
        roles_of[(r["First Name"], r["Last Name"])].add(r["Roles"])
    assert all(2 <= len(c) <= 4 for c in clients_of.values()), clients_of
    assert all(len(r) == 1 for r in roles_of.values())  # a person's Roles column never changes
    with_roles = [p for p, r in roles_of.items() if r != {""}]
    assert 5 <= len(with_roles) < 15
    assert "Senior, Engineering" in {r["Roles"] for r in time_rows}


def test_hours_dates_and_flags(time_rows: list[dict[str, str]]) -> None:
    weekend = 0
    for r in time_rows:
        hours = Decimal(r["Hours"])
        assert re.fullmatch(r"\d+\.\d\d", r["Hours"])
        assert r["Hours Rounded"] == r["Hours"]
        assert hours > 0 and (hours % Decimal("0.25") == 0 or hours % Decimal("0.1") == 0)
        assert r["Billable?"] in ("Yes", "No")
        assert r["Date"][:7] in MONTHS and r["Date"] != "2026-09-07"  # Labor Day
        weekend += date.fromisoformat(r["Date"]).weekday() >= 5
    assert 0 < weekend < len(time_rows) * 0.02
    assert sum(r["Billable?"] == "No" for r in time_rows) >= 3
    assert any(Decimal(r["Hours"]) % Decimal("0.25") for r in time_rows)  # some tenth-hour timekeepers


def test_every_priced_entry_has_a_rate(home: Path) -> None:
    good, _ = load_contracts(home / "contracts")
    client_of = {n: stem for stem, cf in good.items()
                 for n in [cf.for_month(MONTHS[0]).name, *cf.for_month(MONTHS[0]).aliases]}
    for entry in read_folder(home).entries:
        contract = good[client_of[entry.client_name]].for_month(entry.month)
        role = resolve_role(contract, entry.person, entry.roles)
        assert base_rate(contract, entry.person, entry.project, role) is not None, entry
    vantage = good["vantage-mobility"].for_month("2026-09")
    samuel = resolve_role(vantage, "Samuel Achebe", "Manager")
    assert base_rate(vantage, "Samuel Achebe", "Rider App 3.0", samuel) == vantage.default_rate == 150


def test_review_material(home: Path, contracts: dict[str, dict], time_rows: list[dict[str, str]]) -> None:
    brightwater = [r for r in time_rows if r["Client"] == "Brightwater Foods"]
    missing = [r for r in brightwater if not r["Project Code"]]
    assert 2 <= len(missing) <= 4
    assert contracts["brightwater-foods"]["require_project_code"] is True
    by_meaning = {"Quillfield Press", "Tallgrass Credit Union", "Tallgrass CU", "Orchard Lane Hotels"}
    assert all(r["Project Code"] == "" for r in time_rows if r["Client"] in by_meaning)
    notes = {r["Notes"] for r in time_rows if r["Client"] in by_meaning}
    assert {"call w/ Dana", "misc admin"} <= notes
    assert any("tonight" in n for n in notes)
    harborline = [r for r in time_rows if r["Client"] == "Harborline Logistics"]
    assert any(r["Task"] == "Rush Support" for r in harborline)
    assert any(r["Task"] == "Internal" for r in harborline)
    keywords = contracts["harborline"]["rush_keywords"]
    assert any(re.search(rf"(?<!\w){re.escape(k)}(?!\w)", r["Notes"], re.I)
               for r in harborline for k in keywords)


def test_expenses(home: Path, contracts: dict[str, dict]) -> None:
    rows = _rows(home, "expenses")
    assert {r["Date"][:7] for r in rows} == set(MONTHS)
    assert any(r["Billable?"] == "No" for r in rows)
    marked_up = {x["name"] for x in contracts.values() if x.get("expenses", {}).get("markup_pct", 0) > 0}
    assert any(r["Client"] in marked_up and r["Billable?"] == "Yes" for r in rows)
    assert any(r["Client"] in marked_up and r["Billable?"] == "No" for r in rows)
    assert all(re.fullmatch(r"\d+\.\d\d", r["Amount"]) for r in rows)


def test_make_dev_starts_the_month_partitions_at_the_demos_first_month() -> None:
    """The UI on the demo showed 372 of 408 partitions missing: the months from January two years back to the demo's
    first. `make dev` starts the partitions at the demo's first month (unless BILLING_FIRST_MONTH is set)."""
    from billing_assets.cli import DEMO_MONTHS

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    dev = makefile.split("\ndev:", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"BILLING_FIRST_MONTH=\$\$\{BILLING_FIRST_MONTH:-(\d{4}-\d{2})\}", dev) == [DEMO_MONTHS[0]]
    assert DEMO_MONTHS[0] == MONTHS[0]


def test_the_demo_never_writes_into_a_firms_home(billing_env, capsys) -> None:
    """Found by an auditor: with BILLING_HOME set, `billing demo` wrote twelve made-up clients into the firm's home,
    closed them beside its own and pushed them to its QuickBooks. It now refuses a home holding other files."""
    from billing_assets.cli import main

    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text('client: acme\nname: "Acme"\ncurrency: USD\ndefault_rate: 100\n')
    assert main(["demo"]) == 2
    assert "already holds a firm's files (contracts/acme.yaml)" in capsys.readouterr().err
    assert sorted(p.name for p in (home / "contracts").iterdir()) == ["acme.yaml"]
