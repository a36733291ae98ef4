"""Taxes and currencies on QuickBooks: the contract's `quickbooks:` settings in the payload and the content hash, and
the pusher against the emulator's company (country, home currency, multicurrency, tax codes) through the real
python-quickbooks library."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.invoice import dumps_payload, outbox_payload, qbo_invoice_payload
from billing_assets.core.invoice_hash import invoice_content_hash
from billing_assets.core.qbo_settings import QuickBooksSettings, settings_hash_part
from billing_assets.push import sink_total_text
from resources.quickbooks.errors import QboError, QboRefused
from resources.quickbooks.invoices import PushRecord
from tests.conftest import partition_page
from tests.emulators.qbo_server import QboEmulator
from tests.qbo_helpers import line, make_draft, make_pusher

D = Decimal
UK_CODES = {"3": ("20.0% S", "20"), "7": ("Exempt", "0")}
UK_TAX = {"tax": {"global_calculation": "TaxExcluded", "codes": {"hourly": "20.0% S", "retainer_fee": "3",
                                                                 "default": "Exempt"}}}


def settings(**data) -> QuickBooksSettings:
    return QuickBooksSettings.model_validate(data)


def draft_with(qbo: dict | None = None, currency: str = "USD", name: str = "Acme Corp"):
    base = make_draft(name=name, extra=(line(5, "expense", "Travel", "1", "80.00"),))
    qbo_settings = settings(**qbo) if qbo is not None else None
    return replace(base, currency=currency, quickbooks=qbo_settings,
                   content_hash=invoice_content_hash(base.lines, base.total, settings_hash_part(qbo_settings)))


def writes(emu: QboEmulator) -> list:
    return [r for r in emu.calls("POST", "/v3/") if not r.path.endswith("/query")]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "tokens.json"


# --- the payload and the hash -------------------------------------------------------------------------------

def test_payload_carries_a_tax_code_per_line_kind_and_the_invoice_tax_settings() -> None:
    draft = draft_with({**UK_TAX, "exchange_rate": "1.0850"}, currency="EUR")
    payload = json.loads(dumps_payload(outbox_payload(draft)))
    codes = [(ln["SalesItemLineDetail"]["ItemRef"]["name"], ln["SalesItemLineDetail"]["TaxCodeRef"]["value"])
             for ln in payload["Line"]]
    # the discount has no code of its own and reduces fees taxed "3" (2,000.00) and "20.0% S" (1,875.00): it goes
    # in two parts, -100 x 1875/3875 = -48.39 and the rest, -51.61 (found by an auditor: taxed Exempt by
    # `default`, it reduced no VAT)
    assert codes == [("Retainer fee", "3"), ("Retainer hours - Senior", "Exempt"),
                     ("Hourly services - Senior", "20.0% S"), ("Discount", "3"), ("Discount", "20.0% S"),
                     ("Reimbursable expenses", "Exempt")]
    assert [(ln["Description"], ln["Amount"]) for ln in payload["Line"] if ln["Description"].startswith("Loyalty")
            ] == [("Loyalty discount (fees taxed 3)", -51.61), ("Loyalty discount (fees taxed 20.0% S)", -48.39)]
    assert sum(D(str(ln["Amount"])) for ln in payload["Line"]) == draft.total
    assert payload["GlobalTaxCalculation"] == "TaxExcluded"
    assert payload["CurrencyRef"] == {"value": "EUR"} and payload["ExchangeRate"] == 1.085
    ids = qbo_invoice_payload(draft, "58", {n: "9" for n in ("Retainer fee", "Retainer hours - Senior",
                                                             "Hourly services - Senior", "Discount",
                                                             "Reimbursable expenses")},
                              tax_refs={"20.0% S": "3", "Exempt": "7", "3": "3"}, home_currency="EUR")
    assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in ids["Line"]] == ["3", "7", "3", "3", "3",
                                                                                         "7"]
    assert "ExchangeRate" not in ids, "no exchange rate on an invoice in the home currency"


def test_a_discount_is_split_by_the_fees_net_of_their_cap() -> None:
    """Golden 03's September with a 10% discount: fees = fixed 6,000.00 (Exempt) + hours 17,581.60 less their cap
    -7,367.60 (20%) = 16,214.00 (spec section 4 step 9), discount -1,621.40: -600.00 Exempt, -1,021.40 at 20% (found
    by an auditor: weighed before the cap, the parts were -412.54 and -1,208.86, 37.49 of VAT short)."""
    lines = (line(1, "fixed_fee", "Fixed fee", "1", "6000.00"), line(2, "hourly", "Hours", "1", "17581.60"),
             line(3, "cap_adjustment", "NTE cap", "1", "-7367.60"),
             line(4, "discount", "Discount 10%", "1", "-1621.40"))
    draft = replace(make_draft(), lines=lines, total=sum((ln.amount for ln in lines), D(0)),
                    quickbooks=settings(tax={"codes": {"hourly": "20.0% S", "cap_adjustment": "20.0% S",
                                                       "default": "Exempt"}}))
    payload = json.loads(dumps_payload(outbox_payload(draft)))
    assert [(ln["Amount"], ln["SalesItemLineDetail"]["TaxCodeRef"]["value"]) for ln in payload["Line"][3:]] == [
        (-1021.4, "20.0% S"), (-600.0, "Exempt")]


def test_a_contract_without_quickbooks_settings_keeps_todays_payload_and_hash() -> None:
    draft = make_draft()
    payload = outbox_payload(draft)
    assert not {"GlobalTaxCalculation", "TxnTaxDetail", "ExchangeRate"} & payload.keys()
    assert all("TaxCodeRef" not in ln["SalesItemLineDetail"] for ln in payload["Line"])
    before = invoice_content_hash(draft.lines, draft.total)
    assert invoice_content_hash(draft.lines, draft.total, settings_hash_part(None)) == before
    assert invoice_content_hash(draft.lines, draft.total, settings_hash_part(settings())) == before
    changed = {settings_hash_part(settings(**UK_TAX)),
               settings_hash_part(settings(tax={"codes": {"hourly": "7", "default": "Exempt"}})),
               settings_hash_part(settings(exchange_rate="1.0850")), settings_hash_part(settings(exchange_rate="1.09"))}
    assert len({invoice_content_hash(draft.lines, draft.total, part) for part in changed} | {before}) == 5


def test_contract_tax_keys_are_validated() -> None:
    with pytest.raises(ValueError, match="hourlyy: not a line kind"):
        settings(tax={"codes": {"hourlyy": "TAX"}})
    with pytest.raises(ValueError, match="global_calculation"):
        settings(tax={"global_calculation": "Excluded"})
    with pytest.raises(ValueError, match="exchange_rate"):
        settings(exchange_rate="0")


# --- a company outside the US -------------------------------------------------------------------------------

def test_uk_company_accepts_a_tax_code_on_every_line_and_computes_the_tax(store: Path) -> None:
    with QboEmulator(country="GB", home_currency="GBP", tax_codes=UK_CODES) as emu:
        draft = draft_with(UK_TAX, currency="GBP")
        result = make_pusher(emu, store).upsert(draft)
        assert result.status == "created"
        invoice = emu.invoices[result.qbo_id]
        sales = [ln for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
        # both fee codes are TaxCode 3 once resolved: the discount is taxed as they are, in one line
        assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in sales] == ["3", "7", "3", "3", "7"]
        # 20% of the retainer fee (2000.00) and the hourly line (12.5 h x 150 = 1875.00) less the discount (100.00)
        assert invoice["TxnTaxDetail"]["TotalTax"] == D("755.00")
        assert invoice["TotalAmt"] == draft.total + D("755.00")


def test_uk_company_without_tax_codes_is_refused_before_anything_is_written(store: Path) -> None:
    with QboEmulator(country="GB", home_currency="GBP", tax_codes=UK_CODES) as emu:
        pusher = make_pusher(emu, store)
        with pytest.raises(QboRefused) as info:
            pusher.upsert(draft_with(None, currency="GBP"))
        message = str(info.value)
        assert message.startswith("acme 2026-10: not pushed to QuickBooks: the company is in GB")
        assert "contracts/acme.yaml has no quickbooks.tax.codes.discount" in message
        assert "discount, expense, hourly, retainer_covered, retainer_fee" in message and "\n" not in message
        assert writes(emu) == [] and not emu.customers and not emu.items and not emu.invoices

        partial = {"tax": {"codes": {"hourly": "3", "retainer_fee": "3"}}}
        with pytest.raises(QboRefused, match=r"codes\.expense .*expense, retainer_covered$"):
            pusher.upsert(draft_with(partial, currency="GBP"))
        with pytest.raises(QboRefused, match=r"quickbooks\.tax\.codes\.hourly: '20% S' is not an active TaxCode "
                                             r"of the company \(known: 3 \(20\.0% S\), 7 \(Exempt\)\)"):
            pusher.upsert(draft_with({"tax": {"codes": {"hourly": "20% S", "default": "7"}}}, currency="GBP"))
        assert writes(emu) == []


def test_the_emulator_enforces_what_quickbooks_enforces(store: Path) -> None:
    """Past our own check (sent straight through python-quickbooks), QuickBooks' faults come back."""
    with QboEmulator(country="CA", home_currency="CAD", tax_codes={"5": ("GST", "5")}) as emu:
        pusher = make_pusher(emu, store)
        draft = draft_with(None, currency="CAD")
        customer, items = pusher._refs(draft)
        body = qbo_invoice_payload(draft, customer, items)
        with pytest.raises(QboError) as missing:
            pusher._write("Invoice", body, "rid-1")
        assert missing.value.code == 6000 and "GST/HST rate before you save" in str(missing.value)
        coded = qbo_invoice_payload(replace(draft, quickbooks=settings(tax={"codes": {"default": "99"}})),
                                    customer, items)
        with pytest.raises(QboError) as unknown:
            pusher._write("Invoice", coded, "rid-2")
        assert unknown.value.code == 2500 and "TaxCode 99" in str(unknown.value)
        assert not emu.invoices
    with QboEmulator() as us:
        pusher = make_pusher(us, store.with_name("us.json"))
        draft = draft_with({"tax": {"codes": {"default": "5"}}})
        customer, items = pusher._refs(draft)
        with pytest.raises(QboError) as bad:
            pusher._write("Invoice", qbo_invoice_payload(draft, customer, items), "rid-3")
        assert bad.value.code == 6100 and "TAX or NON" in str(bad.value)


