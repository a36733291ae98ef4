"""Work type from how a note says its timing, and SOW words that are context: the rules added after measuring the
blind rush probe (tests/fixtures/rush_probe) and classify_heldout7."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from billing_assets.core.classifier_api import ClassifyRequest, ClientContext, SowItemInfo
from billing_assets.core.model import TimeEntry
from billing_assets.core.offline_classifier import OfflineClassifier
from billing_assets.core.offline_items import build_item_bags, context_stems, correct_typos
from billing_assets.core.offline_rush import assess_rush, pressure_story
from billing_assets.core.offline_text import featurize

WORK_TYPE_THRESHOLD = 0.8  # review.min_confidence when only the work type is asked
PROBE = Path(__file__).parent / "fixtures" / "rush_probe"
PROBE2 = Path(__file__).parent / "fixtures" / "rush_probe2"
PROBE3 = Path(__file__).parent / "fixtures" / "rush_probe3"


def _work_type(note: str):
    rush = assess_rush(note)
    return ("rush" if rush.is_rush else "standard"), rush.confidence, rush.rationale


@pytest.mark.parametrize("note", ["Regulator called Tuesday afternoon, pulled the policy file together for the visit",
                                  "Bank came back at 4pm with new covenant terms, re-ran the model",
                                  "CFO phoned this morning about the board pack, revised the bridge",
                                  "Kunde hat am Nachmittag angerufen, Angebot überarbeitet"])
def test_who_outside_and_when_without_a_cue_is_a_reviewers_call(note):
    """Someone outside the team and a time, with no cue that reads either way: how the work came about, which is where
    squeezed timing is said in words no cue list has. Held with the reviewer's question, never a confident standard."""
    work_type, confidence, rationale = _work_type(note)
    assert work_type == "standard" and confidence < WORK_TYPE_THRESHOLD
    who, when = pressure_story(note)
    assert rationale == f"standard or rush? (the note says who and when: {who}, {when})"


@pytest.mark.parametrize("note", ["Client pushed the workshop to next week, rescheduled invites and room",
                                  "Board meeting postponed to November, updated the pack timeline",
                                  "Riunione spostata alla prossima settimana su richiesta del cliente",
                                  "Sun: planned maintenance window with the client's IT, patched hypervisors",
                                  "Comments due 5pm today per the deal timetable, sent markup to the client",
                                  "Prep for tomorrow's steering committee, updated RAID log",
                                  "cut the client summary down by 3 pages",
                                  "Checked overnight batch logs, payroll run completed OK",  # a nightly run
                                  "Early morning call with the US client as usual, weekly sync",
                                  "moved the archive to SharePoint, storing the scans by matter",
                                  "Call w/ client Tues re scope",  # a weekday names a meeting's day
                                  "weekly call with the client this morning"])  # a recurring slot
def test_a_later_time_a_plan_or_an_event_is_a_confident_standard(note):
    """A time moved later, timing that was the plan, "tomorrow's <meeting>" (when an event is, not a deadline) and a
    number of pages after "by" are not squeezed timing."""
    work_type, confidence, _ = _work_type(note)
    assert (work_type, confidence) == ("standard", 0.97)


@pytest.mark.parametrize("note", ["client wanted it live by lunch, set up the promo codes",
                                  "hearing preponed to Monday, prepared written submissions",
                                  "tender closing date moved forward to Friday, finalised the method statement",
                                  "Acquirer wants the adjustments by the morning, reworked the EBITDA bridge",
                                  "tenant needs our comments before 3 so they can exchange",
                                  "site client en panne, correctif déployé en production à 22h",
                                  "investors want it in hand before tomorrow's close, reworked the cap table",
                                  "Finanzamt will die Belege bis Freitag statt Monatsende, zusammengestellt",
                                  "venue cancelled on us 3 days out, rebooked AV and catering"])
def test_squeezed_timing_said_in_other_words_is_rush(note):
    work_type, confidence, _ = _work_type(note)
    assert work_type == "rush" and confidence >= WORK_TYPE_THRESHOLD


