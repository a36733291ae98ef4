"""A UTF-8 export a spreadsheet read in its code page and saved as "CSV UTF-8" again: "José" arrives as "JosÃ©".
Read as it is, people are billed under names the rate card does not know; it is repaired when the whole file was
double-encoded, and refused naming the line when only some rows were."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_assets.core.csvfile import LEGACY_CODEPAGES, FileRefused, decode
from billing_assets.core.mojibake import undo_double_encoding
from billing_assets.core.sources import read_folder

TOGGL_HEADER = "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration\n"


def _toggl(rows: list[tuple[str, str, str]]) -> str:
    """A Toggl "Detailed" export of (user, client, description) rows, 1.5 hours each."""
    return TOGGL_HEADER + "".join(
        f'{user},x@example.com,{client},Website,,"{note}",Yes,2026-09-0{day},09:00:00,2026-09-0{day},10:30:00,'
        "01:30:00\n" for day, (user, client, note) in enumerate(rows, start=1))


def _misread(text: str, codepage: str) -> str:
    """What a program reading UTF-8 bytes in `codepage` shows (Windows keeps an undefined byte as its own code
    point, as cp1252's 0x81 in "Á" = C3 81)."""
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode(codepage))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


ROWS = [("José Núñez", "Café Olé S.L.", "Página de inicio, diseño – “v2”"),
        ("Ágnes Kovács", "Café Olé S.L.", "Übersicht für den Kunden, Grüße"),
        ("José Núñez", "Café Olé S.L.", "Revisión del menú, 2º piso")]


@pytest.mark.parametrize("bom", [True, False], ids=["excel-csv-utf8-with-bom", "without-bom"])
def test_an_export_saved_again_as_utf8_from_excel_is_read_under_the_real_names(tmp_path: Path, bom: bool) -> None:
    (tmp_path / "timesheets").mkdir()
    double = _misread(_toggl(ROWS), "cp1252")
    assert "JosÃ© NÃºÃ±ez" in double and "Ã\x81gnes" in double  # "Á" is C3 81: 0x81 is undefined in cp1252
    (tmp_path / "timesheets" / "toggl.csv").write_bytes(("\ufeff" if bom else "").encode() + double.encode())
    parsed = read_folder(tmp_path)
    assert parsed.problems == []
    assert [(e.person, e.client_name, e.notes) for e in parsed.entries] == ROWS
    assert [f.decisions["encoding"] for f in parsed.files] == [
        f"utf-8{' with BOM' if bom else ''}, repaired: UTF-8 once read as cp1252 and saved again"]


@pytest.mark.parametrize("codepage, note", [
    ("cp1250", "Spotkanie we Wrocławiu, Łukasz Żółć, sprawozdanie"),
    ("cp1251", "Встреча с клиентом в Москве, подготовка отчёта"),
    ("cp1253", "Συνάντηση με πελάτη στην Αθήνα"),
    ("latin-1", "Réunion – “Genève” à 10 h, Müller"),  # an older program's ISO 8859-1: C1 controls for “–”
])
def test_text_misread_in_another_code_page_is_repaired_through_that_code_page(codepage: str, note: str) -> None:
    text = _toggl([("Ana", "Acme", note)])
    assert decode(_misread(text, codepage).encode()) == (
        text, f"utf-8, repaired: UTF-8 once read as {codepage} and saved again")


def test_a_double_encoded_row_pasted_into_a_good_file_is_refused_naming_its_line() -> None:
    good = _toggl([ROWS[0], ROWS[1]])
    pasted = good + _misread(_toggl([ROWS[2]]).splitlines()[1], "cp1252") + "\n"
    with pytest.raises(FileRefused) as refused:
        decode(pasted.encode())
    assert str(refused.value) == ("line 4: 'JosÃ©' is UTF-8 text once read as cp1252 and saved again ('José'), and "
                                  "other lines are not; fix those lines, or export the file again")


@pytest.mark.parametrize("note", [
    "Réunion à Genève; Kundengespräch in Basel; Peña & Søren; São Paulo; Åsa; INFORMAÇÃO",
    "Workshop fee £250 at 10°C, café – “quoted” don’t, €1.200, 2º, ½ day, ©, ®, ™, ±0.5, µm",
    "Spotkanie we Wrocławiu, Łukasz Żółć; Встреча в Москве; Συνάντηση; müşteri Yılmaz; Nguyễn Văn Đức",
    "日本語のメモ, 회의록, 会议纪要, פגישה, اجتماع, emoji 🙂",
])
def test_text_that_is_not_double_encoded_is_read_as_written(note: str) -> None:
    text = _toggl([("Ana", "Acme", note)])
    assert decode(text.encode()) == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode()) == (text, "utf-8 with BOM")
    assert undo_double_encoding(text, LEGACY_CODEPAGES) == (text, None)
