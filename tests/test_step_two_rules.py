"""Classification step 2 (spec section 3) as a time tool's users write it: rush keywords a note negates, keywords
spelt with other spaces or hyphens, and `task_map` names in other case or spacing (found by an auditor: each billed
the wrong work type at confidence 1, or none, with no word)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_assets.cli import main
from billing_assets.core.classify import classify_entries, rush_match
from billing_assets.core.contract import Contract
from billing_assets.core.model import TimeEntry
from billing_assets.core.sources import read_folder
from tests.test_contract_validation import problems

KEYWORDS = ["urgent", "rush", "asap", "same-day", "fire drill"]


@pytest.mark.parametrize("notes, rush", [
    ("URGENT: fix login page", True), ("rush-job for board deck", True), ("send interview notes asap.", True),
    ("(urgent) interview summary", True), ("not blocked, urgent fix", True), ("fire  drill for the CFO deck", True),
    ("knot urgent", True), ("the client wants it asap, no rush on the rest", True),
    # found by an adversarial reviewer: not negations of the keyword
    ("Not only urgent but also critical fix", True), ("Nothing more urgent than this outage", True),
    ("Couldn't be more urgent - prod down", True), ("Ticket no 4512 urgent fix", True),
    ("Non-stop urgent fixes over the weekend", True), ("Don't delay urgent patch", True),
    ("No 1 priority urgent", True), ("Client said no - urgent redo", True), ("Not just urgent: critical", True),
    ("non-urgent cleanup of wireframes", False), ("no rush on this one", False), ("not urgent, wireframes", False),
    ("isn't urgent", False), ("nothing urgent today", False), ("no-rush copy edits", False),
    ("rushed the wireframes", False), ("URGENTLY needed", False), ("fire-drill on notes", False),
    ("delivered the same day as planned", False),
])
def test_a_rush_keyword_decides_unless_the_note_negates_it(notes: str, rush: bool) -> None:
    assert rush_match(KEYWORDS, notes) is rush


def _entry(task: str, notes: str, billable: bool = True) -> TimeEntry:
    return TimeEntry(entry_id=f"h-{task}-{notes}", source="harvest_csv", source_file="t.csv", source_row=1,
                     date=date(2026, 9, 3), client_name="Acme", project="Web", project_code="W-1", task=task,
                     notes=notes, hours=Decimal("1"), billable=billable, person="Ann Lee", roles="senior")


def test_task_map_names_match_without_case_or_extra_spaces() -> None:
    contract = Contract.model_validate({
        "client": "acme", "name": "Acme", "currency": "USD", "roles": {"senior": 200},
        "work_types": {"rush": {"multiplier": 1.5}},
        "task_map": {"Rush": "rush", "Internal": "non_billable", "Admin Work": "non_billable"},
        "sow": {"items": [{"id": "P1", "name": "Build", "billing": "hourly", "project_codes": ["W-1"]},
                          {"id": "P2", "name": "Run", "billing": "hourly", "project_codes": ["W-2"]}]}})
    entries = [_entry("rush", "summary"), _entry("RUSH", "summary v2"), _entry("internal", "team meeting"),
               _entry(" Admin  Work ", "timesheet admin"), _entry("Design", "wireframes")]
    results, _ = classify_entries(contract, entries, {}, None)
    assert [(r.work_type, r.sow_item, r.confidence, r.review_reasons) for r in results[:4]] == [
        ("rush", "P1", 1.0, []), ("rush", "P1", 1.0, []), ("non_billable", "P1", 1.0, []),
        ("non_billable", "P1", 1.0, [])]
    assert results[4].work_type == "standard" and "low_confidence" in results[4].review_reasons  # no classifier


def test_two_task_map_names_for_one_task_are_a_contract_error(tmp_path) -> None:
    assert problems(tmp_path, "client: acme\nname: Acme\ncurrency: USD\nwork_types: {rush: {multiplier: 1.5}}\n"
                              "task_map: {Rush: rush, 'rush ': non_billable}\n") == [
        "contracts/acme.yaml: task_map.rush : same task as 'Rush' (task names match without case or extra spaces): "
        "keep one"]


def test_validate_needs_no_rate_for_time_on_a_fixed_fee_item(billing_env, capsys) -> None:
    """A person the contract has no rate for whose only time carries a fixed-fee item's code: the close prices and
    pushes the month (a fixed fee needs no rate); validate said rates_present would stop it."""
    home = billing_env()
    (home / "contracts" / "phi.yaml").write_text(
        "client: phi\nname: Phi Studio\ncurrency: USD\nroles: {senior: 200}\n"
        "sow:\n  items:\n  - {id: P1, name: Brand, billing: hourly, project_codes: [F-P1]}\n"
        "  - {id: P2, name: Logo, billing: fixed_fee, project_codes: [F-P2], schedule: {2026-09: 3000}}\n")
    (home / "timesheets" / "time.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles\n"
        "2026-09-05,Phi Studio,Brand,F-P2,Work,logo concepts,1,Yes,Zed,Nobody,\n"
        "2026-09-06,Phi Studio,Brand,F-P1,Work,brand workshop,2,Yes,Ann,Lee,senior\n")
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"0 problem(s), 0 warning(s) in {home}"


def test_a_tool_without_project_codes_gives_the_code_its_project_name_starts_with() -> None:
    """Found by an auditor: Clockify's project "GLX-2 Strategy" of a fixed-fee item (code GLX-2) was billed by the
    hour on the only hourly item, beside the item's fee. Toggl, Clockify and QuickBooks Time have no Project Code
    column: a code the project's name starts with as a word is the entry's; Harvest's own column stays the code."""
    contract = Contract.model_validate({
        "client": "globex", "name": "Globex", "currency": "USD", "roles": {"lead": 250}, "require_project_code": True,
        "task_map": {"Work": "standard"},
        "sow": {"items": [{"id": "G1", "name": "Build", "billing": "hourly", "project_codes": ["GLX-1"]},
                          {"id": "G2", "name": "Strategy", "billing": "fixed_fee", "project_codes": ["GLX-2"],
                           "schedule": {"2026-09": 5000}}]}})

    def entry(project: str, source: str = "clockify_csv") -> TimeEntry:
        return TimeEntry(entry_id=f"{source}-{project}", source=source, source_file="t.csv", source_row=1,
                         date=date(2026, 9, 15), client_name="Globex", project=project, project_code="", task="Work",
                         notes="workshop facilitation", hours=Decimal("3"), billable=True, person="Raj Patel",
                         roles="lead")

    entries = [entry("GLX-2 Strategy"), entry("[GLX-2] Strategy", "toggl_csv"), entry("GLX-2", "quickbooks_time_csv"),
               entry("GLX-20 Strategy"), entry("GLX-2 Strategy", "harvest_csv"), entry("GLX-2.5 Data"),
               entry("GLX-2/GLX-3 joint"), entry("GLX-2: Strategy")]
    results, _ = classify_entries(contract, entries, {}, None)
    assert [(r.sow_item, r.method, r.review_reasons) for r in results[:3]] == [("G2", "project_code", [])] * 3
    assert results[3].sow_item == "G1" and results[3].method == "only_item"  # GLX-20 is no code of this contract
    assert "missing_project_code" in results[3].review_reasons
    assert results[4].sow_item == "G1" and "missing_project_code" in results[4].review_reasons  # Harvest: its column
    assert [("missing_project_code" in r.review_reasons, r.sow_item) for r in results[5:]] == [
        (True, "G1"), (True, "G1"), (False, "G2")]  # another phase, a joint project: no code of theirs