def test_us_company_codes_go_as_tax_and_non_with_the_rate_in_txn_tax_detail(store: Path) -> None:
    with QboEmulator(tax_codes={"12": ("California", "7.25")}) as emu:
        qbo = {"tax": {"codes": {"hourly": "TAX", "default": "NON"}, "txn_code": "California"}}
        result = make_pusher(emu, store).upsert(draft_with(qbo))
        invoice = emu.invoices[result.qbo_id]
        assert invoice["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "12"}
        # 7.25% of 1875.00 less the discount's share of it (-100 x 1875/3875 = -48.39): of 1826.61, to the cent
        assert invoice["TxnTaxDetail"]["TotalTax"] == D("132.43")
        assert "GlobalTaxCalculation" not in invoice
        with pytest.raises(QboRefused, match=r"codes\.hourly: 'VAT': a US company's line tax code is TAX or NON"):
            make_pusher(emu, store).upsert(draft_with({"tax": {"codes": {"hourly": "VAT"}}}, name="Other"))


def test_an_uncoded_discount_is_taxed_as_the_fees_it_reduces(store: Path) -> None:
    """US sales tax on fees, no code for the discount line: QuickBooks took it as untaxed, so tax was computed on the
    fees before the discount (and a minimum-fee line added no tax). It takes the fee lines' code when they share one;
    when they do not and nothing names its code, the draft is refused before anything is written."""
    with QboEmulator(tax_codes={"12": ("California", "7.25")}) as emu:
        coded = {"tax": {"codes": {"retainer_fee": "TAX", "retainer_covered": "TAX", "hourly": "TAX",
                                   "expense": "NON"}, "txn_code": "California"}}
        invoice = emu.invoices[make_pusher(emu, store).upsert(draft_with(coded)).qbo_id]
        codes = [(ln["Description"], ln["SalesItemLineDetail"]["TaxCodeRef"]["value"]) for ln in invoice["Line"]
                 if ln.get("DetailType") == "SalesItemLineDetail"]
        assert ("Loyalty discount", "TAX") in codes and ("Travel", "NON") in codes
        assert invoice["TxnTaxDetail"]["TotalTax"] == D("273.69")  # 7.25% of 2000 + 1875 - 100, to the cent
        # the retainer fee uncoded (untaxed), the hours taxed: the discount goes in two parts, as its fees are
        mixed = {"tax": {"codes": {"hourly": "TAX", "expense": "NON"}, "txn_code": "California"}}
        invoice = emu.invoices[make_pusher(emu, store).upsert(draft_with(mixed, name="Other")).qbo_id]
        parts = [(ln["Amount"], ln["SalesItemLineDetail"].get("TaxCodeRef")) for ln in invoice["Line"]
                 if ln.get("DetailType") == "SalesItemLineDetail" and ln["Description"].startswith("Loyalty")]
        assert parts == [(D("-51.61"), None), (D("-48.39"), {"value": "TAX"})]
        assert invoice["TxnTaxDetail"]["TotalTax"] == D("132.43")  # 7.25% of 1875.00 - 48.39
        # a minimum or cap over fees taxed differently has no share to follow: the contract names its code
        minimum = make_draft(name="Third", extra=(line(5, "minimum_adjustment", "Monthly minimum", "1", "50.00"),))
        with pytest.raises(QboRefused, match=r"the fee lines are taxed with different codes, so contracts/acme.yaml "
                                             r"must name the code of quickbooks.tax.codes.minimum_adjustment"):
            make_pusher(emu, store).upsert(replace(minimum, quickbooks=settings(**mixed)))
        defaulted = {"tax": {**mixed["tax"], "codes": {**mixed["tax"]["codes"], "default": "NON"}}}
        with pytest.raises(QboRefused, match=r"quickbooks.tax.codes.minimum_adjustment \(line kind\(s\) "
                                             r"minimum_adjustment adjust those fees; codes.default does not say which"):
            make_pusher(emu, store).upsert(replace(minimum, quickbooks=settings(**defaulted)))  # NON: not the TAX


# --- currencies ---------------------------------------------------------------------------------------------

def test_foreign_currency_goes_with_currency_ref_and_exchange_rate_when_multicurrency_is_on(store: Path) -> None:
    with QboEmulator(multicurrency=True) as emu:
        result = make_pusher(emu, store).upsert(draft_with({"exchange_rate": "1.0850"}, currency="EUR"))
        sent = json.loads(next(r.body for r in writes(emu) if r.path.endswith("/invoice")))
        assert sent["CurrencyRef"] == {"value": "EUR"} and sent["ExchangeRate"] == 1.085
        assert emu.invoices[result.qbo_id]["ExchangeRate"] == D("1.0850")
        assert [c["CurrencyRef"]["value"] for c in emu.customers.values()] == ["EUR"]


def test_foreign_currency_is_refused_when_multicurrency_is_off(store: Path) -> None:
    with QboEmulator() as emu:
        with pytest.raises(QboRefused) as info:
            make_pusher(emu, store).upsert(draft_with({"exchange_rate": "1.0850"}, currency="EUR"))
        assert str(info.value) == (
            "acme 2026-10: not pushed to QuickBooks: the contract bills in EUR but the company's home currency is "
            "USD and multicurrency is off (Preferences CurrencyPrefs.MultiCurrencyEnabled false); turn on "
            "multicurrency in QuickBooks or bill in USD")
        assert writes(emu) == []


def test_a_customer_in_another_currency_is_refused(store: Path) -> None:
    with QboEmulator(multicurrency=True) as emu:
        emu.add_customer("Acme Corp", CurrencyRef={"value": "GBP"})
        with pytest.raises(QboRefused, match=r"customer 'Acme Corp' is in GBP in QuickBooks \(a customer's currency "
                                             r"is fixed when it is created\) but contracts/acme\.yaml bills in EUR"):
            make_pusher(emu, store).upsert(draft_with(None, currency="EUR"))
        assert writes(emu) == []


# --- idempotence and the company read -------------------------------------------------------------------------

def test_unchanged_push_writes_nothing_and_a_changed_tax_code_updates_the_draft(store: Path) -> None:
    with QboEmulator(country="GB", home_currency="GBP", tax_codes=UK_CODES) as emu:
        pusher = make_pusher(emu, store)
        first = pusher.upsert(draft_with(UK_TAX, currency="GBP"))
        record = first.record()
        count = len(writes(emu))
        again = pusher.upsert(draft_with(UK_TAX, currency="GBP"), record)
        assert again.status == "unchanged" and len(writes(emu)) == count, "an unchanged re-push makes no write"

        changed = {"tax": {**UK_TAX["tax"], "codes": {**UK_TAX["tax"]["codes"], "hourly": "Exempt"}}}
        draft = draft_with(changed, currency="GBP")
        assert draft.content_hash != first.content_hash
        updated = pusher.upsert(draft, record)
        assert updated.status == "updated" and len(emu.invoices) == 1
        invoice = emu.invoices[first.qbo_id]
        # 20% of the retainer fee less its share of the discount (-100 x 2000/3875 = -51.61): of 1948.39
        assert invoice["SyncToken"] == "1" and invoice["TxnTaxDetail"]["TotalTax"] == D("389.68")
        assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in invoice["Line"][:6]] == [
            "3", "7", "7", "3", "7", "7"]
        # no record (a crash after the update): our note and lines, tax codes included, are recognised as ours
        assert pusher.upsert(draft, None).status == "unchanged"
        assert pusher.upsert(draft, PushRecord(first.qbo_id, "1", draft.content_hash)).status == "unchanged"


