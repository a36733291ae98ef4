"""Entries a close classifies otherwise than the close before it, with no decision on them, are named: a draft
never changes silently. Found by an auditor: five entries reviewed, eight others held again at the next close
(the classifier, having learned from the reviews, was less sure of them), and the draft fell by 4,556.00."""

from __future__ import annotations

from pathlib import Path

import duckdb

from billing_assets.cli import main
from billing_assets.reclassified import State, reclassified

CLASSIFY_DEV = Path(__file__).parent / "fixtures" / "classify_dev"


def test_each_kind_of_change_is_named_and_an_unchanged_entry_is_not() -> None:
    before = {("acme", "2026-10"): {"h1": State(False, "S1", "standard"), "h2": State(True, None, "standard"),
                                    "h3": State(False, "S1", "standard"), "h4": State(False, "S2", "rush")}}
    after = {("acme", "2026-10"): {"h1": State(True, None, "standard"), "h2": State(False, "S2", "standard"),
                                   "h3": State(False, "S2", "standard"), "h4": State(False, "S2", "rush"),
                                   "h5": State(True, None, "standard")}}  # new since: not a change
    assert reclassified(before, after) == [
        "acme 2026-10: entries classified otherwise than at the last close, with no decision on them (the reviews "
        "since, or the contract, changed what the classifier decides): 1 billed at the last close are held now (h1); "
        "1 held at the last close are billed now (h2); 1 billed under another SOW item or work type (h3); see "
        "review/2026-10.csv for the held ones; decide the billed ones by their ids in overrides/ where it is wrong"]
    assert reclassified(before, before) == []


def test_a_close_names_the_entries_it_holds_now_that_the_last_close_billed(billing_env, capsys) -> None:
    home = billing_env(CLASSIFY_DEV)
    for other in (home / "contracts").glob("*.yaml"):
        if other.stem != "cedar-valley-health":
            other.unlink()
    assert main(["close", "--month", "2026-10"]) in (0, 1)
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        unsure = conn.execute("SELECT count(*) FROM classified_time_entries WHERE NOT held AND method = 'classifier' "
                              "AND confidence < 0.995").fetchone()[0]
    assert unsure > 0
    contract = home / "contracts" / "cedar-valley-health.yaml"
    contract.write_text(contract.read_text() + "review: {min_confidence: 0.995}\n")
    capsys.readouterr()
    main(["close", "--month", "2026-10"])
    said = [line for line in capsys.readouterr().out.splitlines() if "classified otherwise" in line]
    assert len(said) == 1 and f": {unsure} billed at the last close are held now (" in said[0], said


def test_a_sent_month_of_a_contract_without_sow_items_keeps_the_work_types_it_billed(billing_env) -> None:
    """Found by an auditor upgrading a firm: only entries with a SOW item were frozen when a month was sent, so a
    contract without SOW items froze nothing. August, sent with "urgent fix" billed as rush, closed again after the
    rush keywords changed, was priced as standard and September carried -400.00 nobody asked for. Its work types
    are now frozen at sending; a month sent by a release that froze none is frozen as it stands before the next
    close classifies it again."""
    home = billing_env()
    contract = home / "contracts" / "acme.yaml"
    contract.write_text("client: acme\nname: Acme Corp\ncurrency: USD\nroles: {senior: 200}\n"
                        "people: {Ann Lee: senior}\nwork_types: {rush: {multiplier: 2}}\nrush_keywords: [urgent]\n")
    (home / "timesheets" / "time.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles\n"
        "2026-08-05,Acme Corp,Ops,,Support,urgent fix for the outage,2,Yes,Ann,Lee,\n"
        "2026-08-06,Acme Corp,Ops,,Support,regular work,1,Yes,Ann,Lee,\n"
        "2026-09-07,Acme Corp,Ops,,Support,regular work,1,Yes,Ann,Lee,\n")
    db = home / "billing.duckdb"

    def table(sql: str) -> list[tuple]:
        with duckdb.connect(str(db), read_only=True) as conn:
            return conn.execute(sql).fetchall()

    assert main(["close", "--month", "2026-08"]) == 0
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert table("SELECT entry_id LIKE 'h%', sow_item, work_type FROM sent_entries ORDER BY work_type") == [
        (True, "", "rush"), (True, "", "standard")]
    contract.write_text(contract.read_text().replace("rush_keywords: [urgent]", "rush_keywords: [asap]"))
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    with duckdb.connect(str(db)) as conn:  # as a release that froze only entries with a SOW item left it
        conn.execute("DELETE FROM sent_entries")
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert table("SELECT month, total FROM invoices ORDER BY month") == [("2026-08", 1000), ("2026-09", 200)]
    assert table("SELECT count(*) FROM invoice_lines WHERE kind = 'prior_period_adjustment'") == [(0,)]
    assert table("SELECT DISTINCT method FROM classified_time_entries WHERE month = '2026-08'") == [("as_sent",)]
    # the same, when the first close after the upgrade finds the contract refused (its rows cleared, then re-read)
    with duckdb.connect(str(db)) as conn:
        conn.execute("DELETE FROM sent_entries")
    good = contract.read_text()
    contract.write_text(good.replace("work_types: {rush:", "work_types: {Rush:"))
    assert main(["close", "--month", "2026-08..2026-09"]) == 1
    contract.write_text(good)
    assert main(["close", "--month", "2026-08..2026-09"]) == 0
    assert table("SELECT month, total FROM invoices ORDER BY month") == [("2026-08", 1000), ("2026-09", 200)]
    assert table("SELECT count(*) FROM invoice_lines WHERE kind = 'prior_period_adjustment'") == [(0,)]
