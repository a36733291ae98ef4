"""LEDES 1998B export: golden case 02 (rate cards, rounding, a 5% discount, marked-up expenses) closed for real with
`ledes:` and SOW items carrying `utbms_task` added to a copy of its contract, exported with `billing export ledes`,
and checked against a LEDES 1998B structure check written here from the format's field specification."""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.activity_codes import classify_activity
from billing_assets.core.contract import ContractFile
from billing_assets.core.errors import ContractError
from billing_assets.core.ledes import FeePiece, build_ledes
from billing_assets.core.model import InvoiceLine
from tests.conftest import GOLDEN, use_home

# LEDES 1998B: the 24 fields in order (LEDES Oversight Committee field specification)
SPEC_FIELDS = [
    "INVOICE_DATE", "INVOICE_NUMBER", "CLIENT_ID", "LAW_FIRM_MATTER_ID", "INVOICE_TOTAL", "BILLING_START_DATE",
    "BILLING_END_DATE", "INVOICE_DESCRIPTION", "LINE_ITEM_NUMBER", "EXP/FEE/INV_ADJ_TYPE", "LINE_ITEM_NUMBER_OF_UNITS",
    "LINE_ITEM_ADJUSTMENT_AMOUNT", "LINE_ITEM_TOTAL", "LINE_ITEM_DATE", "LINE_ITEM_TASK_CODE", "LINE_ITEM_EXPENSE_CODE",
    "LINE_ITEM_ACTIVITY_CODE", "TIMEKEEPER_ID", "LINE_ITEM_DESCRIPTION", "LAW_FIRM_ID", "LINE_ITEM_UNIT_COST",
    "TIMEKEEPER_NAME", "TIMEKEEPER_CLASSIFICATION", "CLIENT_MATTER_ID"]
REQUIRED = ("INVOICE_DATE", "INVOICE_NUMBER", "CLIENT_ID", "LAW_FIRM_MATTER_ID", "INVOICE_TOTAL", "LINE_ITEM_NUMBER",
            "EXP/FEE/INV_ADJ_TYPE", "LINE_ITEM_TOTAL", "LAW_FIRM_ID")
