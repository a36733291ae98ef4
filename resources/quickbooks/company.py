"""What a QuickBooks company accepts: its country (line tax codes outside the US), home currency, multicurrency
preference and tax codes; and the check of a draft against them before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from billing_assets.core.invoice import discount_parts, fee_codes_differ, line_tax_code
from billing_assets.core.model import InvoiceDraft, InvoiceLine
from billing_assets.core.qbo_settings import DEFAULT_CODE
from resources.quickbooks.errors import QboRefused

US_LINE_CODES = ("TAX", "NON")  # the only line TaxCodeRef values of a US company (QuickBooks error 6100)


@dataclass(frozen=True)
class Company:
    """CompanyInfo.Country, Preferences.CurrencyPrefs and the active TaxCodes (Id -> Name) of one company."""

    country: str
    home_currency: str
    multicurrency: bool
    tax_codes: Mapping[str, str] = field(default_factory=dict)

    @property
    def us(self) -> bool:
        return self.country.strip().upper() in ("US", "USA", "")

    def tax_code_id(self, code: str) -> str | None:
        """The TaxCode Id a contract's code names (an Id, else a Name, case-insensitive), or None."""
        if code in self.tax_codes:
            return code
        return next((i for i, name in self.tax_codes.items() if name.lower() == code.lower()), None)


def check_draft(draft: InvoiceDraft, company: Company, customer_currency: str | None) -> dict[str, str]:
    """The TaxCode Id of each of the contract's codes the draft uses; raises QboRefused (one line naming the client,
    month and the setting or contract key) when QuickBooks would refuse the invoice, before anything is written."""
    where = f"{draft.client} {draft.month}: not pushed to QuickBooks:"
    contract = f"contracts/{draft.client}.yaml"
    if draft.currency != company.home_currency and not company.multicurrency:
        raise QboRefused(f"{where} the contract bills in {draft.currency} but the company's home currency is "
                         f"{company.home_currency} and multicurrency is off (Preferences "
                         "CurrencyPrefs.MultiCurrencyEnabled false); turn on multicurrency in QuickBooks or bill in "
                         f"{company.home_currency}")
    if customer_currency and customer_currency != draft.currency:
        raise QboRefused(f"{where} customer {draft.customer_name!r} is in {customer_currency} in QuickBooks (a "
                         f"customer's currency is fixed when it is created) but {contract} bills in {draft.currency}; "
                         "use a new customer name for the new currency or bill in the customer's")
    settings = draft.quickbooks
    tax = settings.tax if settings is not None else None
    if differ := fee_codes_differ(draft):
        raise QboRefused(f"{where} the fee lines are taxed with different codes, so {contract} must name the code of "
                         f"quickbooks.tax.codes.{differ[0]} (line kind(s) {', '.join(differ)} adjust those fees; "
                         f"codes.{DEFAULT_CODE} does not say which)")
    if not company.us:
        missing = sorted({line.kind for line in draft.lines if _uncoded(draft, line)})
        if missing:
            raise QboRefused(f"{where} the company is in {company.country}, where every line needs a tax code, and "
                             f"{contract} has no quickbooks.tax.codes.{missing[0]} (nor codes.{DEFAULT_CODE}) for line "
                             f"kind(s) {', '.join(missing)}")
    refs: dict[str, str] = {}
    used = {(kind, code) for kind, code in (tax.codes.items() if tax else ())
            if any(line_tax_code(draft, line) == code for line in draft.lines)}
    for kind, code in sorted(used):
        if company.us:
            if code not in US_LINE_CODES:
                raise QboRefused(f"{where} {contract} quickbooks.tax.codes.{kind}: {code!r}: a US company's line "
                                 f"tax code is TAX or NON (the rate goes in quickbooks.tax.txn_code)")
            refs[code] = code
        else:
            refs[code] = _known(company, code, f"{where} {contract} quickbooks.tax.codes.{kind}")
    if tax is not None and tax.txn_code:
        refs[tax.txn_code] = _known(company, tax.txn_code, f"{where} {contract} quickbooks.tax.txn_code")
    return refs


def _uncoded(draft: InvoiceDraft, line: InvoiceLine) -> bool:
    """A line QuickBooks would receive without a tax code (a discount split by code: one of its parts)."""
    if parts := discount_parts(draft, line):
        return None in dict(parts)
    return line_tax_code(draft, line) is None


def with_tax_ids(draft: InvoiceDraft, refs: Mapping[str, str]) -> InvoiceDraft:
    """The draft with its contract's tax codes replaced by TaxCode Ids (`refs` from `check_draft`); same hash."""
    settings = draft.quickbooks
    if settings is None or settings.tax is None or not refs:
        return draft
    tax = settings.tax.model_copy(update={
        "codes": {kind: refs.get(code, code) for kind, code in settings.tax.codes.items()},
        "txn_code": refs.get(settings.tax.txn_code, settings.tax.txn_code) if settings.tax.txn_code else None})
    return replace(draft, quickbooks=settings.model_copy(update={"tax": tax}))


def _known(company: Company, code: str, label: str) -> str:
    found = company.tax_code_id(code)
    if found is None:
        known = ", ".join(f"{i} ({n})" for i, n in sorted(company.tax_codes.items())) or "none"
        raise QboRefused(f"{label}: {code!r} is not an active TaxCode of the company (known: {known})")
    return found