@pytest.mark.parametrize("note", ["Hearing listed at short notice, prepared the bundle",
                                  "pulled the launch in by a week, reshot the product images",
                                  "reply due Wed on the show cause notice, drafted annexures",
                                  "Hacienda da 5 días hábiles para contestar el requerimiento, alegaciones",
                                  "Server beim Kunden ausgefallen, Vor-Ort-Einsatz bis 23 Uhr"])
def test_part_of_a_squeeze_is_held(note):
    work_type, confidence, _ = _work_type(note)
    assert work_type == "standard" and confidence < WORK_TYPE_THRESHOLD


@pytest.mark.parametrize(("english", "other"), [("final draft today", "Endfassung heute"),
                                                 ("final draft today", "version finale aujourd'hui"),
                                                 ("final draft today", "versión final hoy"),
                                                 ("final draft today", "versione finale oggi"),
                                                 ("final draft today", "versão final hoje"),
                                                 ("final draft today", "definitieve versie vandaag"),
                                                 ("final draft today", "wersja końcowa dziś"),
                                                 ("final draft tomorrow", "version finale demain"),
                                                 ("deployment overnight", "déploiement toute la nuit"),
                                                 ("mockups, worked the weekend", "maquettes, travaillé le week-end"),
                                                 ("mockups, worked the weekend", "Entwürfe, am Wochenende gearbeitet"),
                                                 ("mockups, worked saturday", "Entwürfe, am Samstag gearbeitet"),
                                                 ("mockups sent at midnight", "maquetas enviadas a medianoche")])
def test_a_time_reads_the_same_in_every_language(english, other):
    """"heute", "aujourd'hui", "hoy"... weigh as "today" does, and the weekend, Saturday and midnight as in English:
    a German note was a confident standard where the same English note is held."""
    assert assess_rush(other).score == assess_rush(english).score > 0
    assert _work_type(other)[:2] == _work_type(english)[:2]