def test_company_settings_are_read_once_until_forgotten(store: Path) -> None:
    with QboEmulator(multicurrency=True) as emu:
        pusher = make_pusher(emu, store)
        pusher.upsert(draft_with(None, currency="EUR"))
        pusher.upsert(replace(draft_with(None, currency="EUR"), month="2026-09"))
        assert len(emu.calls("GET", "/companyinfo/")) == 1 and len(emu.calls("GET", "/preferences")) == 1
        emu.multicurrency = False
        pusher.forget_company()
        with pytest.raises(QboRefused, match="multicurrency is off"):
            pusher.upsert(replace(draft_with(None, currency="EUR"), month="2026-08"))
        assert len(emu.calls("GET", "/companyinfo/")) == 2


def test_a_sent_invoice_is_reported_as_sent_not_refused(store: Path) -> None:
    with QboEmulator(country="GB", home_currency="GBP", tax_codes=UK_CODES) as emu:
        pusher = make_pusher(emu, store)
        first = pusher.upsert(draft_with(UK_TAX, currency="GBP"))
        emu.send_invoice(first.qbo_id)
        count = len(writes(emu))
        result = pusher.upsert(draft_with(None, currency="GBP"), first.record())  # codes removed since
        assert result.status == "conflict_sent" and "sent from QuickBooks" in result.reason
        assert len(writes(emu)) == count
        with pytest.raises(QboRefused, match="every line needs a tax code"):
            pusher.upsert(replace(draft_with(None, currency="GBP"), month="2026-09"))


