"""Exports as real firms' tools and spreadsheets write them, closed through `billing close`: each client of one
billing home gets one variant (number format, date order, duration format, encoding, delimiter, zero rows,
running timers, a forgotten 26-hour timer, no Billable column, QuickBooks Time, an unreadable file, a quiet
month). Every healthy client prices exactly; the ambiguous and unreadable files stop only their own client,
with a message naming the file and what resolves it."""

from __future__ import annotations

import codecs
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.money import round2
from billing_assets.core.sources import read_folder

MONTH = "2026-09"
RATE = 100

HARVEST = ("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,"
           "Billable Rate,Billable Amount,Currency\r\n")
CLOCKIFY = ('"Project","Client","Description","Task","User","Group","Email","Tags","Billable","Start Date",'
            '"Start Time","End Date","End Time","Duration (h)","Duration (decimal)","Billable Rate ({cur})",'
            '"Billable Amount ({cur})","Date of creation"\r\n')
TOGGL = "User,Email,Client,Project,Task,Description,Billable,Start date,Start time,End date,End time,Duration,Tags," \
        "Amount (USD)\r\n"
QBT = ("fname,lname,username,group,local_date,local_day,local_start_time,local_end_time,tz,hours,jobcode_1,"
       "jobcode_2,location,notes,approved_status,billable,service item\n")


def clockify_row(client: str, day: str, h: str, dec: str, end: str | None = None, rate: str = "100.00",
                 amount: str = "0.00", end_day: str = "") -> str:
    """A row started at 09:00 and ended `end` (by default 09:00 plus `dec` hours, as Clockify writes it; "" for a
    running timer) on `end_day` (by default `day`)."""
    if end is None:
        minutes = 9 * 60 + round(float(dec.replace(",", ".")) * 60)
        end = f"{minutes // 60:02d}:{minutes % 60:02d}"
    return (f'"Web","{client}","Work","","Ana Souza","","ana@example.com","","Yes","{day}","09:00",'
            f'"{(end_day or day) if end else ""}","{end}","{h}","{dec}","{rate}","{amount}","{day}"\r\n')


