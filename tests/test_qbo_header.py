"""A contract change that reaches only the invoice's header (payment terms, the customer's name) left the unsent
QuickBooks draft as it was ("unchanged": the content hash covers the lines), and approval then emailed the old
due date to the old customer. The draft now follows; a customer the bookkeeper spelled in other capitals is the
contract's customer, not a change or a conflict."""

from __future__ import annotations

import duckdb

from billing_assets.cli import main


def _pushes(home) -> list[tuple[str, str]]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT month, status FROM invoice_pushes ORDER BY pushed_at").fetchall()


def test_terms_and_customer_name_reach_the_unsent_draft(qbo_home, capsys) -> None:
    home, qbo = qbo_home
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    [(qbo_id, draft)] = qbo.invoices.items()
    assert (draft["DueDate"], draft["CustomerRef"]["name"]) == ("2026-09-16", "Globex Corporation")

    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("terms_days: 15", "terms_days: 45")
                        .replace("name: Globex Corporation", "name: Globex Holdings", 1)
                        .replace("- Globex Corp\n", "- Globex Corp\n- Globex Corporation\n", 1))
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    draft = qbo.invoices[qbo_id]
    assert (draft["DueDate"], draft["CustomerRef"]["name"]) == ("2026-10-16", "Globex Holdings")
    assert _pushes(home) == [("2026-08", "created"), ("2026-08", "updated")]

    writes = len(qbo.calls("POST", "/invoice"))
    assert main(["close", "--month", "2026-08"]) == 0
    assert len(qbo.calls("POST", "/invoice")) == writes, "an unchanged header is not written again"


def test_a_customer_spelled_in_other_capitals_is_the_same_customer(qbo_home, capsys) -> None:
    home, qbo = qbo_home
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    for customer in qbo.customers.values():  # the bookkeeper's spelling, and the billing email approval needs
        customer["DisplayName"] = customer["DisplayName"].upper()
        customer["PrimaryEmailAddr"] = {"Address": "ap@globex.example"}
    [(qbo_id, draft)] = qbo.invoices.items()
    draft["CustomerRef"]["name"] = draft["CustomerRef"]["name"].upper()  # QuickBooks shows the customer's name
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    assert _pushes(home) == [("2026-08", "created")], "no update, no conflict"
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0, capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    assert _pushes(home) == [("2026-08", "created"), ("2026-08", "sent")], "a sent invoice it holds is no conflict"


def test_an_inactive_customer_refuses_its_client_month_alone(qbo_home, capsys) -> None:
    """The customer a contract names is inactive in QuickBooks: the push step failed as a whole (every client-month
    not pushed, invoices already created left unrecorded). That client-month is refused, naming the customer; the
    other clients' drafts are pushed and recorded."""
    home, qbo = qbo_home
    (home / "contracts" / "dormant.yaml").write_text(
        "client: dormant\nname: Dormant LLC\ncurrency: USD\nterms_days: 30\ndefault_rate: 100\n")
    sheet = (home / "timesheets" / "harvest_time_a.csv").read_text().splitlines()
    (home / "timesheets" / "dormant.csv").write_text(sheet[0] + "\n" + sheet[1].replace("Globex Corporation",
                                                                                        "Dormant LLC") + "\n")
    qbo.add_customer("Dormant LLC", Active=False)
    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert "QuickBooks Customer name 'Dormant LLC' is inactive; make it active (or rename it) in QuickBooks" in out
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT client, status FROM invoice_pushes ORDER BY client").fetchall() == [
            ("dormant", "refused"), ("globex", "created")]
    assert [inv["CustomerRef"]["name"] for inv in qbo.invoices.values()] == ["Globex Corporation"]
