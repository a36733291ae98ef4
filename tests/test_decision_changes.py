"""A review decision saved after its month was closed: the month's draft does not apply it. Found by an auditor:
September's 14 reviewed hours were released in `overrides/` while October was closed; nothing said so, and
`billing approve --month 2026-09` sent the draft without them. The close now names the month, and approval refuses
it (and the months priced from it) until it is closed again."""

from __future__ import annotations

import csv
from decimal import Decimal

import duckdb

from billing_assets.cli import main

CONTRACT = """client: rcx
name: "RCX Ltd"
currency: USD
terms_days: 30
default_rate: 100
require_project_code: true
"""
HARVEST = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
ROWS = ("2026-09-07,RCX Ltd,Ops,OPS,Support,Work,4,Yes,Ann,Lee\n"
        "2026-09-08,RCX Ltd,Ops,,Support,No code,2,Yes,Ann,Lee\n"
        "2026-10-06,RCX Ltd,Ops,OPS,Support,Work,3,Yes,Ann,Lee\n")


def _totals(home) -> dict[str, Decimal]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return dict(conn.execute("SELECT month, total FROM invoices ORDER BY month").fetchall())


def test_a_decision_saved_after_the_close_stops_approval_until_the_month_is_closed_again(billing_env,
                                                                                          capsys) -> None:
    home = billing_env()
    (home / "contracts" / "rcx.yaml").write_text(CONTRACT)
    later_row = "2026-09-09,RCX Ltd,Ops,,Support,Later,1,Yes,Ann,Lee\n"
    (home / "timesheets" / "time.csv").write_text(HARVEST + ROWS + later_row)
    assert main(["close", "--month", "2026-09..2026-10"]) == 0
    assert _totals(home) == {"2026-09": Decimal("400.0000"), "2026-10": Decimal("300.0000")}  # 3 h held
    held, later = list(csv.DictReader((home / "review" / "2026-09.csv").open(encoding="utf-8-sig")))
    if held["notes"] == "Later":
        held, later = later, held
    (home / "overrides" / "2026-09.csv").write_text(f"entry_id,action\n{held['entry_id']},bill\n")

    capsys.readouterr()
    assert main(["close", "--month", "2026-10"]) == 0
    assert ("warning: rcx 2026-09: review decisions changed since it was closed (overrides/2026-09.csv: row 1): "
            "close it and the months after it again before approving (`billing close --month 2026-09..2026-10 "
            "--client rcx`)") in capsys.readouterr().out
    assert main(["approve", "--month", "2026-09..2026-10", "--by", "Dana"]) == 1
    out = capsys.readouterr().out
    assert ("rcx                          2026-09  skipped       its review decisions changed since 2026-09 was "
            "closed (overrides/2026-09.csv: row 1): the draft does not apply them: close 2026-09 again, review the new "
            "draft, then approve") in out
    assert ("2026-10  skipped       2026-09's review decisions changed since 2026-09 was closed "
            "(overrides/2026-09.csv: row 1): the draft does not apply them: close 2026-09..2026-10 again, review the "
            "new draft, then approve") in out

    assert main(["close", "--month", "2026-09..2026-10"]) == 0
    assert _totals(home) == {"2026-09": Decimal("600.0000"), "2026-10": Decimal("300.0000")}
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0

    (home / "overrides" / "2026-09b.csv").write_text(f"entry_id,action\n{later['entry_id']},bill\n")  # after sending
    capsys.readouterr()
    assert main(["close", "--month", "2026-10"]) == 0
    assert ("warning: rcx 2026-09: review decisions changed since it was closed (overrides/2026-09b.csv: row 1): it "
            "was sent; close it and the months after it again so that the next unsent month carries the difference"
            ) in capsys.readouterr().out
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 1
    assert main(["close", "--month", "2026-09..2026-10"]) == 0
    assert _totals(home)["2026-10"] == Decimal("400.0000")  # 300.00 and the 100.00 released after sending

    for name in ("2026-09.csv", "2026-09b.csv"):  # a sent month's decision files archived: not a change to bill
        (home / "overrides" / name).unlink()
    capsys.readouterr()
    assert main(["close", "--month", "2026-10"]) == 0
    assert "review decisions changed" not in capsys.readouterr().out
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 0


def test_a_bad_decision_row_keeps_the_review_file_and_the_decisions_and_an_unknown_id_is_named(billing_env,
                                                                                               capsys) -> None:
    """Found by an auditor: a decision row naming another client stopped the month (right), but the review file was
    rewritten without any of its held entries, and the close said the month's earlier decisions "have no override
    now". And a decision row whose id matches no entry (a typo) was dropped by the close without a word."""
    home = billing_env()
    (home / "contracts" / "rcx.yaml").write_text(CONTRACT)
    (home / "timesheets" / "time.csv").write_text(HARVEST + ROWS)
    assert main(["close", "--month", "2026-09"]) == 0
    review = home / "review" / "2026-09.csv"
    [held] = list(csv.DictReader(review.open(encoding="utf-8-sig")))
    (home / "overrides" / "a.csv").write_text(f"entry_id,action\n{held['entry_id']},write_off\n")
    assert main(["close", "--month", "2026-09"]) == 0
    listed = review.read_text(encoding="utf-8-sig")
    assert held["entry_id"] in listed
    capsys.readouterr()
    assert main(["review", "--month", "2026-09"]) == 0  # the written-off row is listed, not counted as to review
    assert f"{review}: 0 entries to review (1 written off, listed for the record)" in capsys.readouterr().out

    (home / "overrides" / "b.csv").write_text(f"entry_id,client,action\n{held['entry_id']},Other Co,bill\n")
    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert "overrides/b.csv" in out and "no override now" not in out
    assert review.read_text(encoding="utf-8-sig") == listed

    (home / "overrides" / "b.csv").write_text(f"entry_id,action\n{held['entry_id'].upper()},bill\nhdeadbeef,bill\n")
    assert main(["close", "--month", "2026-09"]) == 0
    assert ("warning: 2 decision row(s) name an entry id no export holds (overrides/b.csv: row 1, overrides/b.csv: "
            "row 2): they decide nothing; the row decided was edited or removed since (decide it again under the id "
            "review/<month>.csv shows now), or the id was mistyped (copy it from review/<month>.csv as it is "
            "written)") in (
        capsys.readouterr().out)