INVOICE_LEVEL = SPEC_FIELDS[:8]
NUMBER = re.compile(r"-?\d{1,14}(\.\d{1,4})?")
CURRENCY = re.compile(r"-?\d{1,14}\.\d{2}")
LEDES_BLOCK = """ledes:
  law_firm_id: 12-3456789
  client_id: GLOBEX
  matter_id: GX-2026-001
  client_matter_id: LEGAL-88
  task_code: L190
sow:
  items:
  - {id: S1, name: Strategy review, billing: hourly, project_codes: [GX-STR], utbms_task: L120}
  - {id: S2, name: Data migration, billing: hourly, project_codes: [GX-MIG]}
"""


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check_ledes_1998b(text: str) -> list[dict[str, str]]:
    """The records of a LEDES 1998B file, asserting its structure: the format line, the 24 field names, `[]` record
    ends, 24 fields per record, YYYYMMDD dates, numeric fields, codes, invoice-level fields constant, line numbers
    1..n, each LINE_ITEM_TOTAL = units x unit cost + adjustment, and the totals summing to INVOICE_TOTAL."""
    assert text.isascii()
    lines = text.split("\r\n")
    assert lines[-1] == "" and all(lines[:-1])
    assert lines[0] == "LEDES1998B[]"
    assert lines[1].endswith("[]") and lines[1][:-2].split("|") == SPEC_FIELDS
    records = []
    for number, line in enumerate(lines[2:-1], start=1):
        assert line.endswith("[]") and "[]" not in line[:-2], line
        values = line[:-2].split("|")
        assert len(values) == 24, line
        r = dict(zip(SPEC_FIELDS, values, strict=True))
        for name in REQUIRED:
            assert r[name], (name, line)
        dates = {}
        for name in ("INVOICE_DATE", "BILLING_START_DATE", "BILLING_END_DATE", "LINE_ITEM_DATE"):
            assert re.fullmatch(r"\d{8}", r[name]), (name, line)
            dates[name] = datetime.strptime(r[name], "%Y%m%d").date()
        assert dates["BILLING_START_DATE"] <= dates["LINE_ITEM_DATE"] <= dates["BILLING_END_DATE"] < \
            dates["INVOICE_DATE"]
        assert r["LINE_ITEM_NUMBER"] == str(number)
        assert r["EXP/FEE/INV_ADJ_TYPE"] in ("F", "E", "IF", "IE")
        for name in ("LINE_ITEM_NUMBER_OF_UNITS", "LINE_ITEM_UNIT_COST"):
            assert NUMBER.fullmatch(r[name]) and Decimal(r[name]) >= 0, (name, line)
        for name in ("INVOICE_TOTAL", "LINE_ITEM_TOTAL", "LINE_ITEM_ADJUSTMENT_AMOUNT"):
            assert CURRENCY.fullmatch(r[name]), (name, line)
        assert Decimal(r["LINE_ITEM_TOTAL"]) == cents(Decimal(r["LINE_ITEM_NUMBER_OF_UNITS"])
                                                      * Decimal(r["LINE_ITEM_UNIT_COST"])
                                                      + Decimal(r["LINE_ITEM_ADJUSTMENT_AMOUNT"])), line
        if r["EXP/FEE/INV_ADJ_TYPE"] == "F":
            assert re.fullmatch(r"[A-Z]\d{3}", r["LINE_ITEM_TASK_CODE"]), line
            assert re.fullmatch(r"A1(0[1-9]|1[01])", r["LINE_ITEM_ACTIVITY_CODE"]), line
            assert r["LINE_ITEM_EXPENSE_CODE"] == ""
        if r["EXP/FEE/INV_ADJ_TYPE"] == "E":
            assert re.fullmatch(r"(E1\d\d)?", r["LINE_ITEM_EXPENSE_CODE"]) and not r["LINE_ITEM_ACTIVITY_CODE"]
        for name in ("INVOICE_NUMBER", "CLIENT_ID", "LAW_FIRM_MATTER_ID", "LAW_FIRM_ID", "TIMEKEEPER_ID",
                     "CLIENT_MATTER_ID"):
            assert len(r[name]) <= 20, (name, line)
        records.append(r)
    assert records
    for r in records:
        assert [r[n] for n in INVOICE_LEVEL] == [records[0][n] for n in INVOICE_LEVEL]
    assert sum(Decimal(r["LINE_ITEM_TOTAL"]) for r in records) == Decimal(records[0]["INVOICE_TOTAL"])
    return records