# client slug -> (contract name, currency, file name, bytes of the file, expected billed hours)
FILES: dict[str, tuple[str, str, str, bytes, str]] = {
    "harvest-us": ("Harbor US", "USD", "harvest_us.csv", (HARVEST + "".join(
        f"{d},Harbor US,Web,W1,Design,Item {i},{h},{b},No,Ana,Souza,,150.00,\"{a}\",USD\r\n"
        for i, (d, h, b, a) in enumerate([("09/04/2026", "1.50", "Yes", "225.00"),
                                          ("09/15/2026", "2.25", "Yes", "1,337.50"),
                                          ("09/30/2026", "0.75", "Yes", "112.50"),
                                          ("09/08/2026", "1.00", "No", "0.00")]))).encode(), "4.50"),
    "harvest-eu": ("Atelier Nord GmbH", "EUR", "harvest_eu.csv", (HARVEST + "".join(
        f"{d},Atelier Nord GmbH,Relaunch,AN,Development,Schritt {i},\"{h}\",Yes,No,Joel,Baumann,,\"160,00\","
        f"\"{a}\",EUR\r\n"
        for i, (d, h, a) in enumerate([("04.09.2026", "1,5", "240,00"), ("11.09.2026", "2,25", "360,00"),
                                       ("18.09.2026", "0,75", "120,00"), ("25.09.2026", "12,5", "2.000,00")]))
        ).encode(), "17.00"),
    "excel-de": ("Müller & Söhne GmbH", "EUR", "excel_resave.csv", (HARVEST.replace(",", ";") + "".join(
        f"{d};Müller & Söhne GmbH;Präsentation;MS;Entwurf;Gärtner – Überarbeitung {i};{h};Ja;Nein;Jörg;Weiß;;"
        f"160,00;{a};EUR\r\n"
        for i, (d, h, a) in enumerate([("04.09.2026", "1,5", "240,00"), ("21.09.2026", "3", "480,00")]))
        ).encode("cp1252"), "4.50"),
    "unicode-text": ("Unicode Text Ltd", "USD", "excel_unicode.txt", codecs.BOM_UTF16_LE + (
        HARVEST.replace(",", "\t") + "".join(
            f"2026-09-{d:02d}\tUnicode Text Ltd\tWeb\t\tBuild\tNote {d}\t1.25\tYes\tNo\tZoë\tNg\t\t\t\tUSD\r\n"
            for d in (3, 17))).encode("utf-16-le"), "2.50"),
    "toggl": ("Toggl Co", "USD", "toggl.csv", codecs.BOM_UTF8 + (TOGGL + "".join(
        f"Ana Souza,ana@example.com,Toggl Co,Web,,Task {i},Yes,2026-09-{d:02d},09:00:00,2026-09-{d:02d},"
        f"{end},{dur},,0.00\r\n"
        for i, (d, end, dur) in enumerate([(1, "10:30:00", "01:30:00"), (2, "09:45:00", "00:45:00"),
                                           (3, "09:00:00", "00:00:00"), (30, "11:15:00", "02:15:00")]))
        ).encode(), "4.50"),
    "clockify-us": ("Clockify US", "USD", "clockify_us.csv", (CLOCKIFY.format(cur="USD") + "".join(
        clockify_row("Clockify US", d, h, dec).replace('"09:00"', '"09:00:00 AM"')
        for d, h, dec in [("09/01/2026", "01:30:00", "1.50"), ("09/15/2026", "02:00:00", "2.00"),
                          ("09/22/2026", "00:13:00", "0.22")])).encode(), "3.7166666667"),
    "clockify-uk": ("Clockify UK", "GBP", "clockify_uk.csv", (CLOCKIFY.format(cur="GBP") + "".join(
        clockify_row("Clockify UK", d, h, dec, end)
        for d, h, dec, end in [("04/09/2026", "1:30", "1.50", "10:30"), ("08/09/2026", "0:13", "0.22", "09:13"),
                               ("15/09/2026", "2:00", "2.00", "11:00"), ("30/09/2026", "", "", "")])).encode(),
        "3.7166666667"),
    "clockify-de": ("Clockify DE", "EUR", "clockify_de.csv", (CLOCKIFY.format(cur="EUR") + "".join(
        clockify_row("Clockify DE", d, h, h, rate="60,00", amount="0,00")
        for d, h in [("04.09.2026", "1,50"), ("08.09.2026", "2,25")])).encode(), "3.75"),
    "clockify-ambiguous": ("Clockify AMB", "GBP", "clockify_amb.csv", (CLOCKIFY.format(cur="GBP") + "".join(
        clockify_row("Clockify AMB", d, "1:00", "1.00") for d in ("04/09/2026", "08/09/2026"))).encode(), "2.00"),
    "qbt": ("QBT Co", "USD", "timesheet_report_2026-09-01_thru_2026-09-30.csv", (QBT + "".join(
        f"Ana,Souza,ana@example.com,Consultants,2026-09-{d:02d},Tue,{start},{end},"
        f"America/New_York,{h},QBT Co,Implementation,,Configured module {d},approved,yes,Consulting\n"
        for d, h, start, end in [(1, "1.5", "2026-09-01T09:00:00-04:00", "2026-09-01T10:30:00-04:00"),
                                 (2, "2.25", "2026-09-02T09:00:00-04:00", "2026-09-02T11:15:00-04:00"),
                                 (15, "2.0", "", ""),  # a manual timesheet: hours, no clock times
                                 (30, "0.75", "2026-09-30T09:00:00-04:00", "")])).encode(), "5.75"),
    "no-billable": ("NoBill Co", "USD", "toggl_no_billable.csv", (
        b"User,Email,Client,Project,Task,Description,Start date,Start time,End date,End time,Duration\r\n"
        b"Ana Souza,a@x.com,NoBill Co,Web,,One,2026-09-02,09:00:00,2026-09-02,10:00:00,01:00:00\r\n"
        b"Ana Souza,a@x.com,NoBill Co,Web,,Two,2026-09-03,09:00:00,2026-09-03,09:30:00,00:30:00\r\n"),
        "1.50"),
    "long-timer": ("Long Timer Co", "USD", "clockify_long.csv", (CLOCKIFY.format(cur="USD")
        + clockify_row("Long Timer Co", "09/14/2026", "26:10:00", "26.17", "11:10", end_day="09/15/2026")
        + clockify_row("Long Timer Co", "09/15/2026", "01:00:00", "1.00")).encode(),
        "1.00"),
    "broken": ("Broken Co", "USD", "odd_tool.csv", b"When,Client,Who,How long\n2026-09-01,Broken Co,Ana,1\n", ""),
    "quiet": ("Quiet Co", "USD", "", b"", "0"),
}
FAILING = {"clockify-ambiguous", "broken"}


def contract(slug: str, name: str, currency: str) -> str:
    return f'client: {slug}\nname: "{name}"\ncurrency: {currency}\nterms_days: 30\ndefault_rate: {RATE}\n'


