"""Bad overrides are named: an unknown entry id is a warning, an unknown work type or SOW item an error naming the
override file and row (in `billing validate` and in the message of the check that fails)."""

from __future__ import annotations

import duckdb

from billing_assets.cli import main
from billing_assets.core.sources import read_folder
from tests.conftest import GOLDEN


def test_bad_overrides_are_named_in_validate_and_in_the_failing_check(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    ids = sorted(e.entry_id for e in read_folder(home).entries if e.month == "2026-08")
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "review.csv").write_text(
        "entry_id,work_type,sow_item,action,note\n"
        f"{ids[0]},turbo,,,typo\n"
        "h0000000000000000,,,bill,deleted entry\n"
        f"{ids[1]},,S9,,typo\n"
        f"{ids[2]},rush,,,fine\n")

    assert main(["validate"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert ("warning: overrides/review.csv: row 2: entry id 'h0000000000000000' matches no time entry in the "
            "exports; the row applies to nothing") in out
    assert ("overrides/review.csv: row 1: work_type 'turbo' is not a work type of contracts/globex.yaml (known: "
            "non_billable, rush, standard); work_types_present will stop its month") in out
    assert [line for line in out if line.startswith("overrides/review.csv: row 3: sow_item 'S9' is not a SOW item "
                                                    "of contracts/globex.yaml")]
    assert not [line for line in out if "row 4" in line]

    assert main(["close", "--month", "2026-08"]) == 1
    capsys.readouterr()
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        messages = dict(conn.execute("SELECT check_name, message FROM check_results WHERE NOT passed AND blocking"
                                     ).fetchall())
    assert set(messages) == {"work_types_present", "sow_items_exist"}
    assert f"overrides/review.csv: row 1: {ids[0]}=turbo" in messages["work_types_present"]
    assert f"overrides/review.csv: row 3: {ids[1]}=S9" in messages["sow_items_exist"]
