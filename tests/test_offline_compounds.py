"""Clients whose SOW is not in English: compound words (German, Dutch, Scandinavian) split into the parts the client's
own texts use, so "Lohnabrechnung" in a note meets "Lohn- und Gehaltsabrechnung" in the SOW; and a word's other
ending ("Anforderungen" / "Anforderung") read as the same word."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing_assets.core.classifier_api import ClassifyRequest, ClientContext, SowItemInfo
from billing_assets.core.model import TimeEntry
from billing_assets.core.offline_classifier import OfflineClassifier
from billing_assets.core.offline_compounds import compound_splitter, sow_language
from billing_assets.core.offline_items import correct_typos
from billing_assets.core.offline_text import featurize

PAYROLL_DE = ("Lohn- und Gehaltsabrechnung. Monatliche Entgeltabrechnung für alle Mitarbeiter, Meldungen zur "
              "Sozialversicherung und Bescheinigungen für die Mitarbeiter.")
ACCOUNTS_DE = ("Jahresabschluss. Erstellung des Jahresabschlusses mit Anlagenspiegel, Bewertung der Vorräte und "
               "Rückstellungen für die Gesellschaft.")
AUDIT_DE = ("Betriebsprüfung. Begleitung der Außenprüfung des Finanzamts, Beantwortung der Anforderungen des "
            "Prüfers und Schlussbesprechung.")
FORESTRY_SV = ("Avverkning och anmälan. Planering av avverkning för bolaget och anmälan till Skogsstyrelsen, "
               "med kartor och samråd med markägare.")
PENSION_NL = ("Pensioenregeling. Advies over de regeling en de premie voor de werknemers van de onderneming, "
              "met de berekening van de dekkingsgraad.")


def test_only_a_sow_written_in_a_compounding_language_is_split():
    assert sow_language([PAYROLL_DE, ACCOUNTS_DE]) == "de"
    assert sow_language([FORESTRY_SV]) == "sv"
    assert sow_language([PENSION_NL]) == "nl"
    assert sow_language(["Payroll. Monthly payroll for all staff and the returns for the tax office."]) == "en"
    assert sow_language(["Nóminas. Cálculo de las nóminas de la empresa y los seguros sociales para la "
                         "plantilla, con el resumen para la dirección."]) == "es"
    assert sow_language(["Paie. Calcul de la paie des salariés et les déclarations sociales pour la société."]) == "fr"
    assert compound_splitter(["Payroll. Monthly payroll for the staff of the company."], ["payroll run"]) is None


def test_a_note_compound_is_split_into_parts_the_sow_uses():
    splitter = compound_splitter([PAYROLL_DE, ACCOUNTS_DE, AUDIT_DE], ["Lohnabrechnung Oktober erstellt"])
    assert splitter is not None
    # "abrechnung" is the head that "Gehaltsabrechnung" and "Entgeltabrechnung" share; "lohn" a SOW word
    assert splitter.split("Lohnabrechnung") == ["lohn", "abrechnung"]
    # both parts are words of the SOW ("Prüfers", "Anforderungen"), in other inflections
    assert splitter.split("Prüferanforderung") == ["prüfer", "anforderung"]
    # a known head with a modifier that is no word of these texts ("gehalts") is not split: a part must be known
    assert splitter.split("Gehaltsabrechnung") == []
    assert splitter.expand("Lohnabrechnung 10/2026") == "Lohnabrechnung lohn abrechnung 10/2026"


def test_a_linking_element_is_dropped_from_the_modifier():
    splitter = compound_splitter([PAYROLL_DE + " Fragen zum Gehalt.", ACCOUNTS_DE], [])
    assert splitter is not None
    assert splitter.split("Gehaltsabrechnung") == ["gehalt", "abrechnung"]
    assert splitter.split("Jahresabschlusses") == []  # "jahr" is no word here, "abschlusses" no shared head


def test_short_words_and_words_without_a_known_head_stay_whole():
    splitter = compound_splitter([PAYROLL_DE, ACCOUNTS_DE], [])
    assert splitter is not None
    assert splitter.split("Vorräte") == []  # shorter than a compound
    assert splitter.split("Kaffeemaschine") == []  # neither part is a word of these texts
    assert splitter.expand("Telefonat mit Herrn Maier") == "Telefonat mit Herrn Maier"


def test_swedish_and_dutch_compounds():
    sv = compound_splitter([FORESTRY_SV], ["Avverkningsanmälan skickad"])
    assert sv is not None and sv.split("Avverkningsanmälan") == ["avverkning", "anmälan"]
    nl = compound_splitter([PENSION_NL], ["Premieberekening 2027 nagelopen"])
    assert nl is not None and nl.split("Premieberekening") == ["premie", "berekening"]


def _entry(notes: str, day: int, entry_id: str) -> TimeEntry:
    return TimeEntry(entry_id=entry_id, source="harvest_csv", source_file="time.csv", source_row=day,
                     date=date(2026, 10, day), client_name="Feinmechanik GmbH", project="Mandat", project_code="",
                     task="Beratung", notes=notes, hours=Decimal("1.5"), billable=True, person="Anna Vogt")


def test_the_classifier_reads_a_note_compound_through_its_parts():
    items = (SowItemInfo("L1", "Lohn- und Gehaltsabrechnung", PAYROLL_DE.split(". ", 1)[1]),
             SowItemInfo("J1", "Jahresabschluss", ACCOUNTS_DE.split(". ", 1)[1]),
             SowItemInfo("P1", "Betriebsprüfung", AUDIT_DE.split(". ", 1)[1]))
    context = ClientContext("feinmechanik", "Feinmechanik GmbH", items, ("standard", "rush"), "v1")
    notes = ["Lohnabrechnung Oktober, zwei Eintritte", "Prüferanforderung Nr. 4 zusammengestellt"]
    requests = [ClassifyRequest(entry=_entry(n, 5 + i, f"e{i}"), need_sow_item=True, need_work_type=True)
                for i, n in enumerate(notes)]
    suggestions, _ = OfflineClassifier().classify(context, requests)
    assert [s.sow_item for s in suggestions] == ["L1", "P1"]
    assert "matched" in suggestions[0].rationale and "abrechnung" in suggestions[0].rationale
    assert "anforderung" in suggestions[1].rationale or "prüfer" in suggestions[1].rationale


def test_the_sow_language_is_told_by_its_function_words():
    assert sow_language([PAYROLL_DE, ACCOUNTS_DE]) == "de"
    assert sow_language([PENSION_NL]) == "nl"
    assert sow_language([FORESTRY_SV]) == "sv"
    assert sow_language(["Nóminas. Cálculo de las nóminas de la empresa y los seguros sociales para la plantilla."]) \
        == "es"
    assert sow_language(["Paie. Calcul de la paie des salariés et les déclarations sociales pour la société."]) == "fr"
    assert sow_language(["Payroll. Monthly payroll for the staff and the returns for the tax office."]) == "en"
    assert sow_language(["Design"]) == "en"  # too few words to tell
    assert sow_language(["Die Datei für den Kunden: the plan of the site"]) == "en"  # 3 and 3: a tie is English


def test_another_ending_of_an_sow_word_is_read_as_that_word_when_the_sow_is_not_in_english():
    vocab = frozenset({"anforderung", "bewertung", "wynagrodzenia"})
    note = featurize("Anforderungen beantwortet, wynagrodzeń sprawdzone")
    read = correct_typos(note, vocab, inflected=True)
    assert read["anforderung"] > 0 and read["wynagrodzenia"] > 0
    assert "anforderungen" not in read
    plain = correct_typos(note, vocab)  # an English SOW: the English stemmer's reading only
    assert plain["anforderung"] == 0 and "anforderungen" in plain
    # two SOW words equally close: neither is chosen
    assert "anforderungen" in correct_typos(featurize("Anforderungen"), frozenset({"anforderung", "anforderungs"}),
                                            inflected=True)
