"""CSV cells a reviewer opens in a spreadsheet are neutralised (OWASP CSV injection), and read back as meant."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.overrides import read_overrides
from billing_assets.core.safecsv import read_cell, safe_cell
from tests.conftest import GOLDEN

HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]


@pytest.mark.parametrize("text, written", [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+1", "'+1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\r=1", "'\r=1"), ("plain = text", "plain = text"),
    ("'quoted", "'quoted"), ("", ""), (None, ""),
])
def test_safe_cell_and_read_cell_round_trip(text: str | None, written: str) -> None:
    assert safe_cell(text) == written
    assert read_cell(written) == (text or "")


def test_review_csv_neutralises_formula_notes_and_overrides_read_them_back(billing_env, capsys) -> None:
    home = billing_env(GOLDEN / "03_caps_tiers_fixed_fee")
    header = (GOLDEN / "03_caps_tiers_fixed_fee" / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    rows = [f'2026-08-2{i},Initech,TPS Automation,,Development,"{note.replace(chr(34), chr(34) * 2)}",1.00,1.00,'
            "Yes,No,Yes,Peter,Gibbons,,,Yes,,,,,United States Dollar - USD," for i, note in enumerate(HOSTILE)]
    (home / "timesheets" / "hostile.csv").write_text("\n".join([header, *rows]) + "\n")
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out

    text = (home / "review" / "2026-08.csv").read_text(encoding="utf-8-sig")
    review = list(csv.DictReader(io.StringIO(text)))
    by_note = {r["notes"]: r for r in review}
    for note in HOSTILE:
        assert by_note["'" + note]["hours"] == "1"  # a number, not neutralised
    assert all(not r["notes"].startswith(("=", "+", "-", "@")) for r in review)
    assert all(float(r["confidence"]) >= 0 for r in review)

    # the reviewer saves the file under overrides/ with decisions (and a note of their own)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(review[0]), lineterminator="\n")
    writer.writeheader()
    for r in review:
        writer.writerow({**r, "sow_item": "S1", "action": "bill", "note": "'=ok per PM"})
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "review-2026-08.csv").write_text(out.getvalue())
    overrides, problems = read_overrides(home / "overrides")
    assert not problems
    assert {o.note for o in overrides.values()} == {"=ok per PM"}

    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        released = conn.execute("SELECT r.notes FROM classified_time_entries c JOIN raw_time_entries r "
                                "USING (entry_id) WHERE c.method = 'override'").fetchall()
        held = conn.execute("SELECT hours_held FROM invoices WHERE month = '2026-08'").fetchone()[0]
    assert len(released) == len(review) == 5 and set(HOSTILE) <= {n for (n,) in released}
    assert held == 0


def test_override_cells_with_our_quote_are_read_as_meant(tmp_path: Path) -> None:
    folder = tmp_path / "overrides"
    folder.mkdir()
    (folder / "a.csv").write_text("entry_id,work_type,sow_item,action,note\n'-e1,,S1,bill,'@SUM(A1)\n"
                                  "e2,,,hold,'it''s fine\n".replace("'it''s fine", "'its fine"))
    overrides, problems = read_overrides(folder)
    assert not problems
    assert overrides["-e1"].note == "@SUM(A1)" and overrides["-e1"].sow_item == "S1"
    assert overrides["e2"].note == "'its fine"  # a quote we did not add stays


def excel_opens(data: bytes) -> str:
    """What Excel for Windows shows when a CSV is double-clicked: UTF-8 when it starts with a BOM, else the ANSI
    code page (cp1252)."""
    return data[3:].decode("utf-8") if data.startswith(b"\xef\xbb\xbf") else data.decode("cp1252")


def test_a_review_file_saved_by_excel_with_a_typed_accent_is_read(billing_env, capsys) -> None:
    """review/<month>.csv had no BOM: Excel showed "CafÃ©" and saved the reviewer's typed "révisé" in cp1252
    beside the notes' UTF-8 bytes, a file refused as mixed, stopping every client's month."""
    home = billing_env(GOLDEN / "03_caps_tiers_fixed_fee")
    header = (GOLDEN / "03_caps_tiers_fixed_fee" / "timesheets" / "harvest_time_a.csv").read_text().splitlines()[0]
    (home / "timesheets" / "accents.csv").write_text(
        f"{header}\n2026-08-21,Initech,TPS Automation,,Development,Café menu for Zoë,1.00,1.00,Yes,No,Yes,Peter,"
        "Gibbons,,,Yes,,,,,United States Dollar - USD,\n", encoding="utf-8")
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    data = (home / "review" / "2026-08.csv").read_bytes()
    shown = excel_opens(data)
    assert "Café menu for Zoë" in shown
    review = list(csv.DictReader(io.StringIO(shown)))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(review[0]), lineterminator="\r\n")
    writer.writeheader()
    for r in review:
        writer.writerow({**r, "sow_item": "S1", "action": "bill", "note": "révisé"})
    (home / "overrides").mkdir(exist_ok=True)
    (home / "overrides" / "2026-08.csv").write_bytes(out.getvalue().encode("cp1252"))  # "CSV (Comma delimited)"
    assert main(["close", "--month", "2026-08"]) == 0, capsys.readouterr().out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        assert conn.execute("SELECT count(*) FROM review_queue WHERE month = '2026-08'").fetchone() == (0,)
