"""Contract strictness beyond types (spec section 2): mistakes that used to load and then bill wrongly or crash the
month close. Each test copies a golden contract, changes one thing and expects the exact one-line problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing_assets.core.contract import ContractFile
from billing_assets.core.errors import ContractError

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
GLOBEX = (GOLDEN / "02_rate_cards_rounding" / "contracts" / "globex.yaml").read_text()
NORTHWIND = (GOLDEN / "01_retainer_rush_rollover" / "contracts" / "northwind.yaml").read_text()
INITECH = (GOLDEN / "03_caps_tiers_fixed_fee" / "contracts" / "initech.yaml").read_text()
RATE_LIMIT = ("is above 1,000,000, the highest hourly rate accepted (a month of hours at it would overflow the "
              "warehouse)")
AMOUNT_LIMIT = "is above 1,000,000,000, the largest amount accepted (the warehouse holds amounts below 10^14)"
BEYOND = "is beyond the amounts the warehouse holds (below 100,000,000,000,000)"
CURRENCY = "currency: must be a three-letter upper-case ISO 4217 code such as USD or EUR, got"


def changed(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


def write(tmp_path: Path, client: str, text: str) -> Path:
    path = tmp_path / "contracts" / f"{client}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(tmp_path: Path, client: str, text: str) -> list[str]:
    with pytest.raises(ContractError) as caught:
        ContractFile(write(tmp_path, client, text))
    return caught.value.problems


def test_person_with_an_undefined_role_loads_and_is_named_for_validate(tmp_path: Path) -> None:
    text = changed(GLOBEX, "Ana Souza: partner", "Ana Souza: partnr")
    contract_file = ContractFile(write(tmp_path, "globex", text))  # the spec prices Ana at default_rate
    assert contract_file.for_month("2026-08").default_rate == 140
    assert contract_file.undefined_people_roles() == [
        "contracts/globex.yaml: people.Ana Souza: role 'partnr' is not in roles (partner, manager, consultant); "
        "Ana Souza bills at default_rate"]


def test_person_role_matches_case_insensitively_and_amendment_roles_count(tmp_path: Path) -> None:
    ContractFile(write(tmp_path, "globex", changed(GLOBEX, "Ana Souza: partner", "Ana Souza: PARTNER")))
    text = changed(changed(GLOBEX, "Ana Souza: partner", "Ana Souza: counsel"),
                   "    consultant: 205\n", "    consultant: 205\n    counsel: 500\n")
    assert ContractFile(write(tmp_path, "globex", text)).for_month("2026-09").role_rate("counsel")


def test_amendment_person_with_an_undefined_role_is_named_for_validate(tmp_path: Path) -> None:
    text = changed(GLOBEX, "    consultant: 205\n", "    consultant: 205\n  people:\n    Kim Lee: associate\n")
    assert ContractFile(write(tmp_path, "globex", text)).undefined_people_roles() == [
        "contracts/globex.yaml: amendments[0].people.Kim Lee: role 'associate' is not in roles "
        "(partner, manager, consultant); Kim Lee bills at default_rate"]


def test_two_roles_equal_case_insensitively(tmp_path: Path) -> None:
    text = changed(GLOBEX, "  partner: 420\n", "  partner: 420\n  Partner: 999\n")
    assert problems(tmp_path, "globex", text) == [
        "contracts/globex.yaml: roles.Partner: same role as 'partner' (role names match case-insensitively), "
        "keep one"]


@pytest.mark.parametrize("work_types", ["  standard:\n    multiplier: 2\n",
                                        "  standard: {counts_against_retainer: false}\n"])
def test_standard_may_not_be_set_otherwise_than_the_spec_fixes_it(tmp_path: Path, work_types: str) -> None:
    text = changed(NORTHWIND, "work_types:\n", "work_types:\n" + work_types)
    assert problems(tmp_path, "northwind", text) == [
        "contracts/northwind.yaml: work_types.standard: standard is implicit (multiplier 1, counts against the "
        "retainer) and may not be set otherwise"]


def test_standard_as_the_spec_fixes_it_and_non_billable_are_accepted(tmp_path: Path) -> None:
    text = changed(NORTHWIND, "work_types:\n", "work_types:\n  standard: {multiplier: 1}\n"
                                                "  non_billable: {multiplier: 0}\n")
    assert ContractFile(write(tmp_path, "northwind", text)).for_month("2026-08").work_type("standard").multiplier == 1


def test_a_work_type_of_the_firms_own_is_configured(tmp_path: Path) -> None:
    text = changed(NORTHWIND, "work_types:\n", "work_types:\n  overtime: {multiplier: 2}\n")
    contract = ContractFile(write(tmp_path, "northwind", text)).for_month("2026-08")
    assert "overtime" in contract.work_type_names  # spec section 3: "any key of work_types"


@pytest.mark.parametrize("currency, expected", [
    ("usd", "'usd' (did you mean USD?)"),
    ("US$", "'US$'"),
    ("dollars", "'dollars'"),
    ("840", "840"),
])
def test_currency_is_an_iso_4217_shaped_code(tmp_path: Path, currency: str, expected: str) -> None:
    text = changed(GLOBEX, "currency: USD", f"currency: {currency}")
    assert problems(tmp_path, "globex", text) == [f"contracts/globex.yaml: {CURRENCY} {expected}"]


@pytest.mark.parametrize("currency, expected", [
    ("JPY", "JPY has 0 decimal places in ISO 4217, and invoices are priced to the cent (2 decimals): bill this "
            "client in a currency with cents"),
    ("BHD", "BHD has 3 decimal places in ISO 4217, and invoices are priced to the cent (2 decimals): bill this "
            "client in a currency with cents"),
    ("ZZZ", "ZZZ is not an ISO 4217 currency code (such as USD or EUR)"),
])
def test_a_currency_without_cents_or_not_iso_is_refused(tmp_path: Path, currency: str, expected: str) -> None:
    """Found by an auditor: a JPY contract invoiced 6,499.50 JPY, a BHD rate of 33.333 billed 33.33, and ZZZ was
    invoiced as written; the spec prices to the cent."""
    text = changed(GLOBEX, "currency: USD", f"currency: {currency}")
    assert problems(tmp_path, "globex", text) == [f"contracts/globex.yaml: currency: {expected}"]
    for code in ("USD", "EUR", "GBP", "CHF", "INR", "ZAR"):
        assert ContractFile(write(tmp_path, "globex", changed(GLOBEX, "currency: USD", f"currency: {code}"))
                            ).for_month("2026-08").currency == code


@pytest.mark.parametrize("old, new, expected", [
    ("name: Globex Corporation", 'name: " Globex Corporation"', "name: has leading or trailing spaces"),
    ("name: Globex Corporation", 'name: "  "', "name: empty"),
    ("- Globex Corp\n", "- Globex Corp\n- ''\n", "aliases[1]: empty"),
    ("- Globex Corp\n", "- 'Globex Corp '\n", "aliases[0]: has leading or trailing spaces"),
    # values are shown as written, never as a Python repr such as Decimal('123')
    ("name: Globex Corporation", "name: 123", "name: must be text, got 123"),
    ("name: Globex Corporation", "name: 1.50", "name: must be text, got 1.50"),
    ("name: Globex Corporation", "name: true", "name: must be text, got true"),
    ("- Globex Corp\n", "- 2026\n", "aliases[0]: must be text, got 2026"),
    ("client: globex", "client: 123", "client: must equal the file name stem 'globex', got 123"),
])
def test_names_are_text_trimmed_and_not_empty(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert problems(tmp_path, "globex", changed(GLOBEX, old, new)) == [f"contracts/globex.yaml: {expected}"]


@pytest.mark.parametrize("client, old, new, expected", [
    ("globex", "roles:\n  partner: 420", 'roles:\n  partner: "1e308"', f"roles.partner: 1e308 {BEYOND}"),
    ("globex", "partner: 420", "partner: '99999999999999999999'", f"roles.partner: 99999999999999999999 {BEYOND}"),
    ("globex", "partner: 420", 'partner: "NaN"', "roles.partner: must be a finite number, got 'NaN'"),
    ("globex", "partner: 420", 'partner: "-Infinity"', "roles.partner: must be a finite number, got '-Infinity'"),
    ("globex", "partner: 420", "partner: 99999999999999", f"roles.partner: 99999999999999 {RATE_LIMIT}"),
    ("globex", "default_rate: 140", 'default_rate: "1000000.01"', f"default_rate: 1000000.01 {RATE_LIMIT}"),
    ("globex", "rate: 175", "rate: 5e6", f"rate_overrides[1].rate: 5000000 {RATE_LIMIT}"),
    ("globex", "terms_days: 15", 'terms_days: "99999999999999999999"', f"terms_days: 99999999999999999999 {BEYOND}"),
    ("globex", "currency: USD", 'currency: USD\nquickbooks: {exchange_rate: "1e308"}',
     f"quickbooks.exchange_rate: 1e308 {BEYOND}"),
    ("northwind", "monthly_fee: 8000", 'monthly_fee: "2e9"', f"retainer.monthly_fee: 2000000000 {AMOUNT_LIMIT}"),
    ("northwind", "multiplier: 1.5", 'multiplier: "150"',
     "work_types.rush.multiplier: 150 is above 100, the largest multiplier accepted"),
    ("initech", "amount: 12000", "amount: 1000000001", f"caps[1].amount: 1000000001 {AMOUNT_LIMIT}"),
    ("initech", "minimum_monthly_fee: 3000", "minimum_monthly_fee: 5e9",
     f"minimum_monthly_fee: 5000000000 {AMOUNT_LIMIT}"),
    ("initech", "2026-10: 4000", "2026-10: '4e10'", f"sow.items[2].schedule.2026-10: 40000000000 {AMOUNT_LIMIT}"),
    ("globex", "markup_pct: 10", "markup_pct: 5000",
     "expenses.markup_pct: 5000 is above 1,000, the largest markup accepted"),
    ("globex", "terms_days: 15", "terms_days: 100000", "terms_days: Input should be less than or equal to 3650"),
])
def test_amounts_beyond_the_warehouse_are_refused(tmp_path: Path, client: str, old: str, new: str,
                                                  expected: str) -> None:
    text = {"globex": GLOBEX, "northwind": NORTHWIND, "initech": INITECH}[client]
    assert problems(tmp_path, client, changed(text, old, new)) == [f"contracts/{client}.yaml: {expected}"]


def test_limits_themselves_are_accepted(tmp_path: Path) -> None:
    text = changed(changed(GLOBEX, "partner: 420", 'partner: "1000000"'), "default_rate: 140", "default_rate: 1e6")
    contract = ContractFile(write(tmp_path, "globex", text)).for_month("2026-08")
    assert (contract.roles["partner"], contract.default_rate) == (1_000_000, 1_000_000)
    ContractFile(write(tmp_path, "initech", changed(INITECH, "amount: 12000", 'amount: "1_000_000_000"')))




def test_numeric_client_is_told_to_quote_it(tmp_path: Path) -> None:
    text = changed(GLOBEX, "client: globex", "client: 123")
    assert problems(tmp_path, "123", text) == [
        "contracts/123.yaml: client: must equal the file name stem '123', got 123 (quote it: client: \"123\")"]


def test_several_problems_are_all_listed(tmp_path: Path) -> None:
    text = changed(changed(changed(GLOBEX, "currency: USD", "currency: usd"), "Ana Souza: partner",
                           "Ana Souza: partnr"), "name: Globex Corporation", 'name: "Globex Corporation "')
    assert problems(tmp_path, "globex", text) == [
        "contracts/globex.yaml: name: has leading or trailing spaces",
        f"contracts/globex.yaml: {CURRENCY} 'usd' (did you mean USD?)"]


def test_every_golden_and_demo_contract_still_loads() -> None:
    paths = sorted(GOLDEN.glob("*/contracts/*.y*ml")) + sorted((ROOT / "demo_firm" / "contracts").glob("*.y*ml"))
    assert len(paths) >= 15
    for path in paths:
        ContractFile(path)  # raises ContractError naming the problem


def test_a_contract_saved_with_an_upper_case_extension_is_read(tmp_path: Path) -> None:
    from billing_assets.core.contract import contract_paths

    (tmp_path / "contracts").mkdir(exist_ok=True)
    (tmp_path / "contracts" / "globex.YAML").write_text(GLOBEX)  # Windows tools; before, its time billed nobody
    assert {client: [p.name for p in paths] for client, paths in contract_paths(tmp_path / "contracts").items()} == {
        "globex": ["globex.YAML"]}
