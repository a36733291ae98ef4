"""Legacy code-page exports are read in the code page their letters belong to, or refused by name.

Each sample is a note in one language, saved in the code page a spreadsheet program of that language saves in
(Excel's "CSV" on a Windows machine set to that locale; Excel for Mac's "CSV" is Mac Roman). Read in the wrong code
page most of them still read as letters ("Þule Yýlmaz", "fõkönyvi"), so a reader that only avoids symbols would
bill them under garbled names."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from billing_assets.core.csvfile import FileRefused, decode
from billing_assets.core.letters import assess, characters_used, odd_characters
from billing_assets.core.sources import read_folder

SAMPLES = {
    "czech": ("cp1250", "Schůzka s klientem v Plzni, příprava účetní závěrky, Dvořák Jiří"),
    "hungarian": ("cp1250", "Ügyfélmegbeszélés, főkönyvi egyeztetés, Kovács Gyöngyvér, űrlap"),
    "polish": ("cp1250", "Spotkanie z klientem we Wrocławiu, przygotowanie sprawozdania, Łukasz Żółć"),
    "romanian": ("cp1250", "Întâlnire cu clientul, pregătire situaţii financiare, Ştefan"),
    "croatian": ("cp1250", "Sastanak s klijentom u Zagrebu, obračun plaća i izvješće, Đurđević"),
    "slovak": ("cp1250", "Stretnutie s klientom, príprava účtovnej závierky, Ľubomír Ťažký"),
    "french": ("cp1252", "Réunion client à Lyon, préparation des états financiers, François Lefèvre"),
    "german": ("cp1252", "Kundengespräch in München, Jahresabschluss, Jürgen Weiß – Überarbeitung"),
    "spanish": ("cp1252", "Reunión con el cliente, preparación del año fiscal, Peña"),
    "portuguese": ("cp1252", "Reunião com o cliente, preparação das demonstrações, João"),
    "italian": ("cp1252", "Riunione con il cliente, perché è già così, Niccolò"),
    "danish": ("cp1252", "Møde med kunden i København, Søren Åberg, årsregnskab"),
    "icelandic": ("cp1252", "Fundur með viðskiptavini í Reykjavík, þýðing á skýrslu"),
    "english": ("cp1252", "Workshop fee £250 at 10°C, café – “quoted” don’t, €1.200"),
    "turkish": ("cp1254", "müşteri toplantısı, ağ güvenliği raporu, Şule Yılmaz"),
    "greek": ("cp1253", "Συνάντηση με πελάτη, Αθήνα, προετοιμασία"),
    "russian": ("cp1251", "Встреча с клиентом, Москва, подготовка отчёта"),
    "ukrainian": ("cp1251", "Зустріч з клієнтом, Київ, підготовка звіту"),
    "latvian": ("cp1257", "Sanāksme ar klientu Rīgā, pārskata sagatavošana, Jānis Bērziņš"),
    "lithuanian": ("cp1257", "Susitikimas su klientu Vilniuje, ataskaitos rengimas, Jonas Žemaitė"),
    "hebrew": ("cp1255", "פגישה עם לקוח בתל אביב"),
    "arabic": ("cp1256", "اجتماع مع العميل في دبي"),
    "western-mixed": ("cp1252", "Réunion à Genève; Kundengespräch in Basel; Peña & Søren; São Paulo; Åsa"),
    "mac-western-mixed": ("mac_roman", "Réunion à Genève; Kundengespräch in Basel; Peña & Søren; São Paulo"),
    "mac-french": ("mac_roman", "Réunion client à Lyon, préparation des états, François Lefèvre – “ok”"),
    "mac-german": ("mac_roman", "Kundengespräch in München, Jürgen Weiß, Überarbeitung"),
    "mac-spanish": ("mac_roman", "Reunión con el cliente, año fiscal, Peña"),
    "mac-russian": ("mac_cyrillic", "Встреча с клиентом в Москве, подготовка отчёта, Юлия"),
    "polish-iso": ("iso-8859-2", "Spotkanie z klientem, sprawozdanie roczne, Świątek, Gąsiorowski, źródła"),
    "greek-iso": ("iso-8859-7", "Συνάντηση με πελάτη στον Άγιο Νικόλαο, Αθήνα"),
    "uk-amounts": ("cp1252", "Travel £825, hotel £310 and parking £12"),
    "vietnamese": ("cp1258", "Họp với khách hàng, chuẩn bị báo cáo, Nguyễn Văn Đức"),
}


def _encode(text: str, codepage: str) -> bytes:
    """`text` in `codepage`; cp1258 writes a Vietnamese tone as a combining mark after the vowel."""
    out = b""
    for ch in text:
        try:
            out += ch.encode(codepage)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)  # "ớ" is "ơ" and an acute; "ọ" is "o" and a dot below
            try:
                out += unicodedata.normalize("NFC", parts[:2]).encode(codepage) + parts[2:].encode(codepage)
            except UnicodeEncodeError:
                out += parts.encode(codepage)
    return out


def _export(note: str) -> str:
    return "Date,Client,Notes,Hours\n" + "".join(f"2026-09-0{d},Acme,{note} {d},1.5\n" for d in range(1, 4))


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_a_legacy_export_is_read_in_its_own_code_page(language: str) -> None:
    codepage, note = SAMPLES[language]
    text, how = decode(_encode(_export(note), codepage))
    assert unicodedata.normalize("NFC", text) == _export(note)
    # the code page's name, or cp1252's when the two read these bytes alike (Estonian, German in cp1257)
    assert how in (f"{codepage} (detected)", "cp1252 (detected)")


def test_central_european_and_turkish_letters_are_not_taken_for_western_ones() -> None:
    """The misreadings the old reader made: each is letters in cp1252 too."""
    for language in ("hungarian", "turkish", "czech", "romanian"):
        codepage, note = SAMPLES[language]
        assert decode(_encode(_export(note), codepage))[1] == f"{codepage} (detected)", language


def test_a_name_alone_that_two_code_pages_read_as_letters_is_refused_naming_the_setting() -> None:
    """"Şule Yılmaz" in cp1254 is "Þule Yýlmaz" in cp1252: two letters are too little to tell Turkish from
    Icelandic, so the file is refused with the setting that resolves it, never billed under either name."""
    with pytest.raises(FileRefused) as refused:
        decode(_export("Şule Yılmaz").encode("cp1254"))
    message = str(refused.value)
    assert "reads differently as cp1254 ('Yılmaz') and as cp1252 ('Yýlmaz')" in message
    assert "set encoding: cp1254 (or cp1252)" in message


def test_the_evidence_of_a_reading() -> None:
    assert odd_characters("Wroc³aw, £ukasz") == 2  # digit sign and pound sign against letters
    assert odd_characters("£250 at 10 °C, “quoted” don’t") == 1  # only the degree sign touches a letter
    assert odd_characters("prיparation") == 1  # a Hebrew letter inside a Latin word
    assert odd_characters("Reuni—n, l·lusió, don’t, 9–5") == 1  # a dash inside a word; not · ’ or a range
    assert odd_characters("BlanchardÕs версиЯ Ł825 Łódź") == 3  # capitals inside words, a letter alone before digits
    assert characters_used("Kovács\nKOVÁCS\nÖdön") == {"á": 2, "ö": 2}  # one count per distinct word it is in
    hungarian = assess(characters_used("főkönyv\nűrlap\nKovács"))
    assert (hungarian.language, hungarian.letters) == ("hungarian", 4)
    assert assess(characters_used("müşteri\nYılmaz")).language == "turkish"
    assert assess(characters_used("")).score == 0.0


@pytest.mark.parametrize(("note", "codepage", "read_as"), [
    ("Jan–Mar review", "cp1252", "cp1252"),  # was Mac Roman's "JanñMar"
    ("Paris–London trip", "cp1252", "cp1252"),  # was "ParisñLondon"
    ("Drafted the memo—then revised it", "cp1252", "cp1252"),  # was "memoóthen"
    ("Kickoff—agenda and notes", "cp1252", "cp1252"),
    ("Workshop – don’t forget", "cp1252", "cp1252"),  # not Mac Roman's "donít"
    ("Met w/ José—reviewed budget", "mac_roman", "mac_roman"),  # was cp1257's "JosˇŃreviewed"
    ("Reunión con el cliente, año fiscal, Peña", "mac_roman", "mac_roman"),  # a dash beside one letter: ó, ñ
    ("Raphaël and Zoë", "mac_roman", None),  # cp1252's "Rapha‘l", "Zo‘": refused, not guessed
    ("Noël Martin", "mac_roman", None),
    ("Björn Berg", "mac_roman", None),  # cp1252's "Bjšrn" wins by its prior alone
    ("Sébastien", "mac_roman", "mac_roman"),  # cp1252's "SŽbastien": a capital between a capital and a small letter
    ("I’m done, Ana García", "mac_roman", "mac_roman"),  # cp1252's "IÕm" (a capital between capital and small)
    ("María Martín", "mac_roman", None),  # cp1252's "Mart’n": an apostrophe before one last letter decides nothing
    ("pre–approval call", "cp1252", None),  # Mac Roman's "preñapproval": a dash between short runs decides nothing
    ("Call re: Hawai‘i office", "cp1252", None),  # Hawaii's okina, or Mac Roman's "Hawaiëi"
])
def test_western_code_pages_are_told_apart_by_letters_not_by_dashes_and_quotes(note: str, codepage: str,
                                                                                 read_as: str | None) -> None:
    """Excel for Mac's Mac Roman and Windows' cp1252 put letters where the other puts dashes and quotes: Mac Roman
    names (Noël, Björn, Sébastien) were read as cp1252 ("No‘l", "Bjšrn", "SŽbastien"), and cp1252's dashes
    joining words as Mac Roman letters ("JanñMar", "memoóthen"), each with no problem. A dash joining two runs of
    four letters or more is a dash; where only a dash between shorter runs or an opening quote after a letter, or
    cp1252's prior against likelier Mac Roman letters, tells two readings apart, the file is refused naming the
    setting. (The note is on each of three rows, with a number: no other word of it stands alone in the file.)"""
    data = _export(note).encode(codepage)
    if read_as is None:
        with pytest.raises(FileRefused, match="set encoding: "):
            decode(data)
    else:
        assert decode(data) == (_export(note), f"{read_as} (detected)")


def test_a_dash_between_two_words_the_file_holds_alone_is_a_dash() -> None:
    """"pre–approval" alone is refused (above); where the file holds "pre" and "approval" as words of their own,
    the byte between them is a dash, not Mac Roman's ñ."""
    text = "Date,Client,Notes,Hours\n2026-09-01,Acme,pre–approval call,1.5\n2026-09-02,Acme,pre approval,1\n"
    assert decode(text.encode("cp1252")) == (text, "cp1252 (detected)")