@pytest.fixture(scope="module")
def closed_globex(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as mp:
        home = use_home(mp, tmp_path_factory.mktemp("ledes"), GOLDEN / "02_rate_cards_rounding")
        contract = home / "contracts" / "globex.yaml"
        contract.write_text(contract.read_text() + LEDES_BLOCK)
        assert main(["close", "--month", "2026-08..2026-09"]) == 0
        yield home


def test_two_files_pass_the_structure_check_and_sum_to_the_invoices(closed_globex: Path, capsys) -> None:
    out = closed_globex.parent / "ledes_out"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08..2026-09", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 LEDES file(s) written" in printed
    with duckdb.connect(str(closed_globex / "billing.duckdb"), read_only=True) as conn:
        invoices = dict(conn.execute("SELECT month, total FROM invoices WHERE client = 'globex'").fetchall())
        discounts = dict(conn.execute("SELECT month, discount FROM invoices WHERE client = 'globex'").fetchall())
        pieces = dict(conn.execute("SELECT month, count(*) FROM line_entries WHERE client = 'globex' GROUP BY month")
                      .fetchall())
    assert invoices == {"2026-08": Decimal("13879.48"), "2026-09": Decimal("14360.42")}  # golden 02 expected totals
    for month in ("2026-08", "2026-09"):
        path = out / f"globex_{month}.ledes"
        assert f"globex {month}: {path} (" in printed
        records = check_ledes_1998b(path.read_bytes().decode("ascii"))
        assert Decimal(records[0]["INVOICE_TOTAL"]) == invoices[month]
        assert sum(Decimal(r["LINE_ITEM_TOTAL"]) for r in records) == invoices[month]
        assert records[0]["INVOICE_DATE"] == ("20260901" if month == "2026-08" else "20261001")
        assert {(r["CLIENT_ID"], r["LAW_FIRM_MATTER_ID"], r["LAW_FIRM_ID"], r["CLIENT_MATTER_ID"]) for r in records} \
            == {("GLOBEX", "GX-2026-001", "12-3456789", "LEGAL-88")}
        fees = [r for r in records if r["EXP/FEE/INV_ADJ_TYPE"] == "F"]
        assert len(fees) == pieces[month]  # one record per entry on each time line
        [discount] = [r for r in records if r["EXP/FEE/INV_ADJ_TYPE"] == "IF"]
        assert (discount["LINE_ITEM_DESCRIPTION"], Decimal(discount["LINE_ITEM_TOTAL"])) == \
            ("Discount 5%", discounts[month])
        [expense] = [r for r in records if r["EXP/FEE/INV_ADJ_TYPE"] == "E"]
        assert (expense["LINE_ITEM_EXPENSE_CODE"], expense["LINE_ITEM_TOTAL"], expense["LINE_ITEM_DATE"]) == \
            ("E110", "453.61", month.replace("-", "") + "12")  # 412.37 flight + 10% markup
        # the SOW item's task code, else the contract's default
        assert {r["LINE_ITEM_TASK_CODE"] for r in fees if "Schema mapping" in r["LINE_ITEM_DESCRIPTION"]} == {"L190"}
        assert {r["LINE_ITEM_TASK_CODE"] for r in fees if "Workshop prep" in r["LINE_ITEM_DESCRIPTION"]} == {"L120"}
        ana = [r for r in fees if r["TIMEKEEPER_NAME"] == "Souza, Ana"]
        assert {(r["TIMEKEEPER_CLASSIFICATION"], r["LINE_ITEM_UNIT_COST"], r["LINE_ITEM_NUMBER_OF_UNITS"])
                for r in ana} == {("PT", "420.00", "1.25")}  # partner, 1.1 h rounded up to 0.25
    august = check_ledes_1998b((out / "globex_2026-08.ledes").read_bytes().decode("ascii"))
    raj_migration = {r["LINE_ITEM_UNIT_COST"] for r in august if r["TIMEKEEPER_NAME"] == "Patel, Raj"
                     and "Schema" in r["LINE_ITEM_DESCRIPTION"]}
    assert raj_migration == {"210.00"}  # the person-on-project override actually applied
    assert [r["LINE_ITEM_ACTIVITY_CODE"] for r in august if r["LINE_ITEM_DESCRIPTION"].startswith("Research")] == \
        ["A102"]
    review = list(csv.DictReader((out / "globex_2026-08.ledes.review.csv").open()))
    assert review and all(float(r["confidence"]) < 0.65 for r in review)
    assert {r["narrative"] for r in review} >= {"Schema mapping batch 1", "Pairing on test harness"}
    assert f"activity code(s) to review: {out / 'globex_2026-08.ledes.review.csv'}" in printed


def test_client_without_ledes_is_skipped_with_a_message(closed_globex: Path, capsys) -> None:
    other = closed_globex / "contracts" / "northwind.yaml"
    shutil.copy(GOLDEN / "01_retainer_rush_rollover" / "contracts" / "northwind.yaml", other)
    try:
        assert main(["export", "ledes", "--month", "2026-08", "--out", str(closed_globex.parent / "o2")]) == 0
    finally:
        other.unlink()
    printed = capsys.readouterr().out
    assert "northwind 2026-08: skipped: contracts/northwind.yaml has no ledes: block (not an e-billing client)" \
        in printed
    assert sorted(p.name for p in (closed_globex.parent / "o2").iterdir()) == \
        ["globex_2026-08.ledes", "globex_2026-08.ledes.review.csv"]


@pytest.mark.parametrize(("narrative", "code", "sure"), [
    ("Draft motion to compel production", "A103", True),
    ("Westlaw research on statute of limitations", "A102", True),
    ("Telephone conference with opposing counsel re: discovery schedule", "A107", True),
    ("Emailed client w/ status update on settlement", "A106", True),
    ("Call with expert witness re report", "A108", True),
    ("Attend deposition of J. Smith", "A109", True),
    ("Organize and index production documents", "A110", True),
    ("Review and analyze merger agreement", "A104", True),
    ("Review and revise motion to compel", "A104", False),  # two activities in one entry: listed for review
    ("Call re: next steps", "A105", False),  # a call with no party named
    ("Schema mapping batch 3", "A111", False),
])
def test_activity_codes(narrative: str, code: str, sure: bool) -> None:
    result = classify_activity(narrative)
    assert (result.code, not result.unsure) == (code, sure), result


def _contract(tmp_path: Path, extra: str) -> ContractFile:
    path = tmp_path / "globex.yaml"
    path.write_text((GOLDEN / "02_rate_cards_rounding" / "contracts" / "globex.yaml").read_text() + extra)
    return ContractFile(path)


def test_cents_moved_by_per_entry_rounding_go_to_the_last_record_and_text_is_escaped(tmp_path: Path) -> None:
    contract = _contract(tmp_path, LEDES_BLOCK).for_month("2026-08")
    line = InvoiceLine(1, "hourly", "Hourly: Strategy review", "S1", "Strategy Review", "partner", "standard",
                       Decimal("1.000"), Decimal("100.01"), Decimal("100.01"))
    pieces = [FeePiece(1, "a", Decimal("0.333"), date(2026, 8, 3), "Ana Souza", "Draft memo | part [1]"),
              FeePiece(1, "b", Decimal("0.333"), date(2026, 8, 4), "Ana Souza", "Draft memo\npart 2"),
              FeePiece(1, "c", Decimal("0.334"), date(2026, 8, 5), "Zoë Ångström", "Café")]
    ledes = build_ledes(contract, "globex", "2026-08", Decimal("100.01"), [line], pieces, [])
    records = check_ledes_1998b(ledes.text)
    assert [(r["LINE_ITEM_NUMBER_OF_UNITS"], r["LINE_ITEM_ADJUSTMENT_AMOUNT"], r["LINE_ITEM_TOTAL"]) for r in records] \
        == [("0.333", "0.00", "33.30"), ("0.333", "0.00", "33.30"), ("0.334", "0.01", "33.41")]
    assert [r["LINE_ITEM_DESCRIPTION"] for r in records] == ["Draft memo / part (1)", "Draft memo part 2",
                                                             "Cafe"]
    assert records[2]["TIMEKEEPER_NAME"] == "Angstrom, Zoe"
    assert [(r.line_item, r.activity_code) for r in ledes.review] == [(3, "A111")]  # no activity cue: for review


def test_durations_go_as_units_to_the_ten_thousandth_and_a_split_sliver_makes_no_record(tmp_path: Path) -> None:
    """Three 1:20:00 entries (kept as 1.3333333333 h) of one line at 150/h: units 1.3333 and 200.00 each, adding up
    to the line's 600.00; the 0.0000000001 h a tier or retainer split left on this line has no record."""
    contract = _contract(tmp_path, LEDES_BLOCK).for_month("2026-08")
    kept = Decimal("1.3333333333")
    line = InvoiceLine(1, "hourly", "Hourly: Strategy review", "S1", "Strategy Review", "partner", "standard",
                       3 * kept + Decimal("1E-10"), Decimal("150"), Decimal("600.00"))
    pieces = [FeePiece(1, "a", Decimal("1E-10"), date(2026, 8, 2), "Ana Souza", "Sliver of a split entry"),
              *(FeePiece(1, n, kept, date(2026, 8, 3 + i), "Ana Souza", f"Draft memo {i}")
                for i, n in enumerate("bcd"))]
    records = check_ledes_1998b(build_ledes(contract, "globex", "2026-08", Decimal("600.00"), [line], pieces,
                                            []).text)
    assert [(r["LINE_ITEM_NUMBER_OF_UNITS"], r["LINE_ITEM_ADJUSTMENT_AMOUNT"], r["LINE_ITEM_TOTAL"]) for r in records] \
        == [("1.3333", "0.00", "200.00")] * 3


def test_ledes_and_utbms_task_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ContractError) as bad_task:
        _contract(tmp_path, LEDES_BLOCK.replace("utbms_task: L120", "utbms_task: X1"))
    assert bad_task.value.problems == ["contracts/globex.yaml: sow.items[0].utbms_task: must be a UTBMS task code "
                                       "such as L110, got 'X1'"]
    with pytest.raises(ContractError) as extra:
        _contract(tmp_path, LEDES_BLOCK.replace("  task_code: L190", "  task_code: L190\n  matter: x"))
    assert extra.value.problems == ["contracts/globex.yaml: ledes.matter: Extra inputs are not permitted (did you mean "
                                        "matter_id?)"]
    with pytest.raises(ContractError) as pipe:
        _contract(tmp_path, LEDES_BLOCK.replace("client_id: GLOBEX", "client_id: GLO|BEX"))
    assert pipe.value.problems == ["contracts/globex.yaml: ledes.client_id: 'GLO|BEX': must not hold | [ ] or a line "
                                   "break (LEDES 1998B field delimiters)"]


