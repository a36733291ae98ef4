"""Contract-set integrity (issue 14): duplicated keys, undecodable files, `.yml`, names shared by two contracts."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from billing_assets.cli import main
from billing_assets.core.contract import ContractFile, load_contracts
from billing_assets.core.errors import ContractError
from resources.home import BillingHome
from tests.conftest import GOLDEN

BASE = "client: acme\nname: Acme Corp\nroles: {senior: 250}\n"


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ContractError) as caught:
        ContractFile(path)
    return caught.value.problems


def test_duplicated_keys_at_any_depth_name_file_key_path_and_lines(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(BASE + "discount_pct: 5\n"
                    "retainer:\n  monthly_fee: 100\n  included_hours: 10\n  monthly_fee: 1000\n"
                    "caps:\n  - {name: a, period: month, amount: 1, amount: 2}\n"
                    "discount_pct: 50\n")
    assert problems_of(path) == [
        "contracts/acme.yaml: retainer.monthly_fee: duplicated key (lines 6 and 8)",
        "contracts/acme.yaml: caps[0].amount: duplicated key (lines 10 and 10)",
        "contracts/acme.yaml: discount_pct: duplicated key (lines 4 and 11)",
    ]


def test_decimal_reading_is_unchanged_by_the_duplicate_check(tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(BASE + "discount_pct: 0.1\nminimum_monthly_fee: 1_000.10\n")
    contract = ContractFile(path).for_month("2026-10")
    assert contract.discount_pct == Decimal("0.1") and contract.minimum_monthly_fee == Decimal("1000.10")


@pytest.mark.parametrize("content, expected", [
    ("client: acme\nname: Caf\xe9\n".encode("latin-1"),
     "contracts/acme.yaml: not UTF-8 text (byte 0xe9 at offset 22); save it as UTF-8"),
    ("client: acme\nname: Acme\n".encode("utf-16"),
     "contracts/acme.yaml: saved as UTF-16 text; save it as UTF-8 (a contract is UTF-8 YAML)"),
    ("client: acme\nname: Acme\n".encode("utf-16-le"),
     "contracts/acme.yaml: saved as UTF-16 text; save it as UTF-8 (a contract is UTF-8 YAML)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "contracts/acme.yaml: not a text file (binary content); a contract is "
                                             "UTF-8 YAML"),
    (b"client: [acme\n  name: x\n", "contracts/acme.yaml: not valid YAML: did not find expected ',' or ']' "
                                   "(line 2, column 3)"),
])
def test_undecodable_or_broken_contract_is_one_line_naming_the_file(tmp_path: Path, content: bytes,
                                                                     expected: str) -> None:
    path = tmp_path / "acme.yaml"
    path.write_bytes(content)
    found = problems_of(path)
    assert len(found) == 1 and "\n" not in found[0]
    assert found[0].startswith(expected.rsplit(" (line", 1)[0]), found


def _contracts(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "home" / "contracts"
    folder.mkdir(parents=True)
    for name, body in files.items():
        (folder / name).write_text(body)
    return folder


def test_yml_is_read_like_yaml_and_two_files_for_one_client_are_refused(tmp_path: Path) -> None:
    folder = _contracts(tmp_path, {"acme.yml": BASE, "beta.yaml": BASE.replace("acme", "beta").replace("Acme", "B"),
                                   "notes.txt": "x"})
    home = BillingHome(path=str(folder.parent))
    assert home.client_ids() == ["acme", "beta"]
    assert home.contract_file("acme").label == "contracts/acme.yml"
    good, bad = load_contracts(folder)
    assert sorted(good) == ["acme", "beta"] and not bad

    (folder / "acme.yaml").write_text(BASE)
    message = "contracts/acme.yaml and contracts/acme.yml: two contract files for client 'acme'; keep one"
    good, bad = load_contracts(folder)
    assert sorted(good) == ["beta"] and bad == {"acme": [message]}
    with pytest.raises(ContractError) as caught:
        home.contract_file("acme")
    assert caught.value.problems == [message]
    assert home.contract_file("beta").client == "beta"


def test_name_or_alias_clash_stops_both_clients_naming_both_files(tmp_path: Path) -> None:
    folder = _contracts(tmp_path, {
        "acme.yaml": BASE,
        "beta.yaml": "client: beta\nname: Beta\naliases: [B Co]\nroles: {senior: 1}\n"
                     "amendments: [{effective_from: 2027-01, aliases: [Acme Corp]}]\n",
        "gamma.yaml": "client: gamma\nname: Gamma\nroles: {senior: 1}\n",
    })
    good, bad = load_contracts(folder)
    assert sorted(good) == ["gamma"]
    assert bad == {
        "acme": ["contracts/acme.yaml: name or alias 'Acme Corp' is also used by contracts/beta.yaml; neither "
                 "client is billed until one of them drops it"],
        "beta": ["contracts/beta.yaml: name or alias 'Acme Corp' is also used by contracts/acme.yaml; neither "
                 "client is billed until one of them drops it"],
    }
    home = BillingHome(path=str(folder.parent))
    for client in ("acme", "beta"):
        with pytest.raises(ContractError) as caught:
            home.contract_file(client)
        assert caught.value.problems == bad[client]
    assert home.contract_file("gamma").client == "gamma"


def test_names_of_two_contracts_equal_but_for_case_clash(tmp_path: Path) -> None:
    """"Acme Corp" and "ACME  Corp" are one QuickBooks customer (its DisplayName match ignores case) and the same
    row to a person: both invoices landed on one customer. One contract may still list its own name's variants."""
    folder = _contracts(tmp_path, {
        "acme.yaml": BASE.replace("name: Acme Corp\n", "name: Acme Corp\naliases: [ACME CORP]\n"),
        "acmeup.yaml": "client: acmeup\nname: ACME  Corp\nroles: {senior: 1}\n",
        "gamma.yaml": "client: gamma\nname: Gamma\nroles: {senior: 1}\n",
    })
    good, bad = load_contracts(folder)
    assert sorted(good) == ["gamma"]
    assert bad == {
        "acme": ["contracts/acme.yaml: name or alias 'ACME CORP' differs from contracts/acmeup.yaml's 'ACME  Corp' "
                 "only in case, spaces or punctuation (exports and QuickBooks customers cannot tell them apart); "
                 "neither client is billed until one of them drops it"],
        "acmeup": ["contracts/acmeup.yaml: name or alias 'ACME  Corp' differs from contracts/acme.yaml's 'ACME CORP' "
                   "only in case, spaces or punctuation (exports and QuickBooks customers cannot tell them apart); "
                   "neither client is billed until one of them drops it"],
    }
    (folder / "acmeup.yaml").unlink()
    assert sorted(load_contracts(folder)[0]) == ["acme", "gamma"]  # its own alias in other letters is no clash