# --- what QuickBooks totals a pushed draft at, on its partition page ----------------------------------------

def test_the_push_page_shows_what_quickbooks_totals_the_draft_at_with_its_tax(qbo_home) -> None:
    """Our total is before the tax QuickBooks computes; the finance person approving from the partition page sees
    the invoice's total in QuickBooks and where the difference comes from."""
    home, emulator = qbo_home
    emulator.books.add_tax_code("12", "California", "7.25")
    contract = home / "contracts" / "globex.yaml"
    untaxed = contract.read_text()
    contract.write_text(untaxed + "quickbooks: {tax: {codes: {hourly: TAX, default: NON}, txn_code: California}}\n")
    assert main(["close", "--month", "2026-08"]) == 0
    [invoice] = emulator.invoices.values()
    tax = D(str(invoice["TxnTaxDetail"]["TotalTax"]))
    total = D(str(invoice["TotalAmt"]))
    assert tax > 0 and total == tax + priced_total(home, "globex", "2026-08")
    page = partition_page("quickbooks_draft_invoices", "globex", "2026-08")
    assert page["quickbooks_total"] == (f"{total:,.2f} USD: {total - tax:,.2f} USD as priced + {tax:,.2f} USD tax "
                                        "computed by QuickBooks")
    overview = latest_metadata("firm_overview")["overview"]  # the finance first page says it too
    assert "| client | month | status | total | in QuickBooks | hours billed | held hours |" in overview
    assert (f"| globex | 2026-08 | pushed | {total - tax:,.2f} USD | {total:,.2f} USD incl. {tax:,.2f} USD tax |"
            in overview), overview

    contract.write_text(untaxed)
    assert main(["close", "--month", "2026-08"]) == 0  # no tax codes any more: the draft is updated, untaxed
    page = partition_page("quickbooks_draft_invoices", "globex", "2026-08")
    assert page["push"] == "updated"
    assert page["quickbooks_total"] == f"{priced_total(home, 'globex', '2026-08'):,.2f} USD, as priced"


