"""The outbox payload is what the warehouse priced: a close killed after writing a re-priced payload and before
recording its push left that payload (15,684.48) under the old record (13,879.48); once the timesheet was reverted,
the next close called the draft unchanged by its hash and approval sent the wrong file."""

from __future__ import annotations

import json
from decimal import Decimal

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN


def test_an_outbox_file_that_differs_from_its_record_is_written_again(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    assert main(["close", "--month", "2026-08"]) == 0
    draft = home / "outbox" / "2026-08" / "globex.json"
    priced = json.loads(draft.read_text())
    left_behind = {**priced, "Line": priced["Line"][:1]}  # what a killed close's re-priced write left there
    draft.write_text(json.dumps(left_behind, indent=2) + "\n")
    assert main(["close", "--month", "2026-08"]) == 0
    assert json.loads(draft.read_text()) == priced
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        statuses = [s for (s,) in conn.execute("SELECT status FROM invoice_pushes WHERE client = 'globex' AND "
                                               "month = '2026-08' ORDER BY pushed_at").fetchall()]
        total = conn.execute("SELECT total FROM invoices WHERE client = 'globex' AND month = '2026-08'").fetchone()[0]
    assert statuses == ["created", "updated"] and total == Decimal("13879.48")
    capsys.readouterr()