def test_close_bills_neither_client_of_an_alias_clash_and_the_others_exactly(billing_env, capsys) -> None:
    """Client B (globex) lists client A's name (Northwind Traders) as an alias: the same time could be billed to
    both. Neither is invoiced, both errors name both files; initech (golden 03, saved as .yml) is priced to the
    cent."""
    home = billing_env()
    for case in ("01_retainer_rush_rollover", "02_rate_cards_rounding", "03_caps_tiers_fixed_fee"):
        for sub in ("contracts", "timesheets", "expenses"):
            for path in (GOLDEN / case / sub).iterdir():
                shutil.copy(path, home / sub / (path.name if sub == "contracts" else f"{case[:2]}_{path.name}"))
    (home / "contracts" / "initech.yaml").rename(home / "contracts" / "initech.yml")  # .yml is read like .yaml
    globex = home / "contracts" / "globex.yaml"
    globex.write_text(globex.read_text().replace("- Globex Corp\n", "- Globex Corp\n- Northwind Traders\n", 1))

    assert main(["close", "--month", "2026-08"]) == 1
    out = capsys.readouterr().out
    assert ("contracts/northwind.yaml: name or alias 'Northwind Traders' is also used by contracts/globex.yaml"
            in out)
    assert "contracts/globex.yaml: name or alias 'Northwind Traders' is also used by contracts/northwind.yaml" in out
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        invoices = conn.execute("SELECT client, total, hours_held FROM invoices ORDER BY ALL").fetchall()
        billed = conn.execute("SELECT DISTINCT client FROM raw_time_entries ORDER BY ALL").fetchall()
    want = json.loads((GOLDEN / "03_caps_tiers_fixed_fee" / "expected.json").read_text())["initech|2026-08"]
    assert invoices == [("initech", Decimal(want["total"]), Decimal(want["hours_held"]))]
    assert billed == [("initech",)]

    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert "contracts/globex.yaml: name or alias 'Northwind Traders' is also used by contracts/northwind.yaml" in out
    assert "unknown client 'Northwind Traders'" not in out