def test_validate_names_rows_of_a_tool_without_codes_whose_projects_start_with_none(billing_env, capsys) -> None:
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(
        "client: acme\nname: Acme Corp\ncurrency: USD\nroles: {senior: 200}\npeople: {Alice Ng: senior}\n"
        "sow:\n  items:\n  - {id: P1, name: Website, billing: hourly, project_codes: [ACME-P1]}\n"
        "  - {id: P2, name: Data, billing: hourly, project_codes: [ACME-P2]}\n")
    (home / "timesheets" / "toggl.csv").write_text(
        "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags,"
        "Amount (USD)\n"
        "Alice Ng,a@f.com,Acme Corp,ACME-P1 Website,Design,Homepage review,Yes,2026-09-01,09:00:00,2026-09-01,"
        "11:00:00,02:00:00,,400.00\n"
        "Alice Ng,a@f.com,Acme Corp,Data Platform,Design,Dashboard,Yes,2026-09-02,09:00:00,2026-09-02,10:00:00,"
        "01:00:00,,200.00\n")
    assert main(["validate"]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "project code" in line] == [
        "warning: timesheets/toggl.csv: rows 2: no project code (this tool has no Project Code column, and their "
        "project names start with none of contracts/acme.yaml's codes: ACME-P1, ACME-P2); these entries are "
        "classified from their notes. Name the projects in the time tool '<code> ...' to place them by code"]


def test_validate_asks_a_rate_of_a_not_billable_row_a_decision_bills(billing_env, capsys) -> None:
    """Found by an auditor: `Billable? = No` for a person with no rate, and a decision `standard, bill` on it:
    validate said 0 problems, and the close stopped the month on rates_present (the decision bills the row)."""
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(
        "client: acme\nname: Acme Corp\ncurrency: USD\nroles: {senior: 200}\npeople: {Alice Ng: senior}\n")
    (home / "timesheets" / "time.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name,Roles\n"
        "2026-09-05,Acme Corp,Discovery,,Consulting,Interview notes,3,No,Carl,Po,\n"
        "2026-09-06,Acme Corp,Discovery,,Consulting,Workshop,2,Yes,Alice,Ng,\n")
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"0 problem(s), 0 warning(s) in {home}"
    entry_id = next(iter(read_folder(home).entries)).entry_id
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "decisions.csv").write_text(
        f"entry_id,work_type,sow_item,action,note\n{entry_id},standard,,bill,billable after all\n")
    assert main(["validate"]) == 1
    assert ("contracts/acme.yaml: no rate for Carl Po (people, roles, rate_overrides or default_rate), who has "
            "billable time in 2026-09: rates_present will stop it") in capsys.readouterr().out
