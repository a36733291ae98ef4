"""Only the pricing of a client-month materialized again (the UI's Materialize on `priced_line_items`) after a
contract edit: the overview said `ready` with the new total while the draft out was the old one (found by an
auditor). It now says the pushed draft is out of date and what to run; approval refuses the month until then."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance

from billing_assets.cli import main
from billing_assets.definitions import build_defs
from billing_assets.partitions import client_month_key
from tests.conftest import GOLDEN


def _overview(home: Path) -> tuple[str, Decimal, str, str]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT status, total, doc_number, detail FROM firm_overview "
                            "WHERE client = 'globex' AND month = '2026-08'").fetchone()


def test_a_month_priced_again_alone_says_its_pushed_draft_is_out_of_date(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    status, total, doc, _ = _overview(home)
    assert (status, total) == ("pushed", Decimal("13879.48"))
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("partner: 420", "partner: 500"))

    result = build_defs().resolve_job_def("month_close").execute_in_process(
        instance=DagsterInstance.get(), raise_on_error=False, asset_selection=[AssetKey("priced_line_items")],
        partition_key=client_month_key("globex", "2026-08"))
    assert result.success
    assert _overview(home) == (
        f"priced again; its pushed draft {doc} is out of date", Decimal("14259.48"), doc,
        "priced again since its draft was pushed (only the pricing was materialized?): the draft does not hold this "
        "total; push it again (materialize quickbooks_draft_invoices for the month, or close the month again), "
        "review it, then approve")
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert "2026-08  skipped" in capsys.readouterr().out  # with what to close: the draft out is the old one

    assert main(["close", "--month", "2026-08"]) == 0
    assert _overview(home)[:2] == ("pushed", Decimal("14259.48"))
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