def test_an_invalid_contract_still_stops_the_client_whose_name_it_claims(tmp_path: Path) -> None:
    folder = _contracts(tmp_path, {"acme.yaml": BASE,
                                   "beta.yaml": "client: beta\nname: Beta\naliases: [Acme Corp]\nterms_days: x\n",
                                   "gamma.yaml": "client: gamma\nname: Gamma\naliases: Acme Corp\ncolour: 1\n"})
    good, bad = load_contracts(folder)
    assert good == {}
    assert bad["acme"] == ["contracts/acme.yaml: name or alias 'Acme Corp' is also used by contracts/beta.yaml; "
                           "neither client is billed until one of them drops it"]
    assert bad["beta"][-1].startswith("contracts/beta.yaml: name or alias 'Acme Corp' is also used by contracts/acme")
    assert not [p for p in bad["gamma"] if "also used by" in p]  # aliases must be a list: not read as letters


def test_time_of_a_contract_that_is_not_yaml_says_the_contract_may_be_theirs(tmp_path: Path, monkeypatch) -> None:
    """A contract that is not YAML at all gives no names, so its client's time looked like an unknown client's:
    "no contract's name or alias", and a person would add an alias to the wrong file. The warning names the
    unreadable file; a contract that is YAML but invalid still claims its names (no warning at all)."""
    from types import SimpleNamespace

    from billing_assets.close import unclaimed_rows
    from resources import home as home_module
    from resources.timesource import CsvTimeSource

    home = tmp_path / "home"
    shutil.copytree(GOLDEN / "02_rate_cards_rounding", home)
    contract = home / "contracts" / "globex.yaml"
    good = contract.read_text()
    contract.write_text(good + 'evil: !!python/object/apply:os.system ["true"]\n')
    billing_home = BillingHome(path=str(home))
    defs = SimpleNamespace(resources={"time_source": CsvTimeSource(home=str(home)), "home": billing_home})
    assert billing_home.nameless_contracts() == ["contracts/globex.yaml"]
    assert unclaimed_rows(defs, ["2026-08"]) == [
        f"2026-08: {rows} row(s), {hours} h billable, under client {name!r} (timesheets/harvest_time_a.csv): no "
        "readable contract's name or alias, so they bill nobody (contracts/globex.yaml could not be read: it may be "
        "theirs)"
        for rows, hours, name in ((10, "9.9", "Globex Corp"), (33, "52.8", "Globex Corporation"))]
    contract.write_text(good.replace("currency: USD", "currency: 12"))  # invalid, but YAML: its names are read
    monkeypatch.setattr(home_module, "FOLDER_STAMP_SECONDS", 0.0)  # the folder's stamp is taken again at once
    assert billing_home.nameless_contracts() == []
    assert unclaimed_rows(defs, ["2026-08"]) == []


