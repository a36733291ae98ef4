"""A client-month whose pushed draft now prices to nothing (its only entry corrected to non-billable): the draft we
created is withdrawn, deleted in QuickBooks by Id and SyncToken (the loopback emulator), removed from the outbox,
once; a draft a person edited or sent stays, as a conflict."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from tests.emulators.qbo_server import DEFAULT_REALM, DEFAULT_REFRESH_TOKEN, QboEmulator

CONTRACT = ("client: acme\nname: Acme Corp\ncurrency: USD\nterms_days: 30\nroles: {senior: 250}\n"
            "people: {\"Alice Ng\": senior}\n")
HEADER = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles\r\n"


def write_sheet(home: Path, billable: dict[str, bool]) -> None:
    """One 1-hour entry per month (YYYY-MM), billable or not."""
    rows = [f"{month}-03,Acme Corp,Web,,Design,Homepage,1.00,{'Yes' if yes else 'No'},Alice,Ng,\r\n"
            for month, yes in billable.items()]
    (home / "timesheets" / "harvest.csv").write_text(HEADER + "".join(rows))


def acme_home(billing_env, billable: dict[str, bool]) -> Path:
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(CONTRACT)
    write_sheet(home, billable)
    return home


def table(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A QuickBooks emulator and the QBO_* settings (BILLING_PUSH=qbo is set after the home: `billing_env` clears
    it)."""
    with QboEmulator() as emulator:
        for name, value in {"QBO_CLIENT_ID": emulator.client_id, "QBO_CLIENT_SECRET": emulator.client_secret,
                            "QBO_REALM_ID": DEFAULT_REALM, "QBO_REFRESH_TOKEN": DEFAULT_REFRESH_TOKEN,
                            "QBO_BASE_URL": emulator.base_url, "QBO_DISCOVERY_URL": emulator.discovery_url,
                            "QBO_TOKEN_STORE": str(tmp_path / "qbo_tokens.json")}.items():
            monkeypatch.setenv(name, value)
        yield emulator


def test_a_pushed_draft_that_prices_to_nothing_is_deleted_once(billing_env, qbo: QboEmulator, monkeypatch,
                                                                capsys) -> None:
    home = acme_home(billing_env, {"2026-09": True})
    monkeypatch.setenv("BILLING_PUSH", "qbo")
    assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
    [(qbo_id, draft)] = qbo.invoices.items()
    doc, token = draft["DocNumber"], draft["SyncToken"]

    write_sheet(home, {"2026-09": False})
    qbo.inject("drop_after_commit", method="POST", path="/invoice")  # the delete commits, its answer is lost
    assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
    assert qbo.invoices == {}, "the $250 draft is gone from QuickBooks"
    deletes = [r for r in qbo.calls("POST", "/invoice") if r.query.get("operation") == "delete"]
    assert deletes and json.loads(deletes[0].body) == {"Id": qbo_id, "SyncToken": token}
    [(status, external_id, diff)] = table(home, "SELECT status, external_id, diff FROM invoice_pushes "
                                                "WHERE status NOT IN ('created')")
    assert (status, external_id) == ("withdrawn", qbo_id) and doc in diff
    assert table(home, "SELECT status, coalesce(doc_number, '') FROM firm_overview") == [("nothing to bill", "")]

    calls = len(qbo.calls("POST"))
    assert main(["close", "--month", "2026-09"]) == 0
    assert len(qbo.calls("POST")) == calls, "a second close writes nothing"
    assert table(home, "SELECT count(*) FROM invoice_pushes")[0][0] == 2

    write_sheet(home, {"2026-09": True})  # billable again: a new draft
    assert main(["close", "--month", "2026-09"]) == 0
    assert [inv["DocNumber"] for inv in qbo.invoices.values()] == [doc]  # not a replay of the deleted one's create
    assert table(home, "SELECT status FROM invoice_pushes ORDER BY pushed_at DESC LIMIT 1") == [("created",)]