def test_a_legacy_file_that_is_utf8_by_chance_is_refused_and_read_in_its_setting() -> None:
    """cp1252's "CAFÉ’S" is the bytes C9 92, valid UTF-8 for "ɒ": the file was read as UTF-8, client "CAFɒS
    BAKERY", with no problem (and a setting for it was ignored, UTF-8 winning). A UTF-8 reading with signs where
    letters belong that a code page reads without them is refused naming both; `encoding: cp1252` reads it."""
    text = "Date,Client,Notes,Hours\n2026-09-01,CAFÉ’S BAKERY,Menu review,1.5\n"
    with pytest.raises(FileRefused) as refused:
        decode(text.encode("cp1252"))
    assert str(refused.value) == ("reads as UTF-8 ('CAFɒS') or as cp1252 ('CAFÉ’S'); set encoding: cp1252 for it in "
                                  "the billing home's settings.yaml if that is its code page, or export it again "
                                  "as UTF-8")
    assert decode(text.encode("cp1252"), "cp1252") == (text, "cp1252 (settings.yaml)")
    assert decode(text.encode("utf-8")) == (text, "utf-8")  # the same text in UTF-8 is UTF-8
    for genuine in ("Acme™ launch", "Done✅ today", "Nordic™ Ltd, Zürich", "Widget® rollout", "Temp 20°C check",
                    "Acme™ launch, José"):  # signs against letters, in UTF-8 files that are nothing else
        assert decode(f"x\n{genuine}\n".encode()) == (f"x\n{genuine}\n", "utf-8"), genuine


