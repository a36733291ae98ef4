"""A lifetime cap's room counts the charges billed in scope since `since`, carried by the ledgers under the cap's
name. A cap an amendment adds with a `since` in months already billed, renames, or turns from monthly to lifetime
started from zero: an independent pricer found June at 2,000.00 where the cap allowed 1,000.00, exit 0. Such a
month is refused naming the cap; a cap whose amount alone changes, or one added from its own month, prices."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_assets.core.cap_history import cap_history_problem
from billing_assets.core.contract import ContractFile

BASE = "client: acme\nname: Acme Corp\ncurrency: USD\nroles: {senior: 200}\n"
LIFE = "{name: PWeb, project: Web, period: lifetime, amount: 3000, since: 2026-05}"


def contract(tmp_path: Path, text: str) -> ContractFile:
    path = tmp_path / "acme.yaml"
    path.write_text(BASE + text)
    return ContractFile(path)


@pytest.mark.parametrize(("text", "month", "refused"), [
    (f"amendments: [{{effective_from: 2026-06, caps: [{LIFE}]}}]\n", "2026-06", "'PWeb' (since: 2026-05)"),
    ("caps: [{name: NTE, period: month, amount: 2500}]\namendments: [{effective_from: 2026-07, caps: "
     "[{name: NTE, period: lifetime, amount: 5000}]}]\n", "2026-07", "'NTE' (no `since` (all history))"),
    (f"caps: [{LIFE}]\namendments: [{{effective_from: 2026-06, caps: [{LIFE.replace('PWeb', 'PWeb NTE')}]}}]\n",
     "2026-06", "'PWeb NTE' (since: 2026-05)"),
    (f"caps: [{LIFE}]\namendments: [{{effective_from: 2026-06, caps: [{LIFE.replace('3000', '4000')}]}}]\n",
     "2026-06", None),  # the amount alone: the carried total stands
    (f"amendments: [{{effective_from: 2026-06, caps: [{LIFE.replace('2026-05', '2026-06')}]}}]\n", "2026-06", None),
    (f"caps: [{LIFE}]\n", "2026-05", None),  # the engagement's first month
])
def test_a_lifetime_cap_without_its_history_is_refused(tmp_path: Path, text: str, month: str,
                                                       refused: str | None) -> None:
    problem = cap_history_problem(contract(tmp_path, text), month, "2026-05")
    if refused is None:
        assert problem is None
    else:
        assert problem is not None and problem.startswith(f"contracts/acme.yaml: caps: lifetime cap {refused} is new "
                                                          f"or changed in {month}")


def test_the_close_refuses_the_month_and_bills_the_one_before(billing_env, capsys) -> None:
    import duckdb

    from billing_assets.cli import main

    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(
        BASE + "people: {Ann Bee: senior}\n" + f"amendments: [{{effective_from: 2026-06, caps: [{LIFE}]}}]\n")
    (home / "timesheets" / "harvest.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        "2026-05-03,Acme Corp,Web,,Design,work,10,Yes,Ann,Bee\n2026-06-03,Acme Corp,Web,,Design,work,10,Yes,Ann,Bee\n")
    assert main(["close", "--month", "2026-05..2026-06"]) == 1
    assert "caps: lifetime cap 'PWeb' (since: 2026-05) is new or changed in 2026-06" in capsys.readouterr().out
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT month, total FROM invoices").fetchall() == [("2026-05", 2000)]