@pytest.fixture
def real_home(billing_env) -> Path:
    home = billing_env()
    for slug, (name, currency, file_name, data, _) in FILES.items():
        (home / "contracts" / f"{slug}.yaml").write_text(contract(slug, name, currency), encoding="utf-8")
        if file_name:
            (home / "timesheets" / file_name).write_bytes(data)
    return home


def invoices(home: Path) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT client, total, hours_billed, hours_held FROM invoices WHERE month = ?",
                            [MONTH]).fetchall()
    return {client: (total, billed, held) for client, total, billed, held in rows}


def test_each_files_reading_is_decided_and_reported(real_home: Path) -> None:
    parsed = read_folder(real_home)
    reports = {f.file.split("/")[1]: f for f in parsed.files}
    assert reports["excel_resave.csv"].decisions["encoding"] == "cp1252 (detected)"
    assert reports["excel_resave.csv"].decisions["delimiter"] == "semicolon"
    assert reports["excel_unicode.txt"].decisions == {
        "encoding": "utf-16 with BOM", "delimiter": "tab", "numbers": "1,234.50 (every format reads its values alike)",
        "dates": "YYYY-MM-DD", "durations": "decimal"}
    assert reports["harvest_eu.csv"].decisions["numbers"] == "1.234,50 (from its values)"
    assert reports["harvest_eu.csv"].decisions["dates"] == "DD.MM.YYYY"
    assert reports["harvest_us.csv"].decisions["numbers"] == "1,234.50 (from its values)"
    assert reports["harvest_us.csv"].decisions["dates"] == "MM/DD/YYYY (from its values)"
    assert reports["clockify_uk.csv"].decisions["dates"] == "DD/MM/YYYY (from its values)"
    assert reports["clockify_uk.csv"].decisions["durations"] == "H:MM"
    assert reports["clockify_uk.csv"].running_rows == [4]
    assert reports["toggl.csv"].zero_rows == 1 and reports["toggl.csv"].read == 3
    assert reports["timesheet_report_2026-09-01_thru_2026-09-30.csv"].layout == "QuickBooks Time timesheets"
    assert reports["timesheet_report_2026-09-01_thru_2026-09-30.csv"].read == 3  # the manual timesheet too
    assert [str(w) for w in parsed.warnings] == [
        "timesheets/clockify_uk.csv: row 4: running timer (no end yet): skipped until it is stopped",
        "timesheets/timesheet_report_2026-09-01_thru_2026-09-30.csv: row 4: running timer (no end yet): skipped "
        "until it is stopped"]
    problems = {p.file: p for p in parsed.problems}
    assert set(problems) == {"timesheets/clockify_amb.csv", "timesheets/odd_tool.csv"}
    assert str(problems["timesheets/clockify_amb.csv"]) == (
        "timesheets/clockify_amb.csv: every date fits both MM/DD/YYYY and DD/MM/YYYY (no day above 12); set "
        "date_order: day_first or month_first in the billing home's settings.yaml")
    assert problems["timesheets/clockify_amb.csv"].clients == ("Clockify AMB",)
    assert str(problems["timesheets/odd_tool.csv"]) == (
        "timesheets/odd_tool.csv: header matches no known export (tried Harvest detailed time, Toggl detailed, "
        "Clockify detailed, QuickBooks Time timesheets); the closest, Toggl detailed, lacks User, Project, "
        "Description, Start date, Duration")
    assert problems["timesheets/odd_tool.csv"].clients == ("Broken Co",)
    names = {e.client_name for e in parsed.entries}
    assert "Müller & Söhne GmbH" in names and "Unicode Text Ltd" in names
    assert next(e for e in parsed.entries if e.client_name == "Unicode Text Ltd").person == "Zoë Ng"


def test_close_prices_every_healthy_variant_exactly_and_stops_only_the_bad_files(real_home: Path, capsys) -> None:
    assert main(["close", "--month", MONTH]) == 1  # two clients' files are refused
    out = capsys.readouterr().out
    assert "clockify_amb.csv: every date fits both MM/DD/YYYY and DD/MM/YYYY" in out
    assert "odd_tool.csv: header matches no known export" in out
    found = invoices(real_home)
    for slug, (_, _, _, _, hours) in FILES.items():
        if slug in FAILING or slug == "quiet":
            continue
        total, billed, held = found[slug]
        assert (total, billed) == (round2(Decimal(hours) * RATE), Decimal(hours)), slug  # 0:13 is 0.2166666667 h
        assert held == (Decimal("26.1666666667") if slug == "long-timer" else 0), slug
    assert set(found) & FAILING == set()
    assert found.get("quiet", (Decimal(0),))[0] == 0
    outbox = real_home / "outbox" / MONTH
    assert not (outbox / "quiet.json").exists()  # nothing to bill: not pushed, not an error
    assert (outbox / "harvest-eu.json").exists() and not (outbox / "broken.json").exists()


