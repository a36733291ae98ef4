"""A sent month whose contract was edited since, without an amendment (found by an auditor): closing the next
month alone priced it with no word of the sent month, and approval sent it, so the sent month's difference under
the edited terms was never carried. The close names it, approval refuses the month that would carry it, and a
change that moves no amount (an alias added) refuses nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN


def _totals(home: Path) -> dict[str, Decimal]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return {m: Decimal(t) for m, t in conn.execute(
            "SELECT month, total::VARCHAR FROM invoices WHERE client = 'globex' ORDER BY month").fetchall()}


def test_a_sent_months_rate_edited_without_an_amendment_is_carried_not_lost(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    before = _totals(home)
    assert before == {"2026-08": Decimal("13879.48"), "2026-09": Decimal("14360.42")}  # expected.json
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("partner: 420", "partner: 500"))

    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 0
    assert _totals(home) == {"2026-08": Decimal("13879.48"), "2026-09": Decimal("14740.42")}
    assert ("warning: globex 2026-08: 2026-08 was sent at 13,879.48 USD, and under its contract as it reads now "
            "(contracts/globex.yaml) it prices 14,259.48 USD (+380.00), which no invoice carries: if the change "
            "applies to 2026-08, close it and the months after it again (`billing close --month 2026-08..2026-09 "
            "--client globex`) so that the next unsent month carries the difference; if the change is meant from a "
            "later month only, write it as an amendment (`effective_from`) instead") in capsys.readouterr().out
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    assert ("2026-09  skipped       2026-08 was sent at 13,879.48 USD, and under its contract as it reads now "
            "(contracts/globex.yaml) it prices 14,259.48 USD (+380.00): this month carries the difference once "
            "2026-08 is closed again (if the change is meant from a later month only, write it as an amendment "
            "(`effective_from`) instead): close 2026-08..2026-09 again, review the new draft, then approve"
            ) in capsys.readouterr().out

    assert main(["close", "--month", "2026-08..2026-09"]) == 0  # as advised: September carries August's +380.00
    # August now prices 14,259.48 (5 partner h at +80.00, less the 5% discount: +380.00), and September its own
    # partner hours at the new rate (14,740.42, as when closed alone) plus August's +380.00
    assert _totals(home) == {"2026-08": Decimal("14259.48"), "2026-09": Decimal("15120.42")}
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0


def test_a_sent_months_contract_edit_that_moves_no_amount_refuses_nothing(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08..2026-09")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("aliases:\n", "aliases:\n- Globex Intl\n", 1))
    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 0
    assert "2026-08 was sent at" not in capsys.readouterr().out
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0
    assert _totals(home)["2026-09"] == Decimal("14360.42")
