"""A person's day adding up to over 24 h across entries (each under the spec's 24-hour limit, so none is held) was
billed and pushed without a flag (found by an auditor: three 10 h entries of one person on one day, 6,000.00 of
impossible time). `raw_time_entries.person_days_plausible` warns of it, and the close prints its warnings."""

from __future__ import annotations

from decimal import Decimal

import duckdb

from billing_assets.cli import main
from billing_assets.core.quality import person_days
from tests.conftest import GOLDEN

HARVEST = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"


def test_a_day_over_24_hours_is_named_with_its_rows() -> None:
    assert person_days([]).passed
    outcome = person_days([{"entry_date": "2026-08-05", "person": "Raj Patel", "hours": Decimal("30.50"),
                            "entries": 3, "places": "timesheets/late.csv row 1, timesheets/late.csv row 2, "
                                                    "timesheets/late.csv row 3"}])
    assert not outcome.passed and outcome.metadata == {"person_days": 1}
    assert outcome.message == (
        "1 person-day adds up to over 24 h: Raj Patel 30.5 h on 2026-08-05 (3 entries: timesheets/late.csv row 1, "
        "timesheets/late.csv row 2, timesheets/late.csv row 3); a row duplicated or dated on the wrong day? Correct "
        "the export, or hold or write off the extra entries in overrides/")


def test_a_person_day_over_24_hours_is_a_warning_the_close_prints(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    (home / "timesheets" / "extra.csv").write_text(HARVEST + "".join(
        f"2026-08-05,Globex Corporation,Strategy Review,GX-STR,Consulting,Site visit part {n},10.00,Yes,Raj,Patel\n"
        for n in (1, 2, 3)))
    assert main(["close", "--month", "2026-08"]) == 0
    out = capsys.readouterr().out
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        (passed, blocking, message), = conn.execute(
            "SELECT passed, blocking, message FROM check_results WHERE check_name = 'person_days_plausible'"
        ).fetchall()
    assert not passed and not blocking
    assert message.startswith(  # 3 x 10 h + golden 02's 1.40 and 0.33 of that day (data rows 7 and 8)
        "1 person-day adds up to over 24 h: Raj Patel 31.73 h on 2026-08-05 (5 entries: timesheets/extra.csv row 1, "
        "timesheets/extra.csv row 2, timesheets/extra.csv row 3, timesheets/harvest_time_a.csv row 7, "
        "timesheets/harvest_time_a.csv row 8); ")
    assert f"warning: globex 2026-08: person_days_plausible: {message}\n" in out
    assert (home / "outbox" / "2026-08" / "globex.json").exists()  # a warning stops nothing


def test_a_day_split_between_two_clients_is_named_on_both(billing_env, capsys) -> None:
    """Found by an auditor: 14 h for one client and 14 h for another on one day were not flagged (the check read one
    client's rows). An entry over 24 h alone is held as implausible_hours already, and is not counted again."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    (home / "contracts" / "acme.yaml").write_text(
        "client: acme\nname: Acme Corp\ncurrency: USD\nroles: {senior: 250}\npeople: {\"Raj Patel\": senior}\n")
    (home / "timesheets" / "acme.csv").write_text(HARVEST + "".join([
        "2026-08-06,Acme Corp,Audit,,Consulting,Fieldwork,14.00,Yes,Raj,Patel\n",
        "2026-08-06,Globex Corporation,Strategy Review,GX-STR,Consulting,Site visit,14.00,Yes,Raj,Patel\n",
        "2026-08-07,Acme Corp,Audit,,Consulting,Timer left running,25.00,Yes,Raj,Patel\n"]))
    assert main(["close", "--month", "2026-08"]) == 0
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        found = dict(conn.execute("SELECT client, message FROM check_results WHERE check_name = "
                                  "'person_days_plausible' AND NOT passed").fetchall())
    assert sorted(found) == ["acme", "globex"] and found["acme"] == found["globex"]
    # 14 + 14 + golden 02's 1.80 of that day (data row 12); not 2026-08-07: one entry, held as implausible_hours
    assert found["acme"].startswith("1 person-day adds up to over 24 h: Raj Patel 29.8 h on 2026-08-06 (3 entries: "
                                    "timesheets/acme.csv row 1, timesheets/acme.csv row 2, "
                                    "timesheets/harvest_time_a.csv row 12); ")
    capsys.readouterr()
