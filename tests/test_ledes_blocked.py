"""`billing export ledes` of a client-month the close blocked: the same Harvest export saved twice fails the blocking
check `raw_time_entries.no_cross_file_duplicates` for globex, whose invoice then holds every entry twice (27,305.36
instead of 13,879.48). No file is written for it, the command names the month and the check in one line and exits 1;
the other client's month is written."""

from __future__ import annotations

import shutil
from decimal import Decimal

from billing_assets.cli import main
from tests.conftest import GOLDEN
from tests.test_ledes import LEDES_BLOCK, check_ledes_1998b

INITECH_LEDES = """ledes:
  law_firm_id: 12-3456789
  client_id: INITECH
  matter_id: IN-2026-001
  task_code: L190
"""


def test_a_blocked_month_is_not_exported_and_the_command_fails(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    globex = home / "contracts" / "globex.yaml"
    globex.write_text(globex.read_text() + LEDES_BLOCK)
    initech = GOLDEN / "03_caps_tiers_fixed_fee"
    (home / "contracts" / "initech.yaml").write_text((initech / "contracts" / "initech.yaml").read_text()
                                                     + INITECH_LEDES)
    for folder, name in (("timesheets", "harvest_time_a.csv"), ("timesheets", "harvest_time_b.csv"),
                         ("expenses", "harvest_expenses.csv")):
        shutil.copy(initech / folder / name, home / folder / f"initech_{name}")
    timesheets = home / "timesheets"
    shutil.copy(timesheets / "harvest_time_a.csv", timesheets / "harvest_time_a_again.csv")  # saved twice

    assert main(["close", "--month", "2026-08"]) == 1  # globex blocked, initech priced
    out = home.parent / "ledes_blocked"
    capsys.readouterr()
    assert main(["export", "ledes", "--month", "2026-08", "--out", str(out)]) == 1
    printed = capsys.readouterr().out

    assert not (out / "globex_2026-08.ledes").exists(), "globex 2026-08 billed every entry twice"
    blocked = [line for line in printed.splitlines() if line.startswith("globex 2026-08")]
    assert len(blocked) == 1, printed
    assert blocked[0].startswith("globex 2026-08: not exported: blocked: raw_time_entries.no_cross_file_duplicates: "
                                 "43 rows appear in more than one export file"), printed

    records = check_ledes_1998b((out / "initech_2026-08.ledes").read_bytes().decode("ascii"))
    assert Decimal(records[0]["INVOICE_TOTAL"]) > 0
    assert "initech 2026-08: " in printed and "1 LEDES file(s) written" in printed
