"""A Project Code that no SOW item lists is classified from the note (spec section 3); `billing validate` says so,
so that a typo or a spreadsheet that dropped a code's leading zeros is seen before the close. The same for a rate
setting whose person or project is spelled unlike the exports."""

from __future__ import annotations

from billing_assets.cli import main
from tests.conftest import GOLDEN


def test_a_project_code_no_sow_item_lists_is_a_warning_naming_file_rows_and_the_listed_codes(billing_env,
                                                                                             capsys) -> None:
    home = billing_env(GOLDEN / "03_caps_tiers_fixed_fee")
    sheet = home / "timesheets" / "harvest_time_a.csv"
    lines = sheet.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",INI-TPS,", ",INI-TSP,")  # a typo on data row 1
    lines[2] = lines[2].replace(",INI-TPS,", ",ini-tps ,")  # case and a space on data row 2
    sheet.write_text("".join(lines))

    assert main(["validate"]) == 0
    out = capsys.readouterr().out.splitlines()
    codes = "(its codes: INI-HST, INI-SEC, INI-TPS)"
    assert [line for line in out if "is listed by no SOW item" in line] == [
        f"warning: timesheets/harvest_time_a.csv: rows 1: project code 'INI-TSP' is listed by no SOW item of "
        f"contracts/initech.yaml {codes}; these entries are classified from their notes",
        f"warning: timesheets/harvest_time_a.csv: rows 2: project code 'ini-tps' is listed by no SOW item of "
        f"contracts/initech.yaml {codes} (meant 'INI-TPS'? codes match exactly); these entries are classified "
        "from their notes"]
    assert out[-1].endswith("0 problem(s), 2 warning(s) in " + str(home))


def test_a_rate_setting_naming_a_person_or_project_close_to_one_that_worked_is_a_warning(billing_env,
                                                                                         capsys) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("person: Raj Patel", "person: Raj Patl")
                        .replace("project: Data Migration", "project: Data Migraton")
                        .replace("Ana Souza: partner", "Ana Souza: partnr"))
    assert main(["validate"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line for line in out if "has no time in the exports" in line] == [
        "warning: contracts/globex.yaml: rate_overrides[0].person: 'Raj Patl' has no time in the exports, but "
        "'Raj Patel' has (names match exactly); the setting applies to nobody",
        "warning: contracts/globex.yaml: rate_overrides[0].project: 'Data Migraton' has no time in the exports, but "
        "'Data Migration' has (names match exactly); the setting applies to nobody"]
    assert [line for line in out if "bills at default_rate" in line] == [
        "warning: contracts/globex.yaml: people.Ana Souza: role 'partnr' is not in roles (partner, manager, "
        "consultant); Ana Souza bills at default_rate"]


def test_a_rate_setting_naming_a_person_in_other_case_is_a_warning(billing_env, capsys) -> None:
    """Found by an auditor: "raj patel" beside "Raj Patel" was not said (difflib counts case), and the override
    applied to nobody."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text().replace("person: Raj Patel", "person: raj patel"))
    assert main(["validate"]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "has no time in the exports" in line] == [
        "warning: contracts/globex.yaml: rate_overrides[0].person: 'raj patel' has no time in the exports, but "
        "'Raj Patel' has (names match exactly); the setting applies to nobody"]


def test_an_unlisted_code_of_a_contract_with_one_hourly_item_is_said_to_go_to_that_item(billing_env, capsys) -> None:
    """Spec section 3: with no listed code, the only hourly item takes the entry; the warning said "classified from
    their notes", which the classifier never saw."""
    home = billing_env()
    (home / "contracts" / "dfx.yaml").write_text(
        "client: dfx\nname: DF Ltd\ncurrency: USD\ndefault_rate: 100\nsow:\n  items:\n"
        "    - {id: S1, name: Support, billing: hourly, project_codes: [DF-SUP]}\n"
        "    - {id: F1, name: Launch, billing: fixed_fee, project_codes: [DF-FIX], schedule: {2026-09: 500}}\n")
    (home / "timesheets" / "t.csv").write_text(
        "Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,First Name,Last Name\n"
        "2026-09-02,DF Ltd,Ops,DF-SUP,Support,Fix,1.5,Yes,Ann,Lee\n"
        "2026-09-03,DF Ltd,Ops,DF-SPU,Support,Fix again,2,Yes,Ann,Lee\n")
    assert main(["validate"]) == 0
    assert [line for line in capsys.readouterr().out.splitlines() if "is listed by no SOW item" in line] == [
        "warning: timesheets/t.csv: rows 2: project code 'DF-SPU' is listed by no SOW item of contracts/dfx.yaml "
        "(its codes: DF-FIX, DF-SUP); these entries go to S1, the contract's only hourly SOW item"]