def _probe(name: str, folder: Path = PROBE) -> Counter[tuple[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out: Counter[tuple[str, str]] = Counter()
    for row in rows:
        rush = assess_rush(row["note"])
        read = "rush" if rush.is_rush else ("held" if rush.confidence < WORK_TYPE_THRESHOLD else "standard")
        out[(row["work_type"], read)] += 1
    return out


def test_the_blind_rush_probe_as_measured():
    """200 timesheet notes a helper wrote without seeing the classifier (bench/RESULTS.md, ninth session).
    probe_a was read to write the cues above; probe_b was measured blind before (15 of its 50 rush notes a confident
    standard) and after (9), then read too (0). No standard note of either is read as rush."""
    assert _probe("probe_a") == {("rush", "rush"): 27, ("rush", "held"): 23,
                                 ("standard", "standard"): 49, ("standard", "held"): 1}
    assert _probe("probe_b") == {("rush", "rush"): 29, ("rush", "held"): 21,
                                 ("standard", "standard"): 49, ("standard", "held"): 1}


def test_the_second_blind_rush_probe_as_measured():
    """Another writer's 200 notes (bench/RESULTS.md, ninth to eleventh sessions). At the start of the eleventh session
    28 of its 100 rush notes were a confident standard (probe_c 13, probe_d 15). probe_c was then read to write the
    short-window, moved-earlier and skipped-step cues; probe_d, unread, went from 15 to 8, most of it from the story
    rules (a note that says why the work came up, or opens with what happened to someone else). Then probe_d was read
    too (a short window as "a 5-day clock", "to Tues from end of month", "'s nachts", "no mesmo dia"): 5."""
    assert _probe("probe_c", PROBE2) == {("rush", "rush"): 21, ("rush", "held"): 29,
                                         ("standard", "standard"): 49, ("standard", "held"): 1}
    assert _probe("probe_d", PROBE2) == {("rush", "rush"): 24, ("rush", "held"): 21, ("rush", "standard"): 5,
                                         ("standard", "standard"): 47, ("standard", "held"): 2,
                                         ("standard", "rush"): 1}


def test_the_third_blind_rush_probe_as_measured():
    """A third writer's 200 notes, 83 of its 100 rush notes said without a deadline word, the standard notes written as
    near pairs of them (bench/RESULTS.md, eleventh session). With the rules of the session's start 52 rush notes were
    a confident standard (probe_e 26, probe_f 26). probe_e was read to write `what_happened`; probe_f is unread
    (13 with `offline-v10`; 12 since "set other files aside" counts as other work dropped, twelfth session)."""
    assert _probe("probe_e", PROBE3) == {("rush", "rush"): 12, ("rush", "held"): 26, ("rush", "standard"): 12,
                                         ("standard", "standard"): 50}
    assert _probe("probe_f", PROBE3) == {("rush", "rush"): 10, ("rush", "held"): 28, ("rush", "standard"): 12,
                                         ("standard", "standard"): 49, ("standard", "held"): 1}


PROBE4 = Path(__file__).parent / "fixtures" / "rush_probe4"


def test_the_fourth_blind_rush_probe_as_measured():
    """A fourth writer's 200 notes, terse ("VAT recon + schedules, HMRC visit brought to Thurs"), written after the
    story rules and measured once (bench/RESULTS.md, eleventh session): 35 of 100 rush notes a confident standard with
    the rules of the session's start, 32 with `offline-v9`. Terse notes rarely tell a story. Its 32 misses were then
    read (twelfth session) for the cues of a dated thing moved forward or pulled in, a deadline shortened or a span
    earlier in other languages, and other work dropped: 29."""
    assert _probe("probe_g", PROBE4) == {("rush", "rush"): 17, ("rush", "held"): 20, ("rush", "standard"): 13,
                                         ("standard", "standard"): 50}
    assert _probe("probe_h", PROBE4) == {("rush", "rush"): 14, ("rush", "held"): 20, ("rush", "standard"): 16,
                                         ("standard", "standard"): 49, ("standard", "held"): 1}


@pytest.mark.parametrize(("note", "said"), [
    ("Had to re-cut the deck after the numbers changed", 'why the work came up: "had to"'),
    ("Re-ran the model because the bank sent new covenants", 'why the work came up: "because"'),
    ("Board pack updated again with the new cash numbers", 'why the work came up: "again"'),
    ("Musste die Präsentation komplett umbauen", 'why the work came up: "musste"'),
    ("Vendor pulled the data feed, wrote a new import from the backup file", 'what happened first: "pulled"'),
    ("Photographer fell ill, reshot the product set in house", 'what happened first: "fell"'),
    ("Keynote venue cancelled, moved the session online", 'what happened first: "cancelled"')])
def test_a_note_that_tells_a_story_is_a_reviewers_call(note, said):
    """Rush said in words no cue has is said as a story: why the work came up, or what happened to someone else first
    and what the writer did about it. Held with the reviewer's question, never a confident standard."""
    work_type, confidence, rationale = _work_type(note)
    assert work_type == "standard" and confidence < WORK_TYPE_THRESHOLD
    assert rationale == f"standard or rush? (the note says {said})"
    with_a_cue = assess_rush(f"{note}, reworked")
    assert with_a_cue.rationale.endswith(f"cues reworked (score 1); the note says {said}")


@pytest.mark.parametrize("note", ["Client asked to push the review to next week, parked for now",  # moved later
                                  "Weekly status call, client sent the agenda",  # a recurring slot
                                  "query log sent to distributors, 14 open",  # a headline, not an event
                                  "music licence signed, cue sheet",
                                  "Reviewed the lease, landlord comments logged",  # the writer's verb opens it
                                  "Sprint planning so far: 12 stories estimated",  # "so far", not "so"
                                  # the demo firm's notes: a condition in a spec, the writer's own change, a date
                                  "email notifications when a study phase completes",
                                  "model review w/ Dale, changed the attrition assumption",
                                  "about page copy, history of the press since 1987",
                                  "Drafted the engagement letter",
                                  # an aside in brackets is not a second thing the writer did
                                  "VO script v5 signed off by Anna (comms)",
                                  "wkly update + refreshed timeline (site visits slipping 3 days)"])
def test_a_task_named_is_not_a_story(note):
    """What the story rules leave alone: notes that name a task or a result, a time moved later, a recurring slot."""
    assert _work_type(note)[:2] == ("standard", 0.97)


@pytest.mark.parametrize("note", ["Tribunal deu prazo de 48h para contestação, minuta preparada",
                                  "SEC comment letter w/ 5 business day response, drafted responses",
                                  "Court only gave us till Monday for the bundle",
                                  "Comunicato stampa da chiudere entro un'ora",
                                  "Filing was this week not next, pulled together schedules",
                                  "They moved it from next Thursday to this one, slides for the offsite",
                                  "Frist bis Freitag statt in 3 Wochen, Schriftsatz entworfen",
                                  "No time for the usual review cycle, sent finals",
                                  "Skipped the cleaning pass and sent topline numbers"])
def test_a_short_window_or_a_date_pulled_in_is_not_a_confident_standard(note):
    """A window someone set, said as its length; a date earlier than the one it replaces; a usual step dropped."""
    work_type, confidence, _ = _work_type(note)
    assert work_type == "rush" or confidence < WORK_TYPE_THRESHOLD


ITEMS = (
    SowItemInfo("S1", "Site surveys", "Walk-throughs of the three plants (Dover, Lisle, Akron): building envelope, "
                "boiler room, lighting and a photo log."),
    SowItemInfo("S2", "Meter data analysis", "Utility bills and interval meter data: load profiles and benchmarks "
                "per site."),
    SowItemInfo("S3", "HVAC measures", "Heat pump, heat recovery, controls and hydronic balancing measures with "
                "costs and payback."),
    SowItemInfo("S4", "Solar feasibility", "Rooftop solar yield simulation and the grid connection."),
)
NOTES = ("load profiles Dover", "heat pump option Dover", "solar yield Dover roof", "walk-through Lisle boiler room",
         "controls check Akron", "solar yield Akron carport", "interval meter data requested (Dover, Akron)",
         "walk-through Akron lighting")


def _request(i: int, note: str) -> ClassifyRequest:
    entry = TimeEntry(entry_id=f"e{i}", source="harvest_csv", source_file="t.csv", source_row=i + 1,
                      date=date(2026, 9, 1) + timedelta(days=i), client_name="Plants", project="P", project_code="",
                      task="", notes=note, hours=Decimal("1"), billable=True, person=f"Person {i}")
    return ClassifyRequest(entry, need_sow_item=True, need_work_type=False)


def test_places_the_notes_use_across_work_streams_are_context_not_evidence():
    """The plants one item lists are where every kind of work happens: notes of four items name them, so they do not
    pull a note to the surveys item (classify_heldout7's hotel cities)."""
    bags = build_item_bags(ITEMS)
    queries = [correct_typos(featurize(n, positional=True), bags.vocab) for n in NOTES]
    assert context_stems(queries, bags) == {"dover", "akron"}  # "lisle": one note, too few to tell
    context = ClientContext(client="plants", client_name="Plants", sow_items=ITEMS, work_types=("standard",),
                            sow_version="test")
    suggestions, _ = OfflineClassifier().classify(context, [_request(i, n) for i, n in enumerate(NOTES)])
    assert [s.sow_item for s in suggestions] == ["S2", "S3", "S4", "S1", "S3", "S4", "S2", "S1"]


CUSTOMS_ITEMS = (
    SowItemInfo("R1", "Entry preparation", "Entry summaries (7501) for each shipment: invoice and packing list "
                "checks, quantities, values and filing."),
    SowItemInfo("R2", "Tariff classification", "HTS classification rulings and the parts library."),
    SowItemInfo("R3", "Post-entry corrections and CBP inquiries", "Post-summary corrections and answers to requests "
                "for information and notices of action."),
)


@pytest.mark.parametrize(("note", "item"), [("7501 prep 3 cntrs, CI vs PL qty mismatch on SB-200, asked shipper", "R1"),
                                             ("CI follow-up: answered the request for information on SB-200", "R3")])
def test_an_initialism_the_sow_spells_out_weighs_as_one_word(note, item):
    """"CI" is also the SOW's "CBP inquiries": two words and their bigram that only one item has. Spelled out at full
    weight they outweighed "7501", "prep" and "qty" (classify_heldout9 put a commercial-invoice note on the inquiries
    item at 0.96). The note wrote one token; its spelled-out words weigh as about one word."""
    context = ClientContext(client="customs", client_name="Customs", sow_items=CUSTOMS_ITEMS, work_types=("standard",),
                            sow_version="test")
    suggestions, _ = OfflineClassifier().classify(context, [_request(0, note)])
    assert suggestions[0].sow_item == item


def test_one_short_window_said_two_ways_counts_once():
    """"only gave us 3 days" is one short window, though two patterns read it: a reviewer's call, not rush on a doubled
    score; and "just gave us access" names no window."""
    rush = assess_rush("Regulator only gave us 3 days, drafted response")
    assert rush.cues == ("short window",) and not rush.is_rush and rush.confidence < WORK_TYPE_THRESHOLD
    assert "short window" not in assess_rush("Client just gave us access to the portal, set up users").cues


PROBE5 = Path(__file__).parent / "fixtures" / "rush_probe5"


def test_the_fifth_blind_rush_probe_as_measured():
    """A fifth writer's 200 notes, half terse, the rest an event or a trailing reason (bench/RESULTS.md, twelfth
    session), measured first with `offline-v10`: 23 of 100 rush notes a confident standard (probe_i 14, probe_j 9), 21
    standard notes held (12, 9), 8 of probe_i's by "so". probe_i was then read for the cues of a dated thing moved
    forward or pulled in, other work dropped and other languages' "a week earlier" and shortened deadlines; probe_j is
    unread, and those cues changed none of its notes."""
    assert _probe("probe_i", PROBE5) == {("rush", "rush"): 16, ("rush", "held"): 27, ("rush", "standard"): 7,
                                         ("standard", "standard"): 38, ("standard", "held"): 12}
    assert _probe("probe_j", PROBE5) == {("rush", "rush"): 13, ("rush", "held"): 28, ("rush", "standard"): 9,
                                         ("standard", "standard"): 41, ("standard", "held"): 9}


@pytest.mark.parametrize(("note", "cue"), [
    ("Board deck: the board meeting got moved forward, redid the cash bridge", "moved up"),
    ("Disclosure schedules, buyer's counsel pulled the closing in, reworked the annex", "moved up"),
    ("Covenant review pulled into this week, reran the model", "moved up"),
    ("Die Bank will den Bericht eine Woche früher, Anhang überarbeitet", "days early"),
    ("El cliente quiere el informe una semana antes, rehicimos el anexo", "days early"),
    ("Le client a raccourci le délai, deuxième version des plans", "schedule shortened"),
    ("Informe de auditoría, el regulador acortó el plazo", "schedule shortened"),
    ("Parked other files to finish the disclosure letter", "other work dropped"),
    ("Jahresabschluss, alles andere zurückgestellt", "other work dropped")])
def test_a_schedule_someone_else_compressed_is_read_in_its_other_forms(note, cue):
    """A dated thing moved forward or pulled in, a deadline shortened or a span earlier in other languages, other
    work dropped to make room: each is time pressure (a reviewer's call alone, rush with more evidence)."""
    rush = assess_rush(note)
    assert cue in rush.cues
    assert rush.is_rush or rush.confidence < WORK_TYPE_THRESHOLD


@pytest.mark.parametrize("note", [
    "Moved forward with the design concept after the workshop",
    "Levy reports pulled, meeting in six weeks",
    "Pulled the invoices in for the September close",
    "Tender documents, deadline extended by a week",
    "Revisión del borrador una semana antes de la entrega"])  # a week before the delivery, as planned
def test_progress_and_ordinary_timing_are_not_a_compressed_schedule(note):
    """"moved forward with" is a plan going ahead; words across a comma are two clauses; pulling documents in is
    work; a deadline extended is the opposite of a squeeze; "una semana antes de" is a week before something."""
    rush = assess_rush(note)
    assert not {"moved up", "days early", "schedule shortened", "other work dropped"} & set(rush.cues)
    assert not rush.is_rush
