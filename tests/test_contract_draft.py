"""`billing contract draft`: three SOW styles (an engagement letter as .txt, an agency SOW as .docx, a consulting SOW
as .pdf, the last two written by hand in the test) read through the real anthropic SDK against the emulator's
draft mode; every value checked against its quote, a hallucinated number and a wrong quote dropped, the result
validated by the contract model, and the draft never loaded as a contract."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from billing_assets.cli import main
from billing_assets.core.contract import ContractFile, contract_paths, load_contracts
from billing_assets.core.contract_draft import Fact, check_fact
from billing_assets.core.documents import DocumentError, document_text
from tests.documents import write_docx, write_pdf
from tests.emulators.anthropic_server import AnthropicEmulator

SOWS = Path(__file__).parent / "fixtures" / "sows"
D = Decimal

LETTER_RATES = ("Our rates are: partners $650 per hour; senior associates $475 per hour; associates $395 per "
                "hour; paralegals $210 per hour.")
LETTER_RETAINER = ("Brightwater will pay a monthly retainer of $12,500, which covers up to 40 hours of professional "
                   "time each month.")
LETTER_ROLLOVER = ("Up to 10 unused retainer hours roll over to the following month and expire 2 months after the "
                   "month in which they arose.")
LETTER = [
    {"key": "name", "value": "Brightwater Logistics Inc.",
     "quote": 'to represent Brightwater Logistics Inc. ("Brightwater")'},
    {"key": "currency", "value": "USD", "quote": "Invoices are issued in US dollars"},
    {"key": "terms_days", "value": "30",
     "quote": "Invoices are issued in US dollars and are payable within 30 days of the invoice date."},
    {"key": "start", "value": "2026-11", "quote": "engagement, which begins in November 2026."},
    {"key": "retainer.monthly_fee", "value": "12500", "quote": LETTER_RETAINER},
    {"key": "retainer.included_hours", "value": "40", "quote": LETTER_RETAINER},
    {"key": "retainer.rollover.max_hours", "value": "10", "quote": LETTER_ROLLOVER},
    {"key": "retainer.rollover.expires_after_months", "value": "2", "quote": LETTER_ROLLOVER},
    # hallucinated: clause 3 names no multiplier
    {"key": "retainer.overage_multiplier", "value": "1.25",
     "quote": "Time beyond the hours covered by the retainer is billed at our standard hourly rates below."},
    {"key": "roles.partner", "value": "650", "quote": LETTER_RATES},
    {"key": "roles.senior_associate", "value": "475", "quote": LETTER_RATES},
    {"key": "roles.associate", "value": "395", "quote": LETTER_RATES},
    {"key": "roles.paralegal", "value": "210", "quote": LETTER_RATES},
    {"key": "people.Eleanor Pike", "value": "partner", "quote": "Eleanor Pike will serve as the responsible partner"},
    {"key": "people.Marcus Chen", "value": "senior_associate", "quote": "assisted by Marcus Chen, senior associate."},
]
AGENCY = [
    {"key": "name", "value": "Fernhill Outdoor Gear Ltd", "quote": 'and Fernhill Outdoor Gear Ltd ("Client")'},
    {"key": "currency", "value": "GBP", "quote": "All amounts are in pounds sterling (GBP)."},
    # a wrong quote: the SOW says "Invoices are due 45 days after issue."
    {"key": "terms_days", "value": "45", "quote": "Payment is due within 45 days."},
    {"key": "start", "value": "2027-01", "quote": "Term: January 2027 through June 2027."},
    {"key": "end", "value": "2027-06", "quote": "Term: January 2027 through June 2027."},
    {"key": "roles.designer", "value": "140", "quote": "billed at £140 per hour for designers"},
    {"key": "roles.creative_director", "value": "185", "quote": "£185 per hour for creative directors"},
    {"key": "sow.items.0.id", "value": "A1", "quote": "A1 Brand strategy and positioning"},
    {"key": "sow.items.0.name", "value": "Brand strategy and positioning",
     "quote": "A1 Brand strategy and positioning"},
    {"key": "sow.items.0.billing", "value": "fixed_fee",
     "quote": "A1 Brand strategy and positioning: fixed fee of £18,000, invoiced in January 2027."},
    {"key": "sow.items.0.schedule.2027-01", "value": "18000",
     "quote": "A1 Brand strategy and positioning: fixed fee of £18,000, invoiced in January 2027."},
    {"key": "sow.items.1.id", "value": "A2", "quote": "A2 Visual identity system"},
    {"key": "sow.items.1.name", "value": "Visual identity system", "quote": "A2 Visual identity system"},
    {"key": "sow.items.1.billing", "value": "fixed_fee", "quote": "A2 Visual identity system: fixed fee of £24,000"},
    {"key": "sow.items.1.schedule.2027-03", "value": "24000",
     "quote": "A2 Visual identity system: fixed fee of £24,000, invoiced in March 2027."},
    {"key": "sow.items.2.id", "value": "A3", "quote": "A3 Campaign production support: billed hourly"},
    {"key": "sow.items.2.name", "value": "Campaign production support",
     "quote": "A3 Campaign production support: billed hourly"},
    {"key": "sow.items.2.billing", "value": "hourly", "quote": "A3 Campaign production support: billed hourly"},
    {"key": "caps.0.name", "value": "A3 not-to-exceed",
     "quote": "Fees for Campaign production support (A3) shall not exceed £30,000 over the life of this SOW."},
    {"key": "caps.0.sow_item", "value": "A3",
     "quote": "Fees for Campaign production support (A3) shall not exceed £30,000 over the life of this SOW."},
    {"key": "caps.0.period", "value": "lifetime",
     "quote": "Fees for Campaign production support (A3) shall not exceed £30,000 over the life of this SOW."},
    {"key": "caps.0.amount", "value": "30000",
     "quote": "Fees for Campaign production support (A3) shall not exceed £30,000 over the life of this SOW."},
]
CONSULTING = [
    {"key": "name", "value": "Calder Mutual Insurance Company", "quote": "Client: Calder Mutual Insurance Company"},
    {"key": "start", "value": "2027-02", "quote": "Effective: February 2027"},
    {"key": "currency", "value": "USD", "quote": "Invoices are issued monthly in USD, payable net 30."},
    {"key": "terms_days", "value": "30", "quote": "Invoices are issued monthly in USD, payable net 30."},
    {"key": "roles.principal", "value": "260", "quote": "principal $260/hour"},
    {"key": "roles.senior_consultant", "value": "210", "quote": "senior consultant $210/hour"},
    {"key": "roles.consultant", "value": "165", "quote": "consultant $165/hour."},
    {"key": "tiers.0.from_hours", "value": "120", "quote": "Hours beyond 120 in a calendar month are billed at 90% "
                                                           "of the rates above"},
    {"key": "tiers.0.factor", "value": "0.90", "quote": "Hours beyond 120 in a calendar month are billed at 90% of "
                                                        "the rates above"},
    {"key": "tiers.1.from_hours", "value": "200", "quote": "hours beyond 200 in a calendar month are billed at 80% "
                                                           "of the rates above."},
    {"key": "tiers.1.factor", "value": "0.80", "quote": "hours beyond 200 in a calendar month are billed at 80% of "
                                                        "the rates above."},
    {"key": "expenses.markup_pct", "value": "12",
     "quote": "re-billed at cost plus a 12% handling fee."},
    {"key": "caps.0.name", "value": "Monthly cap", "quote": "Monthly cap. Total fees in any calendar month"},
    {"key": "caps.0.period", "value": "month", "quote": "Total fees in any calendar month will not exceed $48,000."},
    {"key": "caps.0.amount", "value": "48000", "quote": "Total fees in any calendar month will not exceed $48,000."},
]


@pytest.fixture
def draft_home(billing_env, monkeypatch: pytest.MonkeyPatch):
    """An empty billing home and the Anthropic emulator as ANTHROPIC_BASE_URL (with its key)."""
    home = billing_env()
    with AnthropicEmulator() as emu:
        monkeypatch.setenv("ANTHROPIC_API_KEY", emu.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", emu.base_url)
        yield home, emu


def contract_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_engagement_letter_as_text_drops_the_hallucinated_number(draft_home, capsys) -> None:
    home, claude = draft_home
    claude.script_draft("HARGROVE & PIKE LLP", LETTER)
    assert main(["contract", "draft", str(SOWS / "hargrove_engagement_letter.txt"), "--client", "brightwater"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:3] == [
        "contracts/brightwater.draft.yaml written from hargrove_engagement_letter.txt: 14 value(s), each under the "
        "clause it came from",
        "dropped 1:",
        "  retainer.overage_multiplier = '1.25': the number 1.25 is not in its quote"]
    assert "contract model: 0 problem(s)" in out
    draft = home / "contracts" / "brightwater.draft.yaml"
    text = draft.read_text()
    assert text.startswith("# DRAFT contract for brightwater, written by `billing contract draft` from "
                           "hargrove_engagement_letter.txt on ")
    assert "# NOT USED BY THE CLOSE: only contracts/brightwater.yaml is loaded, never *.draft.yaml." in text
    assert f'  # "{LETTER_RETAINER}"\n  monthly_fee: 12500\n' in text  # the clause spans two lines of the letter
    data = contract_of(draft)
    assert data["retainer"] == {"monthly_fee": 12500, "included_hours": 40,
                                "rollover": {"max_hours": 10, "expires_after_months": 2}}
    assert data["roles"] == {"partner": 650, "senior_associate": 475, "associate": 395, "paralegal": 210}
    assert data["people"] == {"Eleanor Pike": "partner", "Marcus Chen": "senior_associate"}
    assert (data["client"], data["name"], data["currency"], data["terms_days"], data["start"]) == (
        "brightwater", "Brightwater Logistics Inc.", "USD", 30, "2026-11")

    # the draft is never a contract: the loader skips it; saved as <client>.yaml it loads as is
    assert contract_paths(home / "contracts") == {} and load_contracts(home / "contracts") == ({}, {})
    saved = home / "contracts" / "brightwater.yaml"
    saved.write_text(text)
    contract = ContractFile(saved).for_month("2026-11")
    assert contract.retainer.monthly_fee == D("12500") and contract.roles["partner"] == D("650")
    assert list(contract_paths(home / "contracts")) == ["brightwater"]

    request = claude.message_requests()[-1].body
    assert request["output_config"]["format"]["type"] == "json_schema"
    assert request["output_config"]["format"]["schema"]["properties"]["facts"]["items"]["required"] == [
        "key", "value", "quote"]
    assert "HARGROVE & PIKE LLP" in request["messages"][0]["content"] and "quote" in request["system"]


def test_agency_sow_as_docx_drops_a_quote_not_in_the_document(draft_home, tmp_path, capsys) -> None:
    home, claude = draft_home
    sow = write_docx(tmp_path / "lumen_sow.docx", (SOWS / "lumen_sow.md").read_text().split("\n\n"))
    claude.script_draft("Statement of Work No. 3", AGENCY)
    assert main(["contract", "draft", str(sow), "--client", "fernhill"]) == 0
    out = capsys.readouterr().out
    assert "dropped 1:\n  terms_days = '45': its quote is not in the document\n" in out
    assert "contract model: 0 problem(s)" in out
    data = contract_of(home / "contracts" / "fernhill.draft.yaml")
    assert "terms_days" not in data and (data["currency"], data["start"], data["end"]) == ("GBP", "2027-01", "2027-06")
    assert data["sow"]["items"] == [
        {"id": "A1", "name": "Brand strategy and positioning", "billing": "fixed_fee", "schedule": {"2027-01": 18000}},
        {"id": "A2", "name": "Visual identity system", "billing": "fixed_fee", "schedule": {"2027-03": 24000}},
        {"id": "A3", "name": "Campaign production support", "billing": "hourly"}]
    assert data["caps"] == [{"name": "A3 not-to-exceed", "sow_item": "A3", "period": "lifetime", "amount": 30000}]


def test_consulting_sow_as_pdf_lists_the_contract_model_problems(draft_home, tmp_path, capsys) -> None:
    home, claude = draft_home
    sow = write_pdf(tmp_path / "northbeam_sow.pdf", (SOWS / "northbeam_sow.txt").read_text().splitlines())
    claude.script_draft("NORTHBEAM ANALYTICS", CONSULTING)
    assert main(["contract", "draft", str(sow), "--client", "calder"]) == 0
    out = capsys.readouterr().out
    assert "northbeam_sow.pdf: 15 value(s)" in out and "dropped 0\n" in out
    assert ("contract model: 1 problem(s):\n  contracts/calder.yaml: tiers[0].from_hours: tiers must start "
            "at 0") in out
    text = (home / "contracts" / "calder.draft.yaml").read_text()
    assert ("# Contract model problems (1):\n#   - contracts/calder.yaml: tiers[0].from_hours: tiers must "
            "start at 0\n") in text
    data = contract_of(home / "contracts" / "calder.draft.yaml")
    assert data["tiers"] == [{"from_hours": 120, "factor": 0.9}, {"from_hours": 200, "factor": 0.8}]
    assert data["expenses"] == {"markup_pct": 12} and data["caps"][0]["amount"] == 48000
    assert ('    # "hours beyond 200 in a calendar month are billed at 80% of the rates above."\n'
            '    factor: 0.80') in text


def test_without_a_key_the_command_says_what_it_needs(billing_env, monkeypatch, capsys) -> None:
    home = billing_env()
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    assert main(["contract", "draft", str(SOWS / "northbeam_sow.txt"), "--client", "calder"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("billing contract draft: needs ANTHROPIC_API_KEY") and err.count("\n") == 1
    assert not (home / "contracts" / "calder.draft.yaml").exists()


def test_an_existing_draft_is_kept_unless_forced(draft_home, capsys) -> None:
    home, claude = draft_home
    draft = home / "contracts" / "calder.draft.yaml"
    draft.write_text("# my edits\n")
    claude.script_draft("NORTHBEAM ANALYTICS", CONSULTING)
    sow = str(SOWS / "northbeam_sow.txt")
    assert main(["contract", "draft", sow, "--client", "calder"]) == 1
    assert capsys.readouterr().err == ("billing contract draft: contracts/calder.draft.yaml exists; review it, or "
                                       "pass --force to replace it\n")
    assert draft.read_text() == "# my edits\n" and not claude.message_requests()
    assert main(["contract", "draft", sow, "--client", "calder", "--force"]) == 0
    assert draft.read_text().startswith("# DRAFT contract for calder")
    assert main(["contract", "draft", str(home / "missing.pdf"), "--client", "other"]) == 1
    assert "missing.pdf: no such file" in capsys.readouterr().err


def test_fact_checks() -> None:
    doc = "The fee is $1,250.50 per month from March 2027.\nPartners bill at 95% of\nthe list rate."
    assert check_fact(Fact("minimum_monthly_fee", "1250.50", "The fee is $1,250.50 per month"), doc) is None
    assert check_fact(Fact("minimum_monthly_fee", "1250", "The fee is $1,250.50 per month"), doc) == \
        "the number 1250 is not in its quote"
    assert check_fact(Fact("tiers.0.factor", "0.95", "Partners bill at 95% of the list rate."), doc) is None
    assert check_fact(Fact("start", "2027-03", "per month from March 2027."), doc) is None
    assert check_fact(Fact("start", "2027-04", "per month from March 2027."), doc) == \
        "the month 2027-04 is not in its quote"
    assert check_fact(Fact("rollover", "3", "The fee is"), doc) == \
        "'rollover' is not a contract key this command writes"
    assert check_fact(Fact("name", "Acme 2", "The fee is"), doc) == "the number 2 is not in its quote"


def test_names_roles_and_items_must_be_in_their_quote() -> None:
    """A person, a role, a client name, an SOW item or a rush keyword the quote does not name is dropped: a
    person given another's role would bill that role's rate once the draft is saved."""
    doc = ("Eleanor Pike will serve as the responsible partner, assisted by Marcus Chen, senior associate. Our rates: "
           "partners $650; senior associates $475; paralegals $210. A1 Brand strategy and positioning. Work marked "
           "URGENT is rush work. Client: Brightwater Logistics Inc.")
    stands = [Fact("people.Eleanor Pike", "partner", "Eleanor Pike will serve as the responsible partner"),
              Fact("people.Marcus Chen", "senior_associate", "assisted by Marcus Chen, senior associate."),
              Fact("roles.senior_associate", "475", "senior associates $475;"),
              Fact("roles.paralegal", "210", "paralegals $210."),
              Fact("sow.items.0.name", "Brand strategy and positioning", "A1 Brand strategy and positioning."),
              Fact("sow.items.0.id", "A1", "A1 Brand strategy and positioning."),
              Fact("rush_keywords.0", "urgent", "Work marked URGENT is rush work."),
              Fact("name", "Brightwater Logistics Inc.", "Client: Brightwater Logistics Inc."),
              Fact("currency", "USD", "Client: Brightwater Logistics Inc."),  # an enumeration: not checked
              Fact("caps.0.name", "Monthly cap", "A1 Brand strategy and positioning.")]  # a label: not checked
    assert [check_fact(f, doc) for f in stands] == [None] * len(stands)
    assert check_fact(Fact("people.Marcus Chen", "partner", "assisted by Marcus Chen, senior associate."), doc) == \
        "'partner' is not in its quote"
    assert check_fact(Fact("people.Dana Wu", "partner", "Eleanor Pike will serve as the responsible partner"),
                      doc) == "'Dana Wu' is not in its quote"
    assert check_fact(Fact("roles.counsel", "650", "partners $650;"), doc) == "'counsel' is not in its quote"
    assert check_fact(Fact("sow.items.0.name", "Brand identity", "A1 Brand strategy and positioning."), doc) == \
        "'Brand identity' is not in its quote"
    assert check_fact(Fact("rush_keywords.0", "asap", "Work marked URGENT is rush work."), doc) == \
        "'asap' is not in its quote"


def test_unreadable_documents_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "letter.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(DocumentError, match=r"^letter\.docx: cannot read it as docx"):
        document_text(bad)
    with pytest.raises(DocumentError, match=r"^letter\.rtf: not a document this reads"):
        document_text(tmp_path / "letter.rtf")
    empty = write_pdf(tmp_path / "scan.pdf", [])
    with pytest.raises(DocumentError, match=r"^scan\.pdf: no text in it"):
        document_text(empty)


def test_a_key_with_a_line_break_is_dropped_and_no_model_text_leaves_its_line(draft_home, tmp_path, capsys) -> None:
    home, claude = draft_home
    doc = tmp_path / "inj.txt"
    doc.write_text("INJ CORP engagement. Invoices are issued in US dollars.\nClient: Inj Corp x: 1. Role yes: 1.\n")
    claude.script_draft("INJ CORP", [
        {"key": "currency", "value": "USD", "quote": "Invoices are issued in US dollars"},
        {"key": "name", "value": "Inj Corp\u2028x: 1", "quote": "Client: Inj Corp x: 1."},  # kept, escaped
        {"key": "people.Eve\ndefault_rate: 999\n#", "value": "partner", "quote": "not in the doc"},
        {"key": "people.Mal\u2029terms_days: 1", "value": "partner", "quote": "Client: Inj Corp x: 1."},
        {"key": "roles.yes", "value": "1", "quote": "Role yes: 1."}])
    assert main(["contract", "draft", str(doc), "--client", "inj"]) == 0
    text = (home / "contracts" / "inj.draft.yaml").read_text()
    header, body = text.split("\n\n", 1)
    assert all(line.startswith("# ") for line in header.split("\n"))
    assert ("#   - 'people.Eve\\ndefault_rate: 999\\n#' = 'partner': the key holds a line break or control "
            "character\n") in text
    assert "#   - 'people.Mal\\u2029terms_days: 1' = 'partner': the key holds a line break or control character\n" \
        in text
    assert "#   - 'currency'" not in text  # kept
    # every line of the body is a comment or a line of the YAML the kept facts make (no line break of model text)
    assert [line for line in body.splitlines() if not line.lstrip().startswith("# ")] == [
        'client: "inj"', 'currency: "USD"', 'name: "Inj Corp\\u2028x: 1"', "roles:", '  "yes": 1']
    assert contract_of(home / "contracts" / "inj.draft.yaml") == {
        "client": "inj", "currency": "USD", "name": "Inj Corp\u2028x: 1", "roles": {"yes": 1}}
    assert check_fact(Fact("roles.partner\r", "650", "x"), "x") == "the key holds a line break or control character"


def test_a_cp1252_text_is_read_with_a_note_and_neither_is_one_line(draft_home, tmp_path, capsys) -> None:
    home, claude = draft_home
    letter = (SOWS / "hargrove_engagement_letter.txt").read_text(encoding="utf-8")
    sow = tmp_path / "letter_cp1252.txt"
    sow.write_bytes((letter + "\nFees are quoted in pounds (\u00a3) for the caf\u00e9 team.\n").encode("cp1252"))
    claude.script_draft("HARGROVE & PIKE LLP", LETTER)
    assert main(["contract", "draft", str(sow), "--client", "brightwater"]) == 0
    assert "14 value(s)" in capsys.readouterr().out
    text = (home / "contracts" / "brightwater.draft.yaml").read_text()
    assert ("# letter_cp1252.txt is not UTF-8 (byte 0xa3 at offset " in text
            and "): read as Windows-1252 (cp1252); check its accented letters and currency signs\n" in text)
    assert "pounds (\u00a3) for the caf\u00e9 team" in claude.message_requests()[-1].body["messages"][0]["content"]
    assert contract_of(home / "contracts" / "brightwater.draft.yaml")["retainer"]["monthly_fee"] == 12500

    neither = tmp_path / "neither.txt"
    neither.write_bytes(b"Fees \x81\x90 in neither")
    assert main(["contract", "draft", str(neither), "--client", "other"]) == 1
    assert capsys.readouterr().err == ("billing contract draft: neither.txt: neither UTF-8 nor Windows-1252 (cp1252) "
                                       "text (byte 0x81 at offset 5 is in neither); save it as UTF-8 text\n")
    assert not (home / "contracts" / "other.draft.yaml").exists()


def test_numbers_that_skip_keep_each_value_under_its_own_quote() -> None:
    """The reader numbered the caps 0 and 2 and the rush keywords 1 and 3: the draft lists them in order, and each
    value is written under the clause it was quoted from, never its neighbour's."""
    from datetime import date

    from billing_assets.core.contract_draft import draft_contract

    cap_a, cap_b = "Design work will not exceed $5,000 in any month.", "Build work is capped at $9,000 in total."
    rush_a, rush_b = "Work marked urgent is rush work.", "Weekend work (ASAP) is billed as rush."
    doc = " ".join(["Rates: $150 per hour.", cap_a, cap_b, rush_a, rush_b])
    facts = [Fact("default_rate", "150", "Rates: $150 per hour."),
             Fact("caps.2.name", "build", cap_b), Fact("caps.2.period", "lifetime", cap_b),
             Fact("caps.2.amount", "9000", cap_b),
             Fact("caps.0.name", "design", cap_a), Fact("caps.0.period", "month", cap_a),
             Fact("caps.0.amount", "5000", cap_a),
             Fact("rush_keywords.3", "ASAP", rush_b), Fact("rush_keywords.1", "urgent", rush_a)]
    draft = draft_contract("acme", "sow.txt", doc, facts, date(2026, 11, 28))
    assert draft.dropped == []
    data = yaml.safe_load(draft.text)
    assert [c["amount"] for c in data["caps"]] == [5000, 9000]
    assert data["rush_keywords"] == ["urgent", "ASAP"]
    lines = draft.text.splitlines()

    def quote_above(value_line: str) -> str:
        at = lines.index(value_line)
        comments = []
        while lines[at - 1].lstrip().startswith("#"):
            at -= 1
            comments.insert(0, lines[at].strip()[2:])
        return " ".join(comments)

    assert quote_above("    amount: 5000") == f'"{cap_a}"'
    assert quote_above("    amount: 9000") == f'"{cap_b}"'
    assert quote_above('  - "urgent"') == f'"{rush_a}"'
    assert quote_above('  - "ASAP"') == f'"{rush_b}"'
