"""A month close pushing a EUR client and a USD client to a USD QuickBooks company (the emulator, through
python-quickbooks): refused alone while multicurrency is off, pushed with CurrencyRef and ExchangeRate once it is
on, and an unchanged re-close writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN


def add_eur_client(home: Path) -> None:
    """Golden case 03's client (initech) beside case 02's globex, billing in EUR at a contract exchange rate."""
    source = GOLDEN / "03_caps_tiers_fixed_fee"
    contract = (source / "contracts" / "initech.yaml").read_text()
    contract = contract.replace("currency: USD", 'currency: EUR\nquickbooks: {exchange_rate: "1.0850"}')
    (home / "contracts" / "initech.yaml").write_text(contract)
    for folder in ("timesheets", "expenses"):
        for path in (source / folder).glob("*.csv"):
            text = path.read_text().replace("United States Dollar - USD", "Euro - EUR").replace(",USD", ",EUR")
            (home / folder / f"initech_{path.name}").write_text(text)


def pushes(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        return conn.execute("SELECT client, status, diff FROM invoice_pushes ORDER BY pushed_at, client").fetchall()


def invoice_writes(emulator) -> int:
    return len([r for r in emulator.calls("POST", "/invoice") if "/query" not in r.path])


def test_eur_client_is_refused_alone_while_multicurrency_is_off(qbo_home, capsys) -> None:
    home, emulator = qbo_home
    add_eur_client(home)
    (home / "contracts" / "initech.draft.yaml").write_text("client: initech\nname: Not loaded\n")
    shutil.copy(home / "contracts" / "initech.yaml", home / "contracts" / "spare.draft.yml")

    assert main(["close", "--month", "2026-08", "--push", "qbo"]) == 1
    out = capsys.readouterr().out
    assert "initech" in out and "MultiCurrencyEnabled" in out, out
    assert [inv["CustomerRef"]["name"] for inv in emulator.invoices.values()] == ["Globex Corporation"]
    assert [c["DisplayName"] for c in emulator.customers.values()] == ["Globex Corporation"]
    (client, status, reason), = [row for row in pushes(home) if row[0] == "initech"]
    assert status == "refused" and reason == (
        "initech 2026-08: not pushed to QuickBooks: the contract bills in EUR but the company's home currency is USD "
        "and multicurrency is off (Preferences CurrencyPrefs.MultiCurrencyEnabled false); turn on multicurrency in "
        "QuickBooks or bill in USD")
    assert [row[:2] for row in pushes(home) if row[0] == "globex"] == [("globex", "created")]

    emulator.multicurrency = True  # the bookkeeper turns multicurrency on
    writes = invoice_writes(emulator)
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    assert invoice_writes(emulator) == writes + 1, "only initech is written: globex is unchanged"
    eur = next(inv for inv in emulator.invoices.values() if inv["CustomerRef"]["name"] == "Initech")
    sent = json.loads(next(r.body for r in emulator.calls("POST", "/invoice") if '"Initech"' in r.body))
    assert sent["CurrencyRef"] == {"value": "EUR"} and str(sent["ExchangeRate"]) == "1.085"
    assert eur["CurrencyRef"] == {"value": "EUR"} and str(eur["ExchangeRate"]) == "1.0850"
    assert [row[1] for row in pushes(home) if row[0] == "initech"] == ["refused", "created"]

    writes = len([r for r in emulator.calls("POST", "/v3/") if not r.path.endswith("/query")])
    assert main(["close", "--month", "2026-08"]) == 0
    assert len([r for r in emulator.calls("POST", "/v3/") if not r.path.endswith("/query")]) == writes, \
        "an unchanged re-close makes no write"

    # a tax code added to the contract changes the invoice's content hash: the draft is updated in place
    contract = home / "contracts" / "initech.yaml"
    coded = 'quickbooks: {exchange_rate: "1.0850", tax: {codes: {default: NON}}}'
    contract.write_text(contract.read_text().replace('quickbooks: {exchange_rate: "1.0850"}', coded))
    assert main(["close", "--month", "2026-08"]) == 0
    eur = emulator.invoices[eur["Id"]]
    assert len(emulator.invoices) == 2 and eur["SyncToken"] == "1"
    assert {ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in eur["Line"] if "SalesItemLineDetail" in ln} \
        == {"NON"}
    assert [row[1] for row in pushes(home) if row[0] == "initech"] == ["refused", "created", "updated"]