def test_approval_says_what_the_client_is_charged_with_quickbooks_tax(qbo_home, capsys) -> None:
    home, emulator = qbo_home
    emulator.books.add_tax_code("12", "California", "7.25")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "quickbooks: {tax: {codes: {hourly: TAX, default: NON}, "
                                               "txn_code: California}}\n")
    assert main(["close", "--month", "2026-08"]) == 0
    for customer in emulator.customers.values():
        customer["PrimaryEmailAddr"] = {"Address": "ap@globex.example"}
    [invoice] = emulator.invoices.values()
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana Finance"]) == 0
    out = capsys.readouterr().out
    tax = D(str(invoice["TxnTaxDetail"]["TotalTax"]))
    assert invoice["EmailStatus"] == "EmailSent" and tax > 0
    assert f"; QuickBooks total {D(str(invoice['TotalAmt'])):,.2f} USD incl. {tax:,.2f} USD tax" in out, out


def test_a_quickbooks_total_that_is_not_ours_plus_its_tax_is_said() -> None:
    draft = make_draft()
    assert sink_total_text(draft, draft.total, None) == (f"{draft.total:,.2f} USD, as priced", False)
    assert sink_total_text(draft, draft.total, D("12.50")) == (
        f"{draft.total:,.2f} USD, as priced (12.50 USD tax inside it, computed by QuickBooks)", False)
    text, differs = sink_total_text(draft, draft.total + D("0.01"), D("0"))
    assert differs and text == (f"{draft.total + D('0.01'):,.2f} USD (tax 0.00 USD) where we priced "
                                f"{draft.total:,.2f} USD: QuickBooks totals the lines we pushed otherwise; open the "
                                "draft in QuickBooks before approving it")


def priced_total(home: Path, client: str, month: str) -> Decimal:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT total FROM invoices WHERE client = ? AND month = ?", [client, month]).fetchone()[0]


def latest_metadata(asset: str) -> dict:
    """The metadata of the asset's latest materialization (DAGSTER_HOME's instance), as text."""
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.get() as instance:
        event = instance.get_latest_materialization_event(AssetKey(asset))
        return {k: str(v.value) for k, v in event.asset_materialization.metadata.items()}
