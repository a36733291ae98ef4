"""A decision row describes the entry it decides (client, person, hours as review/<month>.csv wrote them): when
its id names another entry (the id column sorted on its own in a spreadsheet, another client's id pasted in), the
decision went to an entry nobody decided on, in silence. Such a row now stops that entry's month, naming it; a
decisions file whose headers were translated (it decided nothing, in silence) is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

from billing_assets import status
from billing_assets.core.sources import read_folder
from billing_assets.validate import validate_report
from resources.home import BillingHome
from tests.conftest import GOLDEN

HEAD = "entry_id,client,date,person,project,notes,hours,reasons,suggestion,suggested_work_type,confidence," \
       "rationale,work_type,sow_item,action,note\n"


def _home(tmp_path: Path) -> tuple[Path, list]:
    home = tmp_path / "home"
    shutil.copytree(GOLDEN / "02_rate_cards_rounding", home)
    (home / "overrides").mkdir(exist_ok=True)
    entries = [e for e in read_folder(home).entries if e.month == "2026-08"]
    ENTRIES[:] = entries
    return home, entries


ENTRIES: list = []  # the entries of the home `_home` made last


def _row(entry_id: str, client: str, person: str, hours: str, action: str = "write_off", described=None) -> str:
    """A decision row; its date and notes those of the entry it `described` (else the entry of its id)."""
    described = described or next(e for e in ENTRIES if e.entry_id == entry_id)
    return (f"{entry_id},{client},{described.date.isoformat()},{person},Web,\"{described.notes}\",{hours},"
            f"low_confidence,,,0.40,,,,{action},\n")


def test_a_row_whose_id_names_another_entry_stops_that_month(tmp_path: Path) -> None:
    home, entries = _home(tmp_path)
    a, b = next(e for e in entries if e.person == "Raj Patel"), next(e for e in entries if e.person != "Raj Patel")
    (home / "overrides" / "2026-08.csv").write_text(
        HEAD + _row(a.entry_id, "globex", a.person, f"{a.hours:f}")  # as written: applies
        + _row(b.entry_id, "globex", a.person, f"{a.hours:f}", described=a)  # b's id on a row describing a's entry
        + _row(a.entry_id, "initech", a.person, f"{a.hours:f}"))  # another client's row: the later row wins
    said = (f"overrides/2026-08.csv: row 2: entry {b.entry_id} is {b.person}'s {b.hours.normalize():f} h of {b.date} "
            f"for globex, but the row says person '{a.person}'")
    state = status.evaluate(BillingHome(path=str(home)), read_folder(home), [("globex", "2026-08")])[
        ("globex", "2026-08")]
    assert (state.state, state.check_name) == (status.BLOCKED, "inputs_readable")
    problems = [p for p in state.problems if p.startswith("overrides/")]
    assert len(problems) == 2 and problems[0].startswith(f"overrides/2026-08.csv: row 3: entry {a.entry_id} is ")
    assert "but the row says client 'initech'" in problems[0]
    assert problems[1].startswith(said) and "was the id column sorted or pasted apart from its rows?" in problems[1]
    assert sorted(p for p in validate_report(home)[0] if p.startswith("overrides/")) == sorted(problems)


def test_a_row_as_the_review_file_wrote_it_is_no_problem_whatever_the_spreadsheet_did(tmp_path: Path) -> None:
    """1.40 shown as 1.4, a comma decimal, a person in other capitals, the date day-first with dots, the notes'
    spaces doubled: the same entry."""
    home, entries = _home(tmp_path)
    a = next(e for e in entries if e.hours != e.hours.to_integral_value())
    shown = f"{a.hours.normalize():f}".replace(".", ",")
    day = a.date.strftime("%d.%m.%Y")  # as a German Excel saves the ISO date; the notes with their spaces changed
    notes = "  ".join(a.notes.split())
    (home / "overrides" / "2026-08.csv").write_text(HEAD + f'{a.entry_id},GLOBEX,{day},{a.person.upper()},'
                                                           f'Web,"{notes}","{shown}",,,,,,,,write_off,\n')
    state = status.evaluate(BillingHome(path=str(home)), read_folder(home), [("globex", "2026-08")])[
        ("globex", "2026-08")]
    assert state.state == status.ACTIVE, state.problems


def test_a_decisions_file_with_translated_headers_is_refused(tmp_path: Path) -> None:
    home, entries = _home(tmp_path)
    (home / "overrides" / "2026-08.csv").write_text(
        "entry_id,Arbeitstyp,SOW-Position,Aktion,Notiz\n" + f"{entries[0].entry_id},,,Abschreiben,\n")
    assert [p for p in validate_report(home)[0] if p.startswith("overrides/")] == [
        "overrides/2026-08.csv: no work_type, sow_item, action column (its columns: entry_id, arbeitstyp, "
        "sow_position, aktion, notiz): it decides nothing; name the columns as review/<month>.csv does"]


def test_swapped_ids_of_one_persons_entries_are_caught_by_date_and_notes_when_the_hours_cell_is_lost(
        tmp_path: Path) -> None:
    """Found by an auditor: a German Excel made the hours cells dates ("01. Mai"), and the id column was sorted on
    its own: two rows of one person swapped ids, the hours (the one cell that told them apart) could not be read,
    and each entry was billed with the other's decision (rush on the wrong one) with no word. The date and notes
    cells tell the entries apart now: both rows stop the month, naming them."""
    home, entries = _home(tmp_path)
    a, b = next((a, b) for a in entries for b in entries
                if a.person == b.person and a.date != b.date and a.notes != b.notes)
    person = a.person
    (home / "overrides" / "2026-08.csv").write_text(
        HEAD + _row(b.entry_id, "globex", person, "01. Mai", action="bill", described=a)
        + _row(a.entry_id, "globex", person, "03. Jan", action="write_off", described=b))
    state = status.evaluate(BillingHome(path=str(home)), read_folder(home), [("globex", "2026-08")])[
        ("globex", "2026-08")]
    assert (state.state, state.check_name) == (status.BLOCKED, "inputs_readable")
    problems = sorted(p for p in state.problems if p.startswith("overrides/"))
    assert problems == sorted([
        f"overrides/2026-08.csv: row 1: entry {b.entry_id} is {person}'s {b.hours.normalize():f} h of {b.date} for "
        f"globex, but the row says date {a.date.isoformat()}, notes {a.notes!r}: was the id column sorted or pasted "
        "apart from its rows? Fix the row to decide this entry",
        f"overrides/2026-08.csv: row 2: entry {a.entry_id} is {person}'s {a.hours.normalize():f} h of {a.date} for "
        f"globex, but the row says date {b.date.isoformat()}, notes {b.notes!r}: was the id column sorted or pasted "
        "apart from its rows? Fix the row to decide this entry"])


def test_a_decision_row_without_an_entry_id_is_a_warning_naming_it(tmp_path: Path) -> None:
    """Found by an auditor: a row with an action and no entry_id (the id cell cleared in a spreadsheet) was skipped
    without a word; blank rows stay silent."""
    from billing_assets.core.overrides import read_decisions

    home, entries = _home(tmp_path)
    (home / "overrides" / "2026-08.csv").write_text(
        "entry_id;work_type;sow_item;action;note\n" + f"{entries[0].entry_id};;;hold;\n;rush;;bill;Fix D\n;;;;\n")
    overrides, problems, warnings = read_decisions(home / "overrides")
    assert list(overrides) == [entries[0].entry_id] and problems == []
    assert warnings == ["overrides/2026-08.csv: row 2: a decision (work_type 'rush', action 'bill') with no entry_id "
                        "decides nothing: copy the row's entry_id from review/<month>.csv"]


def test_a_decision_typed_in_other_capitals_is_the_contracts_own_name(billing_env, capsys) -> None:
    """Found by an auditor: `Rush`, `Standard`, `Non billable` and `s2` were refused (each row named), where the
    reviewer meant the contract's `rush`, `standard`, `non_billable` and `S2`. A name that reads the same as exactly
    one of the contract's is that one; validate and the close agree."""
    from billing_assets.cli import main

    home = billing_env(GOLDEN / "03_caps_tiers_fixed_fee")
    milton = next(e for e in read_folder(home).entries if e.person == "Milton Waddams" and e.month == "2026-08")
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08.csv").write_text(
        f"entry_id,work_type,sow_item,action\n{milton.entry_id},Standard,s2,Bill\n")
    assert [p for p in validate_report(home)[0] if p.startswith("overrides/")] == []
    assert main(["close", "--month", "2026-08"]) == 0
    # as `standard, S2, bill` (tests/test_review_loop.py: 11,912.00, Milton's 2 h priced where they fall in the tiers)
    out = capsys.readouterr().out
    assert "initech                      2026-08       11,912.00 USD         67       0 pushed" in out
