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
    return home, entries


def _row(entry_id: str, client: str, person: str, hours: str, action: str = "write_off") -> str:
    return f"{entry_id},{client},2026-08-01,{person},Web,note,{hours},low_confidence,,,0.40,,,,{action},\n"


def test_a_row_whose_id_names_another_entry_stops_that_month(tmp_path: Path) -> None:
    home, entries = _home(tmp_path)
    a, b = next(e for e in entries if e.person == "Raj Patel"), next(e for e in entries if e.person != "Raj Patel")
    (home / "overrides" / "2026-08.csv").write_text(
        HEAD + _row(a.entry_id, "globex", a.person, f"{a.hours:f}")  # as written: applies
        + _row(b.entry_id, "globex", a.person, f"{a.hours:f}")  # b's id on a row describing a's entry
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
    """1.40 shown as 1.4, a comma decimal, a person in other capitals: the same entry."""
    home, entries = _home(tmp_path)
    a = next(e for e in entries if e.hours != e.hours.to_integral_value())
    shown = f"{a.hours.normalize():f}".replace(".", ",")
    (home / "overrides" / "2026-08.csv").write_text(HEAD + f'{a.entry_id},GLOBEX,2026-08-01,{a.person.upper()},'
                                                           f'Web,note,"{shown}",,,,,,,,write_off,\n')
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
