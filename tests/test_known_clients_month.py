"""`raw_time_entries.known_clients` judges a month's rows as a whole. Found by an auditor: with one contract
broken, every other client's check said "74 rows of 2026-10 name a client no contract knows", naming neither the
client nor the file; fixed and that client closed again, the others' failures stayed, carried on the Checks tab."""

from __future__ import annotations

from pathlib import Path

import duckdb

import resources.home as home_module
from billing_assets.cli import main
from tests.conftest import GOLDEN
from tests.test_stale_chain import CONTRACT, HARVEST


def _known_clients(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT client, passed, message FROM check_results WHERE check_name = 'known_clients' "
                            "AND month = '2026-08' ORDER BY client").fetchall()


def test_a_month_whose_rows_all_match_a_contract_again_passes_for_every_client(billing_env, capsys,
                                                                                monkeypatch) -> None:
    monkeypatch.setattr(home_module, "FOLDER_STAMP_SECONDS", 0.0)  # the fix is seen at once, as by a new process
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    rcx = home / "contracts" / "rcx.yaml"
    rcx.write_text(CONTRACT.replace('name: "RCX Ltd"', 'name: "RCX Ltd'))  # an unclosed quote: not YAML
    (home / "timesheets" / "rcx.csv").write_text(HARVEST + "2026-08-05,RCX Ltd,Ops,,Support,Work,4,Yes,Ann,Lee\n"
                                                 "2026-08-06,RCX Ltd,Ops,,Support,Work,2,Yes,Ann,Lee\n")
    main(["close", "--month", "2026-08"])
    assert _known_clients(home) == [("globex", False, "2 rows of 2026-08 name a client no contract knows: 'RCX Ltd' "
                                     "(2 rows); contracts/rcx.yaml could not be read: it may be theirs (see `billing "
                                     "validate`)")]

    rcx.write_text(CONTRACT)
    assert main(["close", "--month", "2026-08", "--client", "rcx"]) == 0
    assert _known_clients(home) == [("globex", True, "every row of the month matches a contract"),
                                    ("rcx", True, "every row of the month matches a contract")]
