"""The same work in two export files is a re-export, however the second export writes it (found by an auditor of
session 33: each of these billed the rows twice with every check passing)."""

from __future__ import annotations

import duckdb
import pytest

from billing_assets.cli import main
from tests.conftest import GOLDEN

HARVEST = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
WEEK = [("2026-08-03", "Globex Corporation", "GX-STR", "1.33"), ("2026-08-04", "Globex Corporation", "GX-STR", "2.50")]


@pytest.mark.parametrize(("how", "client", "code", "hours"), [
    ("the client renamed in the time tool (both names the contract's)", "Globex Corp", "GX-STR", None),
    ("the project code filled in since", "Globex Corporation", "", None),
    ("hours as H:MM in one export, decimals in the other", "Globex Corporation", "GX-STR", {"1.33": "1:20",
                                                                                          "2.50": "2:30"}),
])
def test_the_same_rows_in_two_exports_stop_the_month(billing_env, capsys, how: str, client: str, code: str,
                                                     hours: dict | None) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    for sheet in (home / "timesheets").iterdir():
        sheet.unlink()
    rows = [(day, name, c, h, f"Review work {day}") for day, name, c, h in WEEK]
    (home / "timesheets" / "august.csv").write_text(HARVEST + "".join(
        f"{day},{name},Strategy Review,{c},Consulting,{notes},{h},Yes,Raj,Patel\n" for day, name, c, h, notes in rows)
        + "2026-08-05,Globex Corporation,Strategy Review,GX-STR,Consulting,Other work,1.00,Yes,Raj,Patel\n")
    (home / "timesheets" / "week_1.csv").write_text(HARVEST + "".join(
        f"{day},{client},Strategy Review,{code},Consulting,{notes},{(hours or {}).get(h, h)},Yes,Raj,Patel\n"
        for day, _, _, h, notes in rows))
    assert main(["validate"]) == 1, how
    assert ("timesheets/august.csv and timesheets/week_1.csv: 2 row(s) in both files with the same date, person, "
            "project, task and hours") in capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 1
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT message FROM check_results WHERE check_name = 'no_cross_file_duplicates'"
                            ).fetchall() == [("2 rows appear in more than one export file: 2026-08-03 Raj Patel 1.33 h "
                                              "in ['timesheets/august.csv', 'timesheets/week_1.csv'], 2026-08-04 Raj "
                                              "Patel 2.5 h in ['timesheets/august.csv', 'timesheets/week_1.csv']",)]
    assert not (home / "outbox" / "2026-08" / "globex.json").exists()