def test_a_date_order_setting_resolves_the_ambiguous_file(real_home: Path) -> None:
    (real_home / "settings.yaml").write_text(
        "files:\n  timesheets/clockify_amb.csv: {date_order: day_first}\n")
    (real_home / "timesheets" / "odd_tool.csv").unlink()
    assert main(["close", "--month", MONTH, "--client", "clockify-ambiguous"]) == 0
    assert invoices(real_home)["clockify-ambiguous"][:2] == (Decimal("200.00"), Decimal("2.00"))
    dates = sorted(e.date.isoformat() for e in read_folder(real_home).entries if e.client_name == "Clockify AMB")
    assert dates == ["2026-09-04", "2026-09-08"]


def test_validate_reports_the_files_and_every_refusal_before_anything_runs(real_home: Path, capsys) -> None:
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert ("timesheets/harvest_eu.csv: Harvest detailed time; encoding utf-8, delimiter comma, numbers 1.234,50 "
            "(from its values), dates DD.MM.YYYY, durations decimal; 4 of 4 rows read") in out
    assert "warning: timesheets/clockify_uk.csv: row 4: running timer" in out
    assert "timesheets/odd_tool.csv: REFUSED: header matches no known export" in out
    assert out.strip().endswith(f"2 problem(s), 2 warning(s) in {real_home}")


def test_validate_names_what_the_blocking_raw_checks_would_stop(billing_env) -> None:
    from billing_assets.validate import validate_home

    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(
        'client: acme\nname: "Acme"\ncurrency: USD\nterms_days: 30\npeople: {"Ana Souza": senior}\n'
        "roles: {senior: 200}\n")
    rows = ("2026-09-01,Acme,Web,Build,Homepage,1.5,Yes,Ana,Souza,,USD\r\n"
            "2026-09-02,Acme,Web,Build,Checkout,2.0,Yes,Zed,Nobody,,USD\r\n"
            "2026-09-03,Acme,Web,Build,Admin,0.5,Yes,,,,USD\r\n")
    header = "Date,Client,Project,Task,Notes,Hours,Billable?,First Name,Last Name,Roles,Currency\r\n"
    (home / "timesheets" / "september.csv").write_text(header + rows)
    (home / "timesheets" / "september_again.csv").write_text(header + rows.splitlines(keepends=True)[0])
    assert validate_home(home) == [
        "timesheets/september.csv: row 3: no person (First Name / Last Name or User is blank; required_fields "
        "will stop its month)",
        "timesheets/september.csv and timesheets/september_again.csv: 1 row(s) in both files with the same date, "
        "person, project, task and hours (a re-export, a note perhaps edited since?); no_cross_file_duplicates will "
        "stop their months",
        "contracts/acme.yaml: no rate for Zed Nobody (people, roles, rate_overrides or default_rate), who has "
        "billable time in 2026-09: rates_present will stop it"]

    from billing_assets.core.sources import read_folder

    # Zed's entry written off: no rate is needed (found by an auditor: validate still said rates_present would stop
    # a month the close priced and pushed)
    [zed] = [e.entry_id for e in read_folder(home).entries if e.person == "Zed Nobody"]
    (home / "overrides" / "decided.csv").write_text(f"entry_id,action\n{zed},write_off\n")
    assert not any("no rate for" in p for p in validate_home(home))


def test_a_refused_file_naming_no_client_fails_the_close_by_name(billing_env, capsys) -> None:
    home = billing_env()
    (home / "contracts" / "acme.yaml").write_text(contract("acme", "Acme", "USD"))
    (home / "timesheets" / "good.csv").write_bytes(FILES["toggl"][3].replace(b"Toggl Co", b"Acme"))
    (home / "timesheets" / "columns_chosen.csv").write_text(  # a Toggl export whose user dropped Client and User
        '"Description",Duration,Project,Start date,Start time,Stop date,Stop time\n'
        '"Build",1:30:00,Web,2026-09-02,10:30:00,2026-09-02,12:00:00\n')
    assert main(["close", "--month", MONTH]) == 1
    out = capsys.readouterr().out
    assert "FAILED timesheets/columns_chosen.csv: header matches no known export" in out
    assert "(no client named in it: every client-month waits until it is fixed or removed)" in out
    # its time could be acme's: pricing acme without it would push an invoice short by the whole file
    assert "acme" not in invoices(home)
    assert "FAILED acme 2026-09:\n  timesheets/columns_chosen.csv: header matches no known export" in out