def test_a_turkish_harvest_export_bills_its_people_under_their_names(tmp_path: Path) -> None:
    (tmp_path / "timesheets").mkdir()
    header = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\r\n"
    rows = "".join(f"2026-09-{d:02d},Anadolu Danışmanlık,Denetim,,Denetim,müşteri görüşmesi {d},1.5,Yes,Şule,Yılmaz\r\n"
                   for d in range(1, 4))
    (tmp_path / "timesheets" / "harvest.csv").write_bytes((header + rows).encode("cp1254"))
    parsed = read_folder(tmp_path)
    assert parsed.problems == []
    assert {(e.client_name, e.person) for e in parsed.entries} == {("Anadolu Danışmanlık", "Şule Yılmaz")}
    assert [f.decisions["encoding"] for f in parsed.files] == ["cp1254 (detected)"]


def test_an_excel_for_mac_csv_is_read_in_mac_roman_with_its_carriage_returns(tmp_path: Path) -> None:
    """Excel for Mac's "Comma Separated Values" is Mac Roman with CR line ends: in cp1252 "Müller" reads "MŸller"
    and "Reunión" reads "Reuni—n"."""
    (tmp_path / "timesheets").mkdir()
    header = "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\r"
    rows = "".join(f"2026-09-{d:02d},Café Müller,Relaunch,,Design,Entwürfe für Geschäftsbericht – Teil {d},1.5,Yes,"
                   "Jürgen,Weiß\r" for d in range(1, 4))
    (tmp_path / "timesheets" / "mac.csv").write_bytes((header + rows).encode("mac_roman"))
    parsed = read_folder(tmp_path)
    assert parsed.problems == []
    assert [(e.client_name, e.person, e.notes) for e in parsed.entries] == [
        ("Café Müller", "Jürgen Weiß", f"Entwürfe für Geschäftsbericht – Teil {d}") for d in range(1, 4)]
    assert [f.decisions["encoding"] for f in parsed.files] == ["mac_roman (detected)"]


