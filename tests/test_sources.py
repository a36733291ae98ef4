"""Harvest exports: entry ids stable across re-exports, processing order, and unreadable rows named."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from billing_assets.core.sources import read_folder

HEADER = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles\n"
ROWS = ["2026-08-03,Acme,Web,W1,Design,Homepage,1.50,Yes,Ana,Souza,Senior",
        "2026-08-01,Acme,Web,W1,Design,Homepage,1.50,Yes,Ana,Souza,Senior",
        "2026-08-01,Acme,Web,W1,Design,Homepage,1.50,Yes,Ana,Souza,Senior",
        "2026-08-02,Acme,Web,,Admin,Timesheets,0.25,No,Raj,Patel,"]


def home(tmp_path: Path, files: dict[str, list[str]], expenses: str = "") -> Path:
    (tmp_path / "timesheets").mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        (tmp_path / "timesheets" / name).write_text(HEADER + "\n".join(rows) + "\n")
    if expenses:
        (tmp_path / "expenses").mkdir(exist_ok=True)
        (tmp_path / "expenses" / "x.csv").write_text(expenses)
    return tmp_path


def test_entry_ids_follow_the_spec_and_survive_reordering(tmp_path: Path) -> None:
    first = read_folder(home(tmp_path / "a", {"t.csv": ROWS}))
    again = read_folder(home(tmp_path / "b", {"t.csv": list(reversed(ROWS))}))
    assert [e.entry_id for e in first.entries] == [e.entry_id for e in again.entries]
    fields = "\x1f".join(["2026-08-01", "Acme", "Web", "W1", "Design", "Homepage", "1.50", "Ana", "Souza"])
    expected = ["h" + hashlib.sha256(f"{fields}\x1f{k}".encode()).hexdigest()[:16] for k in (0, 1)]
    assert [e.entry_id for e in first.entries[:2]] == expected  # identical rows counted in processing order
    assert [e.date.day for e in first.entries] == [1, 1, 2, 3]  # processing order: date, file, row
    assert first.entries[2].billable is False and first.entries[0].person == "Ana Souza"
    assert first.entries[0].hours == Decimal("1.50")


def test_identical_rows_in_two_files_get_distinct_ids(tmp_path: Path) -> None:
    parsed = read_folder(home(tmp_path, {"a.csv": ROWS[:1], "b.csv": ROWS[:1]}))
    assert len({e.entry_id for e in parsed.entries}) == 2
    assert [e.source_file for e in parsed.entries] == ["timesheets/a.csv", "timesheets/b.csv"]


def test_unreadable_rows_are_named_with_file_row_client_and_month(tmp_path: Path) -> None:
    bad = ["2026-13-01,Acme,Web,W1,Design,x,1,Yes,A,B,", "2026-08-05,Acme,Web,W1,Design,x,-2,Yes,A,B,",
           "2026-08-06,Acme,Web,W1,Design,x,1.5h,Yes,A,B,", "2026-08-07,Acme,Web,W1,Design,x,1,Maybe,A,B,",
           "2026-08-08,Acme,Web,W1,Design,fine,1,Yes,A,B,"]
    expenses = ("Date,Client,Project,Project Code,Category,Notes,Amount,Billable?\n"
                "2026-08-09,Acme,Web,W1,Travel,refund,-12.50,Yes\n2026-08-10,Acme,Web,W1,Travel,x,abc,Yes\n")
    parsed = read_folder(home(tmp_path, {"t.csv": bad}, expenses))
    assert [str(p) for p in parsed.problems] == [
        "timesheets/t.csv: row 1: Date: not a date: '2026-13-01'",
        "timesheets/t.csv: row 2: Hours: negative: '-2'",
        "timesheets/t.csv: row 3: Hours: not a number in the 1,234.50 format: '1.5h'",
        "timesheets/t.csv: row 4: Billable?: expected Yes or No, got 'Maybe'",
        "expenses/x.csv: row 2: Amount: not a number in the 1,234.50 format: 'abc'"]
    assert [(p.client_name, p.month) for p in parsed.problems] == [
        ("Acme", ""), ("Acme", "2026-08"), ("Acme", "2026-08"), ("Acme", "2026-08"), ("Acme", "2026-08")]
    assert [e.notes for e in parsed.entries] == ["fine"]
    assert [x.amount for x in parsed.expenses] == [Decimal("-12.50")]


def test_an_unknown_export_header_is_a_whole_file_problem(tmp_path: Path) -> None:
    (tmp_path / "timesheets").mkdir()
    (tmp_path / "timesheets" / "odd.csv").write_text("When,Who,How long\n2026-08-01,Ana,1\n")
    (problem,) = read_folder(tmp_path).problems
    assert problem.file == "timesheets/odd.csv" and problem.row == 0
    assert "header matches no known export" in problem.message


def test_one_shared_partition_delete_serves_every_plain_table() -> None:
    import pytest

    from resources.warehouse import delete_partition_sql

    sql = delete_partition_sql("invoice_lines")
    assert "DELETE FROM invoice_lines" in sql and "k.client = invoice_lines.client" in sql and "{table}" not in sql
    assert "$asset" in delete_partition_sql("check_results")  # a table with its own rule keeps its file
    with pytest.raises(ValueError, match="not a warehouse table"):
        delete_partition_sql("invoices; DROP TABLE invoices")