def test_retainer_fixed_fee_and_invoice_adjustments_sum_to_the_total(tmp_path: Path) -> None:
    """Every line kind: the retainer fee and a fixed fee as one-unit fee records, covered hours as fee records at the
    rate applied (0), cap, discount, minimum and late-change lines as IF records, an expense without a known E-code."""
    contract = _contract(tmp_path, LEDES_BLOCK).for_month("2026-08")

    def line(no: int, kind: str, description: str, qty: str, price: str, amount: str, sow: str | None = None,
             role: str | None = None) -> InvoiceLine:
        return InvoiceLine(no, kind, description, sow, None, role, None, Decimal(qty), Decimal(price), Decimal(amount))

    lines = [line(1, "retainer_fee", "Monthly retainer 2026-08", "1", "8000", "8000"),
             line(2, "fixed_fee", "Strategy review (2026-08)", "1", "2500", "2500", "S1"),
             line(3, "retainer_covered", "Retainer hours: partner", "3", "0", "0", None, "partner"),
             line(4, "overage", "Overage: partner", "2", "420", "840", "S2", "partner"),
             line(5, "cap_adjustment", "Not-to-exceed: Monthly NTE", "1", "-340", "-340"),
             line(6, "discount", "Discount 5%", "1", "-550", "-550"),
             line(7, "minimum_adjustment", "Monthly minimum fee adjustment", "1", "90.5", "90.50"),
             line(8, "prior_period_adjustment", "Adjustment for 2026-07", "1", "-12.25", "-12.25"),
             line(9, "expense", "Expense 2026-08-20: Software - licence", "1", "99.99", "99.99")]
    pieces = [FeePiece(3, "a", Decimal("3"), date(2026, 8, 2), "Ana Souza", "Review closing checklist"),
              FeePiece(4, "b", Decimal("2"), date(2026, 8, 9), "Ana Souza", "Attend closing")]
    ledes = build_ledes(contract, "globex", "2026-08", Decimal("10628.24"), lines, pieces, [])
    records = check_ledes_1998b(ledes.text)
    assert [(r["EXP/FEE/INV_ADJ_TYPE"], r["LINE_ITEM_NUMBER_OF_UNITS"], r["LINE_ITEM_UNIT_COST"],
             r["LINE_ITEM_ADJUSTMENT_AMOUNT"], r["LINE_ITEM_TOTAL"], r["LINE_ITEM_TASK_CODE"],
             r["LINE_ITEM_EXPENSE_CODE"]) for r in records] == [
        ("F", "1", "8000.00", "0.00", "8000.00", "L190", ""),
        ("F", "1", "2500.00", "0.00", "2500.00", "L120", ""),
        ("F", "3", "0.00", "0.00", "0.00", "L190", ""),
        ("F", "2", "420.00", "0.00", "840.00", "L190", ""),
        ("IF", "0", "0.00", "-340.00", "-340.00", "", ""),
        ("IF", "0", "0.00", "-550.00", "-550.00", "", ""),
        ("IF", "0", "0.00", "90.50", "90.50", "", ""),
        ("IF", "0", "0.00", "-12.25", "-12.25", "", ""),
        ("E", "1", "99.99", "0.00", "99.99", "", "")]
    assert records[2]["LINE_ITEM_DESCRIPTION"] == "Review closing checklist (covered by the retainer)"
    long_note = [FeePiece(3, "a", Decimal("3"), date(2026, 8, 2), "Ana Souza", "x" * 1200), pieces[1]]
    cut = check_ledes_1998b(build_ledes(contract, "globex", "2026-08", Decimal("10628.24"), lines, long_note,
                                        []).text)[2]["LINE_ITEM_DESCRIPTION"]
    assert len(cut) == 1000 and cut.endswith("x (covered by the retainer)")  # the note is cut, not the marker
    assert (records[3]["TIMEKEEPER_ID"], records[3]["LINE_ITEM_ACTIVITY_CODE"]) == ("ANASOUZA-" + records[3][
        "TIMEKEEPER_ID"][-4:], "A109")
    with pytest.raises(ValueError, match="LEDES records sum to 10628.24, the invoice total is 10628.25"):
        build_ledes(contract, "globex", "2026-08", Decimal("10628.25"), lines, pieces, [])