def test_bytes_that_are_not_text_are_refused_and_a_hostile_file_is_read_on_bounded_evidence() -> None:
    noise = bytes((b * 37 + 11) % 255 + 1 for b in range(200_000))  # every byte value but NUL, control bytes too
    with pytest.raises(FileRefused, match=r"not text in UTF-8 or a Windows code page \(\d+ control bytes\)"):
        decode(noise)
    # one endless "word" of high bytes: judged on its first 100 kB of evidence, and no code page reads it as words
    with pytest.raises(FileRefused, match="no supported code page reads it as text"):
        decode(bytes(0x80 + (b * 7) % 128 for b in range(3_000_000)))
    # a DOS end-of-file mark and a form feed are not control bytes a text file cannot hold
    assert decode(_export("Réunion").encode("cp1252") + b"\x0c\x1a")[1] == "cp1252 (detected)"


def test_an_export_in_a_code_page_we_do_not_read_is_refused_not_misread() -> None:
    """KOI8-R Russian reads as Cyrillic in cp1251 too, but with the letters of a cipher: refused by how unlikely
    its letters are, not billed under scrambled names."""
    note = ("Встреча с клиентом в Москве, подготовка годового отчёта, согласование бюджета на следующий квартал, "
            "Юлия Смирнова, Дмитрий Кузнецов")
    with pytest.raises(FileRefused, match=r"no supported code page reads it as text .*; set encoding:"):
        decode(_export(note).encode("koi8_r"))
    assert decode(_export(note).encode("cp1251")) == (_export(note), "cp1251 (detected)")


def test_a_utf8_file_with_a_row_from_a_legacy_file_is_refused_naming_the_line() -> None:
    """Two exports joined, or a row pasted from a cp1252 file: reading the file either way garbles one part."""
    utf8 = _export("Réunion à Genève, Müller").encode("utf-8")
    joined = utf8 + "2026-09-09,Acme,café latin row,1\n".encode("cp1252")
    with pytest.raises(FileRefused) as refused:
        decode(joined)
    assert str(refused.value) == ("mostly UTF-8, but 1 byte(s) are not (the first on line 5: 'caf\ufffd'); "
                                  "save the file again as UTF-8 (or fix that line)")
    # a legacy file with no UTF-8 in it is still read in its code page
    assert decode(_export("Réunion à Genève, Müller").encode("cp1252"))[1] == "cp1252 (detected)"