def test_rows_under_a_name_an_amendment_replaced_stop_the_month_and_are_named(tmp_path: Path) -> None:
    """An amendment from 2026-09 renames Globex "Globex Two" while the time tool keeps "Globex Corporation":
    September's rows under the old name billed nobody (2,194.50 for 11 h instead of 66.25 h), `validate` and the
    close silent, because the names any version ever had counted as claimed. They stop September, naming the
    rows; August under the old name is billed."""
    from types import SimpleNamespace

    from billing_assets import status
    from billing_assets.close import unclaimed_rows
    from billing_assets.core.sources import read_folder
    from resources.timesource import CsvTimeSource

    home = tmp_path / "home"
    shutil.copytree(GOLDEN / "02_rate_cards_rounding", home)
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "  name: Globex Two\n")  # into the 2026-09 amendment
    billing_home = BillingHome(path=str(home))
    assert billing_home.claimed_names("2026-08") == {"Globex Corporation", "Globex Corp"}
    assert billing_home.claimed_names("2026-09") == {"Globex Two", "Globex Corp"}
    states = status.evaluate(billing_home, read_folder(home), [("globex", "2026-08"), ("globex", "2026-09")])
    assert states[("globex", "2026-08")].state == status.ACTIVE
    september = states[("globex", "2026-09")]
    assert (september.state, september.check_name) == (status.BLOCKED, "inputs_readable")
    assert september.problems[-1].startswith(
        "timesheets/harvest_time_b.csv: rows 1, 3-4, 6-7, 9-13, 15-16, 18-22, 24-25, 27-28, 30-34, 36-37, 39-43: "
        "client 'Globex Corporation' is the contract's name or alias in other months but not in 2026-09")
    defs = SimpleNamespace(resources={"time_source": CsvTimeSource(home=str(home)), "home": billing_home})
    assert unclaimed_rows(defs, ["2026-08", "2026-09"]) == [
        "2026-09: 33 row(s), 52.8 h billable, under client 'Globex Corporation' (timesheets/harvest_time_b.csv): no "
        "contract's name or alias, so they bill nobody"]
    from billing_assets.validate import validate_home

    assert [p for p in validate_home(home) if "other months" in p] == [
        "expenses/harvest_expenses.csv: rows 3-4: client 'Globex Corporation' is the contract's name or alias in other "
        "months but not in 2026-09; add it to the aliases that apply in 2026-09 to bill these rows (inputs_readable "
        "stops globex 2026-09)",
        "timesheets/harvest_time_b.csv: rows 1, 3-4, 6-7, 9-13, 15-16, 18-22, 24-25, 27-28, 30-34, 36-37, 39-43: "
        "client 'Globex Corporation' is the contract's name or alias in other months but not in 2026-09; add it to "
        "the aliases that apply in 2026-09 to bill these rows (inputs_readable stops globex 2026-09)"]


def test_amendments_listed_out_of_date_order_are_a_warning(tmp_path: Path) -> None:
    """Amendments apply in file order (spec section 2): [2026-09: consultant 205, 2026-08: consultant 300] bills
    September at 300, silently. `validate` warns when a later-listed, earlier-dated amendment changes a key an
    earlier-listed one also sets; amendments touching other keys are no concern."""
    from billing_assets.validate import validate_report

    home = tmp_path / "home"
    shutil.copytree(GOLDEN / "02_rate_cards_rounding", home)
    contract = home / "contracts" / "globex.yaml"
    contract.write_text(contract.read_text() + "- effective_from: 2026-08\n  roles:\n    consultant: 300\n"
                        "- effective_from: 2026-07\n  terms_days: 45\n")
    assert ContractFile(contract).for_month("2026-09").roles["consultant"] == Decimal(300)
    assert [w for w in validate_report(home)[1] if "amendments[" in w] == [
        "contracts/globex.yaml: amendments[1] (2026-08) comes after amendments[0] (2026-09) in the file and also "
        "sets roles: amendments apply in file order, so from 2026-09 on amendments[1]'s value wins; list them by "
        "date if that is not meant"]


def test_validate_does_not_send_a_broken_contracts_time_to_another_contract(billing_env, capsys) -> None:
    """Found by an auditor following the advice: with globex.yaml broken, validate told to add 'Globex Corporation'
    to a contract's aliases, which would bill globex's time to another client; the close said the broken contract
    may be theirs. Validate says so too."""
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    (home / "contracts" / "globex.yaml").write_text("client: globex\nname: [unclosed\n")
    assert main(["validate"]) == 1
    out = capsys.readouterr().out
    assert ("unknown client 'Globex Corporation' (no readable contract name or alias matches; unknown_client): "
            "52.8 h billable billed to nobody; contracts/globex.yaml could not be read: it may be theirs; correct it "
            "first") in out, out
    assert "add the name to a contract's aliases" not in out
