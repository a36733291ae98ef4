"""The contract's `quickbooks:` key: tax codes per line kind, GlobalTaxCalculation and the exchange rate of an
invoice in a foreign currency. Pure: no Dagster, no I/O.

```yaml
quickbooks:
  tax:
    global_calculation: TaxExcluded          # TaxExcluded | TaxInclusive | NotApplicable
    codes: {hourly: "TAX", retainer_fee: "TAX", expense: "NON", default: "NON"}
    txn_code: "5"                            # optional: TxnTaxDetail.TxnTaxCodeRef (US sales tax rate)
  exchange_rate: "1.0850"                    # home-currency units per unit of the contract currency
```
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LINE_KINDS = ("retainer_fee", "fixed_fee", "retainer_covered", "hourly", "overage", "cap_adjustment", "discount",
              "minimum_adjustment", "prior_period_adjustment", "expense")
DEFAULT_CODE = "default"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QboTax(_Strict):
    """Tax codes (QuickBooks TaxCode Id or Name; US companies use TAX / NON) by line kind, `default` for the rest."""

    global_calculation: Literal["TaxExcluded", "TaxInclusive", "NotApplicable"] | None = None
    codes: dict[str, str] = {}
    txn_code: str | None = None

    @field_validator("codes")
    @classmethod
    def _kinds(cls, value: dict[str, str]) -> dict[str, str]:
        problems = [f"{kind}: not a line kind (one of {', '.join(LINE_KINDS)} or {DEFAULT_CODE})"
                    for kind in value if kind not in (*LINE_KINDS, DEFAULT_CODE)]
        problems += [f"{kind}: the tax code is empty" for kind, code in value.items() if not str(code).strip()]
        if problems:
            raise ValueError("; ".join(problems))
        return {kind: str(code).strip() for kind, code in value.items()}

    def code_for(self, kind: str) -> str | None:
        """The tax code of a line kind: its own, else `default`, else None."""
        return self.codes.get(kind, self.codes.get(DEFAULT_CODE))


class QuickBooksSettings(_Strict):
    """What QuickBooks needs beyond the priced lines: taxes, and the rate of a foreign-currency invoice."""

    tax: QboTax | None = None
    exchange_rate: Decimal | None = Field(default=None, gt=0)

    def code_for(self, kind: str) -> str | None:
        return self.tax.code_for(kind) if self.tax else None


def settings_hash_part(settings: QuickBooksSettings | None) -> str:
    """The text the invoice content hash adds for these settings: '' when none are set (hashes stay as before)."""
    if settings is None or (settings.tax is None and settings.exchange_rate is None):
        return ""
    tax = settings.tax or QboTax()
    codes = ",".join(f"{k}={v}" for k, v in sorted(tax.codes.items()))
    rate = "" if settings.exchange_rate is None else format(settings.exchange_rate.normalize(), "f")
    return f"qbo|{tax.global_calculation or ''}|{codes}|{tax.txn_code or ''}|{rate}"
