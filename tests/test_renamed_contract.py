"""A contract file renamed after invoices were sent: the new client key prices the months the old key sent. Found by
an auditor: `halcyon-foundation.yaml` renamed `halcyon.yaml` (same name, same exports) and August and September,
already sent, went out again under new document numbers (23,060.21 billed twice), with no word. The push and
approval now hold back a month that bills time another client's sent invoice still bills, naming it."""

from __future__ import annotations

import duckdb

from billing_assets.cli import main
from tests.conftest import GOLDEN


def _rows(home, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_a_renamed_contract_file_does_not_bill_the_months_sent_under_its_old_name_again(closed_golden, capsys) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    old = home / "contracts" / "globex.yaml"
    (home / "contracts" / "globex2.yaml").write_text(old.read_text().replace("client: globex", "client: globex2"))
    old.unlink()
    capsys.readouterr()
    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert ("FAILED globex2 2026-08:\n  time billed to another client too: 43 entry(ies) of this month were sent on "
            "globex 2026-08's invoice, which still bills them") in out
    assert _rows(home, "SELECT client, status FROM firm_overview WHERE month = '2026-08' ORDER BY 1") == [
        ("globex", "sent"), ("globex2", "blocked: billed to another client")]
    assert not (home / "outbox" / "2026-08" / "globex2.json").exists()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert _rows(home, "SELECT client FROM sent_invoices") == [("globex",)]

    (home / "contracts" / "globex2.yaml").write_text(  # the new key starts after the month sent under the old one
        (home / "contracts" / "globex2.yaml").read_text() + "start: 2026-09\n")
    assert main(["close", "--month", "2026-08"]) == 0
    assert _rows(home, "SELECT count(*) FROM invoices WHERE client = 'globex2'") == [(0,)]


def test_a_pushed_draft_of_a_client_whose_contract_was_removed_is_named_by_approval(closed_golden, capsys) -> None:
    """Found by an auditor: a retired client's pushed draft stayed `pushed`, and firm-wide approval passed over it
    without a word (it listed only clients with a contract file)."""
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    (home / "contracts" / "globex.yaml").unlink()
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    [line] = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("globex ")]
    assert "skipped" in line and "contracts/globex.yaml: not found" in line
    assert _rows(home, "SELECT count(*) FROM sent_invoices") == [(0,)]


def test_an_alias_moved_to_another_contract_does_not_bill_its_sent_rows_again_even_held(closed_golden, capsys) -> None:
    """Found by an auditor: northwind's sent July rows, claimed by initech through an alias moved to it, were held
    there (no project code), and initech's July went out at its 3,000.00 minimum fee with no word."""
    home = closed_golden(GOLDEN / "01_retainer_rush_rollover", "2026-07")
    assert main(["approve", "--month", "2026-07", "--by", "Dana"]) == 0
    northwind = home / "contracts" / "northwind.yaml"
    northwind.write_text(northwind.read_text().replace("name: Northwind Traders", "name: Northwind Holdings"))
    initech = (GOLDEN / "03_caps_tiers_fixed_fee" / "contracts" / "initech.yaml").read_text()
    (home / "contracts" / "initech.yaml").write_text(initech + "aliases: [Northwind Traders]\ndefault_rate: 100\n")
    capsys.readouterr()
    assert main(["close", "--month", "2026-07", "--client", "initech"]) == 1
    assert ("FAILED initech 2026-07:\n  time billed to another client too: 11 entry(ies) of this month were sent on "
            "northwind 2026-07's invoice, which still bills them") in capsys.readouterr().out
    assert _rows(home, "SELECT status FROM firm_overview WHERE client = 'initech'") == [
        ("blocked: billed to another client",)]
    assert not (home / "outbox" / "2026-07" / "initech.json").exists()
    assert main(["approve", "--month", "2026-07", "--client", "initech", "--by", "Dana"]) == 1
    assert _rows(home, "SELECT client FROM sent_invoices") == [("northwind",)]