def test_a_draft_a_person_edited_or_sent_is_not_deleted(billing_env, qbo: QboEmulator, monkeypatch,
                                                        capsys) -> None:
    home = acme_home(billing_env, {"2026-09": True, "2026-10": True})
    monkeypatch.setenv("BILLING_PUSH", "qbo")
    assert main(["close", "--month", "2026-09..2026-10"]) == 0, capsys.readouterr().out
    by_month = {inv["DocNumber"].split("-")[1]: inv["Id"] for inv in qbo.invoices.values()}  # ACME-202609-...
    qbo.edit_invoice(by_month["202609"], {"CustomerMemo": {"value": "thanks!"}})  # a person edits September's
    qbo.send_invoice(by_month["202610"])  # and sends October's
    write_sheet(home, {"2026-09": False, "2026-10": False})
    main(["close", "--month", "2026-09..2026-10"])
    assert len(qbo.invoices) == 2 and not [r for r in qbo.calls("POST", "/invoice")
                                           if r.query.get("operation") == "delete"]
    rows = table(home, "SELECT month, status, diff FROM invoice_pushes ORDER BY pushed_at")
    latest = {m: (st, d) for m, st, d in rows}
    assert {m: st for m, (st, _) in latest.items()} == {"2026-09": "conflict_edited", "2026-10": "conflict_sent"}
    assert "not deleted" in latest["2026-09"][1] and "250" in latest["2026-09"][1], "the diff shows what stays"
    overview = dict(table(home, "SELECT month, status FROM firm_overview"))
    # October went out from QuickBooks: frozen as sent, its change (now nothing to bill) carried by a later month
    assert overview == {"2026-09": "conflict_edited", "2026-10": "sent; changed since"}
    assert table(home, "SELECT month, total FROM sent_invoices") == [("2026-10", Decimal("250"))]


def test_the_outbox_draft_that_prices_to_nothing_is_removed_once(billing_env, capsys) -> None:
    home = acme_home(billing_env, {"2026-09": True})
    assert main(["close", "--month", "2026-09"]) == 0, capsys.readouterr().out
    payload = home / "outbox" / "2026-09" / "acme.json"
    assert payload.exists() and payload.with_suffix(".html").exists()
    write_sheet(home, {"2026-09": False})
    assert main(["close", "--month", "2026-09"]) == 0
    assert not payload.exists() and not payload.with_suffix(".html").exists()
    assert table(home, "SELECT status FROM invoice_pushes ORDER BY pushed_at") == [("created",), ("withdrawn",)]
    assert main(["close", "--month", "2026-09"]) == 0
    assert table(home, "SELECT count(*) FROM invoice_pushes") == [(2,)]


def test_a_pushed_draft_of_a_month_the_engagement_no_longer_covers_is_deleted(billing_env, qbo: QboEmulator,
                                                                              monkeypatch, capsys) -> None:
    """The contract's `end` moved before a pushed month: the month is not priced any more, so its draft goes from
    QuickBooks (it stayed, one approval away from being sent); a sent month's invoice stays, and a second close
    writes nothing."""
    home = acme_home(billing_env, {"2026-08": True, "2026-09": True, "2026-10": True})
    monkeypatch.setenv("BILLING_PUSH", "qbo")
    assert main(["close", "--month", "2026-08..2026-10"]) == 0, capsys.readouterr().out
    for customer in qbo.customers.values():  # the bookkeeper sets the customer's billing email in QuickBooks
        customer["PrimaryEmailAddr"] = {"Address": "ap@acme.example"}
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0, capsys.readouterr().out
    by_month = {inv["DocNumber"].split("-")[1]: qbo_id for qbo_id, inv in qbo.invoices.items()}
    contract = home / "contracts" / "acme.yaml"
    contract.write_text(contract.read_text() + "end: 2026-08\n")
    assert main(["close", "--month", "2026-08..2026-10"]) == 0, capsys.readouterr().out
    assert sorted(qbo.invoices) == sorted([by_month["202608"], by_month["202609"]]), "October's draft is deleted"
    latest = dict(table(home, "SELECT month, arg_max(status, pushed_at) FROM invoice_pushes GROUP BY month"))
    assert latest == {"2026-08": "created", "2026-09": "sent", "2026-10": "withdrawn"}
    overview = dict(table(home, "SELECT month, status FROM firm_overview"))
    assert overview == {"2026-08": "pushed", "2026-09": "sent; now outside engagement",
                        "2026-10": "outside engagement"}
    writes = len(qbo.calls("POST", "/invoice"))
    assert main(["close", "--month", "2026-08..2026-10"]) == 0
    assert len(qbo.calls("POST", "/invoice")) == writes, "a second close writes nothing"