def test_long_names_an_empty_month_and_another_currency(billing_env, capsys) -> None:
    """Found by an auditor: a 53-character TIMEKEEPER_NAME (the format allows 30), a LEDES file of a month with
    nothing to bill under an invoice number never drafted, and EUR amounts written with no word (the format has
    no currency field). The retainer marker of a long narrative was cut off with it."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("currency: USD", "currency: EUR") + LEDES_BLOCK)
    for sheet in (home / "timesheets").glob("*.csv"):
        sheet.write_text(sheet.read_text().replace("United States Dollar - USD", "Euro - EUR"))
    for sheet in (home / "expenses").glob("*.csv"):
        sheet.write_text(sheet.read_text().replace("United States Dollar - USD", "Euro - EUR"))
    header = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / "long.csv").write_text(
        f"{header}\n2026-08-12,Globex Corporation,Strategy Review,GX-STR,Consulting,Review,1.00,1.00,Yes,No,Yes,"
        "Maximiliana Alexandrovna,Konstantinopolous-Whitfield,,Consultant,Yes,,,,,Euro - EUR,\n")
    assert main(["close", "--month", "2026-08..2026-10"]) == 0, capsys.readouterr().out
    out = home.parent / "ledes_out"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08..2026-10", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert ("globex 2026-08: amounts are in EUR; LEDES 1998B has no currency field, so tell the client's e-billing "
            "system") in printed
    assert "globex 2026-10: skipped: nothing to bill (no line charges anything, so no invoice was drafted)" in printed
    assert not (out / "globex_2026-10.ledes").exists()
    records = check_ledes_1998b((out / "globex_2026-08.ledes").read_bytes().decode("ascii"))
    names = {r["TIMEKEEPER_NAME"] for r in records if r["TIMEKEEPER_NAME"]}
    assert "Konstantinopolous-Whitfield, M" in names and max(len(n) for n in names) <= 30
