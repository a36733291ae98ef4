"""Rush detection for the offline classifier: compressed, client-driven timing read from cue phrases.

Rush needs a timing cue (a deadline within hours, a schedule moved up, a production incident) backed by
more evidence (someone asked for it, evening/weekend work, rework). Planned late or weekend work without
such pressure stays standard.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from billing_assets.core.calibration import UNSURE_WORK_TYPE
from billing_assets.core.classifier_api import LabeledExample
from billing_assets.core.model import RUSH, STANDARD
from billing_assets.core.offline_lexicon import (
    FIX_WORDS,
    MOVED_UP_CUES,
    OUTSIDE_PARTIES,
    RUSH_CUES,
    SCHEDULE_NOUNS,
    SCHEDULE_WORDS,
    TIME_WORDS,
    WEEKDAYS,
    WORKDAYS_DE_FR_ES_IT,
)
from billing_assets.core.offline_text import CLAUSE_BREAK, raw_tokens

CATEGORY_CAP = {"deadline": 3.0, "compress": 3.0, "incident": 3.0, "demand": 1.0, "offhours": 1.0,
                "rework": 1.0, "planned": -4.0}
TIMING = ("deadline", "compress", "incident")
RUSH_AT = 3.0  # score at or above which an entry is rush (with a timing cue); confident from there
PAIRED_RUSH_AT = 2.0  # ... or from this score when two kinds of cue meet: a deadline within a day that someone
# needs ("CFO needs it for board tmrw AM"); no standard note of the labelled sets scores above 1
SURE_RUSH_AT = 4.0  # score from which rush is very confident
SURE_STANDARD_BELOW = 1.5  # score below which standard is confident
TIMING_UNSURE_AT = 1.0  # ... unless a timing cue scores this much: a deadline, squeeze or incident said in a way the
# cues do not fully read ("needed by tomorrow morning") is a reviewer's call, not a confident standard
RUSH_CONFIDENCE, SURE_RUSH_CONFIDENCE = 0.88, 0.95
STANDARD_CONFIDENCE, UNSURE_CONFIDENCE = 0.97, 0.6  # unsure: some cues, not enough for rush
STORYTELLER_MIN = 2  # reviewed story-telling notes, all standard, that make a person's stories their habit
_EARLY_HOUR = re.compile(r"^([5-9]|1[0-2])(:\d\d)?am$")
_LATE_HOUR = re.compile(r"^(9|1[01]|12)(:\d\d)?pm$")
_NIGHT_HOUR = re.compile(r"^(1|2|3|4)(:\d\d)?am$")  # "paged 2am": work in the small hours
_AFTERNOON_HOUR = re.compile(r"^([1-8])(:\d\d)?pm$")  # "by 3pm": due later the same day
# "moved the board meeting up", "pulled the launch forward": a schedule compressed by someone else.
_MOVED_UP = re.compile(r"\b(moved|bumped|pushed|brought|pulled|shifted)\b(?: [^ ]+){0,4} "
                       r"(up|forward|earlier)\b")
# "gave us 48 hrs to respond", "within 24h", "a 4-hour turnaround": a deadline within hours, said as a span.
_HOURS_SPAN = re.compile(r"\b(?:within|gave us|given|only|just) (?:an? |\d{1,2} ?)(?:h|hr|hrs|hour|hours)\b"
                         r"|\b(?:gave|gave us|given|only|just) (?:a |one |two |three |[1-9] |1[0-4] )"
                         r"(?:business |working )?(?:day|days)\b"
                         r"|\b\d{1,2} ?(?:h|hr|hrs|hour|hours) (?:to (?:respond|reply|turn|file|deliver|get|fix|"
                         r"produce|submit)|turnaround|notice)\b")
# "Tribunal deu prazo de 48h", "Frist von 24 Stunden", "a 72-hour window", "SEC letter w/ 5 business day response",
# "entro un'ora", "tribunal only gave us till Monday": a short window someone set, said as its length.
_WINDOW_NOUNS = r"(?:deadline|window|turnaround|notice|frist|délai|delai|plazo|prazo|termine|scadenza|termijn|termin)"
_SHORT_WINDOW = re.compile(rf"\b{_WINDOW_NOUNS} (?:of |de |di |van |von |do |od )?(?:\d{{1,2}}|an?|one|un|una|uma|een|"
                           r"eine|einer) ?(?:h|hr|hrs|hour|hours|std|stunden|stunde|heure|heures|hora|horas|ora|ore|"
                           r"uur|godzin|godziny)\b"
                           r"|\b(?:24|36|48|72) ?(?:h|hr|hrs|hour|hours|std|stunden|heures|horas|ore|uur|godzin) "
                           rf"{_WINDOW_NOUNS}\b"
                           r"|\b(?:[1-5]|one|two|three|four|five) (?:business|working) days? (?:to|response|turnaround|"
                           r"deadline|window|notice|reply)\b"
                           r"|\b(?:entro un'ora|entro l'ora|en una hora|en moins d'une heure|dans l'heure|"
                           r"innerhalb einer stunde|binnen een uur|binnen het uur|em uma hora|w ciągu godziny)\b"
                           r"|\b(?:only|just) (?:gave|give|given|giving|allowed|allows) (?:us|me|them) "
                           r"(?:till|until|to|by|an?|one|two|three|\d)\b"
                           r"|\b(?:[1-9]|one|two|three|four|five) (?:day|days|hour|hours|hr|hrs|h) clock\b")
# "wants it a week early", "due two days earlier": a schedule moved up by a span.
_SPAN_EARLY = re.compile(r"\b(?:a|one|two|three|four|five|\d{1,2}) (?:day|days|week|weeks) "
                         r"(?:early|earlier|sooner|ahead of schedule)\b")
# "deadline cut from two weeks to three days", "shortened the schedule": a schedule compressed.
_PLANS = r"(?:deadline|deadlines|timeline|timetable|schedule|programme|window|due date|turnaround|exclusivity)"
_SHORTENED = re.compile(rf"\b{_PLANS} (?:was |got |has been |now )?(?:cut|shortened|compressed|halved|pulled in|"
                        rf"pulled into)\b"
                        rf"|\b(?:cut|shortened|compressed|halved) (?:the |our |their )?(?:[^ ]+ )?{_PLANS}\b"
                        r"|\bcompressed into (?:a|one|two|three|\d{1,2}) (?:day|days|hours|hrs)\b")
# "Urząd skarbowy dał 3 dni na odpowiedź", "Hacienda da 5 días hábiles para contestar", "3 days out": a short window
# said in other languages or as the days left.
_DAYS_TO_ANSWER = re.compile(r"\b(?:[1-9]|1[0-4]|zwei|drei|tres|trois|tre|trzy|dwa|dwóch|dos|deux|due|três) "
                             r"(?:dni|días|dias|tage|tagen|jours|giorni|dagen)\b(?: [^ ]+){0,3} "
                             r"(?:na odpowiedź|para contestar|para responder|zum antworten|pour répondre|"
                             r"per rispondere|om te antwoorden|para responder)"
                             r"|\b(?:[1-9]|a few|two|three|four|five) days out\b")
# "pulled the launch in by a week": a schedule moved up by a span.
_PULLED_IN = re.compile(r"\b(?:pulled|brought|moved)(?: [^ ]+){0,3} in by (?:a|one|two|three|\d{1,2}) "
                        r"(?:day|days|week|weeks)\b")
# "reply due Wed", "comments due tomorrow": somebody's deadline within days (a reviewer's call, not rush alone).
_DUE_SOON = re.compile(r"\b(?:reply|replies|response|responses|answer|comments|submission|filing|return) "
                       rf"(?:is |was |now )?due (?:{'|'.join(sorted(WEEKDAYS))}|tomorrow|today|tonight)\b")
# "per the deal timetable", "as per plan": the timing was the plan.
_PER_PLAN = re.compile(r"\b(?:as )?per (?:the )?(?:[^ ]+ )?(?:timetable|plan|schedule|programme|calendar)\b")
# "filing due 10/1 instead of 10/15", "sign-off on 27 Oct (was 17 Nov)": a date moved earlier, both dates written.
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS = {w: i for i, d in enumerate(_DAYS) for w in (d, d[:3], d[:4])}  # "wed", "thur(sday)", "tues"
_MONTH_RE = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|"
             r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?")  # not "2 decks instead of 3 decks"
_DATE = (rf"\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|\d{{1,2}}(?:st|nd|rd|th)? {_MONTH_RE}"
         rf"|{_MONTH_RE} \d{{1,2}}(?:st|nd|rd|th)?"
         rf"|{'|'.join(sorted(_DAY_WORDS, key=len, reverse=True))}")
_INSTEAD = re.compile(rf"\b({_DATE})\b\)?,? (?:instead of|rather than|\(was|\(originally|\(orig\.?) "
                      rf"(?:the )?({_DATE})\b")
# "moved the workshop to next week", "Riunione spostata alla prossima settimana": the time moved later.
_LATER = re.compile(r"\b(?:postponed|delayed|pushed back|deferred|extended|extension|to after|verschoben|reporté|"
                    r"reportée|aplazad[oa]|pospuest[oa]|uitgesteld|rinviat[oa]|adiad[oa]|to next (?:week|month)|"
                    r"prossima settimana|nächste woche|semaine prochaine|próxima semana|volgende week)\b")
# "weekly call with the client Tuesday": a recurring slot, not a squeeze.
_ROUTINE = re.compile(r"\b(?:weekly|monthly|fortnightly|biweekly|bi weekly|daily|recurring|regular|usual|"
                      r"wöchentlich|hebdo|hebdomadaire|semanal|settimanale|wekelijks|cotygodniowy)\b")
_CLOCK = re.compile(r"\b\d{1,2}(?::\d\d)? ?(?:am|pm|uhr)\b|\b\d{1,2}h\d\d\b|\b(?:[01]?\d|2[0-3])h\b(?! ?[a-z])")
_DUE_WORD = re.compile(r"\b(?:by|due|to|on|for|until|till|before|moved|deadline|date)\s+(?:[^ ]+\s+)?$")
# "announcing Monday rather than next month", "bis Freitag statt Monatsende": a day set instead of a later week,
# month or month end.
_DAY_NAMES = "|".join((*sorted(_DAY_WORDS, key=len, reverse=True), "weds", *WORKDAYS_DE_FR_ES_IT))
_BEFORE_NEXT = re.compile(rf"\b(?:{_DAY_NAMES}|today|tomorrow|this week)\b,? "
                          r"(?:instead of|rather than|not|statt|anstatt|au lieu de|en lugar de|en vez de|invece di|"
                          r"in plaats van|em vez de|zamiast) "
                          r"(?:(?:next|the following) (?:week|month)|(?:the )?month end|end of (?:the )?month|"
                          r"monatsende|ende des monats|fin de mois|fin de mes|fine mese|einde van de maand|next|"
                          r"the \d{1,2}(?:st|nd|rd|th)?|"
                          r"in (?:[2-9]|two|three|four|zwei|drei|vier|deux|trois|quatre|dos|tres|cuatro|due|tre|"
                          r"quattro|twee|drie|vier) (?:weeks|wochen|semaines|semanas|settimane|weken))\b"
                          rf"|\bfrom next (?:week|month|{_DAY_NAMES})\b(?: [^ ]+){{0,2}} to this\b"
                          rf"|\bto (?:{_DAY_NAMES}|today|tomorrow|this week) from (?:the )?(?:end of (?:the )?month|"
                          r"month end|next week|next month)\b")
# "no time for the usual review cycle", "skipped cleaning pass + sent topline": a usual step dropped to make a time.
_SKIPPED_STEP = re.compile(r"\bno time (?:for|to)\b|\bdidn't have time\b"
                           r"|\bskip(?:ped|ping)? (?:the |our |a )?(?:usual |normal |full |standard |second |final )?"
                           r"(?:[^ ]+ )?(?:review|reviews|qa|pass|check|checks|round|cycle|step|proofing|proofread|"
                           r"testing|tests|sign off|signoff)\b")
# "got hosting back up", "site back up and running": a service restored.
_BACK_UP = re.compile(r"\b(?:got|get|getting|brought|bring|bringing|is|was|were|are)(?: [^ ]+){0,3} back "
                      r"(?:up|online)\b|\bback up and running\b")
# Things with a date that someone else can move: "the union meeting got moved forward", "pulled settlement in".
_EVENTS = (r"(?:deadline|date|schedule|timeline|meeting|mtg|call|launch|review|screening|window|submission|filing|"
           r"hearing|cutover|golive|live|delivery|handover|audit|inspection|presentation|readout|kickoff|board|"
           r"committee|settlement|completion|closing|signing|pour|shoot|event|visit|vote|session|fieldwork|exam|"
           r"walkthrough|workshop|interview|interviews|trial|opening|release)")
# "union meeting got moved forward", "the closing was brought forward": a dated thing moved up (not "moved forward
# with the design", a plan going ahead).
_MOVED_FORWARD = re.compile(rf"\b{_EVENTS}\b(?: [^ ]+){{0,2}} (?:got |was |were |been |is |has been |had been )?"
                            r"(?:moved|brought|pulled|pushed|shifted) (?:forward|fwd)\b(?! (?:with|on)\b)")
# "tenant's lawyers pulled settlement in", "pulled the pour date in", "review pulled into this week".
_PULLED_EVENT_IN = re.compile(rf"\bpulled (?:(?:the|our|their|its|his|her) )?(?:[^ ]+ ){{0,2}}{_EVENTS}(?: date)? "
                              r"in\b(?! (?:by|the|our|their|data|numbers|figures)\b)"
                              r"|\bpulled (?:[^ ]+ ){0,2}into this week\b")
# "en vecka tidigare", "eine Woche früher", "une semaine plus tôt", "una semana antes", "een week eerder": a schedule
# moved up by a span, in other languages.
_SPAN_EARLY_ABROAD = re.compile(
    r"\b(?:en|ett|ei|eine|einen|une|una|uma|een|én|et|jeden|[1-9]|zwei|drei|deux|trois|dos|tres|due|tre|duas|três|"
    r"twee|drie|två|tre|to|dwa|trzy) (?:vecka|veckor|dag|dagar|uge|uger|uke|uker|dage|dager|woche|wochen|tag|tage|"
    r"semaine|semaines|jour|jours|semana|semanas|día|días|dia|dias|settimana|settimane|giorno|giorni|week|weken|"
    r"dagen|tydzień|tygodnie|dni) (?:tidigare|tidligere|früher|eher|plus tôt|antes(?! (?:de|del|da|do|que)\b)|"
    r"prima(?! (?:di|del|della|dello|dei|delle|che)\b)|mais cedo|eerder|wcześniej)\b")  # not "una semana antes de
# la entrega", a week before the delivery
# "el ayuntamiento acortó el plazo", "Frist verkürzt", "a raccourci le délai": a deadline shortened, abroad.
_SHORTENED_ABROAD = re.compile(
    r"\b(?:acort\w+ (?:el |los )?plazos?|plazos? (?:se )?acortad[oa]s?|(?:frist|termin|zeitplan) (?:wurde |ist )?"
    r"verkürzt|verkürzt\w* (?:die |den )?(?:frist|termin|zeitplan)|raccourci\w* (?:le |les )?(?:délai|délais|"
    r"calendrier)|(?:délai|délais) raccourcis?|accorciat\w* (?:il |i )?(?:termine|termini|scadenza|tempi)|"
    r"encurt\w* (?:o |os )?(?:prazo|prazos|cronograma)|(?:prazo|prazos) encurtad\w*|(?:termijn|deadline|planning) "
    r"(?:is |werd )?ingekort|ingekort\w* (?:de )?(?:termijn|deadline|planning)|förkort\w* (?:tidsfristen|fristen|"
    r"tidplanen)|(?:fristen|tidsfristen) (?:förkortades|forkortet|blev forkortet)|forkort\w* (?:fristen|tidsfristen)|"
    r"skróci\w* (?:termin|harmonogram))\b")
# "parked other files", "put everything else on hold", "andet lagt til side", "paramos lo demás": other work dropped
# to make room.
_OTHER_WORK_DROPPED = re.compile(
    r"\bparked (?:the |all |my |our )?other (?:files|work|jobs|matters|tasks|projects|clients)\b"
    r"|\b(?:put|left|set) (?:everything|all|the rest|other work|other jobs|other files) (?:else )?"
    r"(?:on hold|aside|to one side)\b|\b(?:everything|all) else (?:on hold|aside|parked)\b"
    r"|\b(?:alt )?andet (?:er )?lagt til side\b|\blagt alt andet til side\b"
    r"|\b(?:la|lade|lagt|lagt undan) (?:allt )?annat åt sidan\b|\ballt annat åt sidan\b"
    r"|\b(?:paramos|paré|dejamos|dejé|aparcamos) (?:todo )?lo demás\b|\btodo lo demás (?:en pausa|parado|aparcado)\b"
    r"|\balles andere (?:liegen gelassen|liegen lassen|zurückgestellt|hintangestellt)\b|\balles stehen und liegen\b"
    r"|\b(?:mis|laissé|mettre) (?:tout )?le reste de côté\b|\btout (?:le reste )?mis de côté\b"
    r"|\b(?:messo|lasciato|mettere) (?:tutto )?(?:il resto )?da parte\b|\baccantonato (?:tutto|il resto)\b"
    r"|\b(?:deixamos|deixei|paramos|parei) (?:o resto|tudo o resto|todo o resto)\b|\bo resto (?:em espera|de lado)\b"
    r"|\b(?:de rest|ander werk|al het andere) (?:laten liggen|opzij gelegd|opzij gezet|geparkeerd)\b"
    r"|\balles omgegooid\b")
# "checked the overnight batch logs": a nightly run, not work through the night.
_ROUTINE_NIGHT = re.compile(r"\bovernight (?:batch|batches|run|runs|job|jobs|load|loads|backup|backups|process)\b")
# "correctif déployé à 22h", "bis 23 Uhr": a late hour written the continental way.
_LATE_24H = re.compile(r"\b2[1-3](?:h(?:\d\d)?| ?uhr)\b")
# what a number after "by"/"before" counts when it is not an hour ("by 3 pages")
_UNITS = frozenset(("hours", "hour", "hrs", "hr", "h", "days", "day", "weeks", "week", "months", "month", "people",
                    "pages", "pp", "items", "points", "percent", "mins", "minutes", "slides", "documents", "files"))
# "turned the valuation around overnight" (the phrase with its object inside).
_TURNED_AROUND = re.compile(r"\bturned(?: [^ ]+){1,3} (?:around|round)\b")
THIRD_PARTY_DEMAND = frozenset(("wants", "needs", "wanted it", "wanted them", "wanting",
                                "asked for", "asked that", "asked us to", "as the client asked",
                                "insisted", "demanded", "needed by", "required by", "needs it by", "escalated",
                                "braucht", "veut", "necesita", "quiere", "pide", "pidió",
                                "pidieron", "vuole", "chiede", "ha chiesto", "quer", "precisa", "pediu", "pede", "chce",
                                "potrzebuje", "poprosił", "poprosiła", "prosi"))


@dataclass(frozen=True)
class RushAssessment:
    """Work type evidence of one note."""

    is_rush: bool
    confidence: float
    score: float
    cues: tuple[str, ...]
    story: tuple[str, str] | None = None  # (who, when) of `pressure_story` when it made the reading unsure
    why: str | None = None  # what made the reading unsure when the note tells a story (`why_word`, `what_happened`)
    cue_confidence: float | None = None  # the confidence the cues alone give, before `story` or `why` held the note
    # (the calibration's evidence: a rule that holds more notes must not re-weigh everything else)
    storyteller: bool = False  # `story` or `why` did not hold the note: the person's reviewed stories were standard

    @property
    def rationale(self) -> str:
        kind = "rush" if self.is_rush else "standard"
        told = f"who and when: {self.story[0]}, {self.story[1]}" if self.story else self.why
        if told and not self.cues:
            if self.storyteller:
                return (f"standard: no time-pressure cues (the note says {told}, as this person's reviewed standard "
                        "notes do)")
            return f"standard or rush? (the note says {told})"
        if not self.cues:
            return f"{kind}: no time-pressure cues"
        if not self.is_rush and self.confidence < UNSURE_WORK_TYPE:
            kind = "standard or rush? (time pressure not clear enough to bill as rush)"
        story = f"; who and when: {self.story[0]}, {self.story[1]}" if self.story else ""
        why = f"; the note says {self.why}" if self.why else ""
        return f"{kind}: cues {', '.join(self.cues)} (score {self.score:g}){story}{why}"


_SCHEDULE_CHANGES = frozenset(("moved up", "to a date", "days early", "schedule shortened", "moved earlier",
                               "deadline moved"))
_SPAN_CUES = ((_HOURS_SPAN, "deadline", 2.0, "short window"), (_SPAN_EARLY, "compress", 2.5, "days early"),
              (_SHORTENED, "compress", 2.5, "schedule shortened"), (_TURNED_AROUND, "deadline", 1.5, "turned around"),
              (_PULLED_IN, "compress", 2.5, "days early"), (_DUE_SOON, "deadline", 1.0, "due within days"),
              (_PER_PLAN, "planned", -1.5, "per plan"), (_DAYS_TO_ANSWER, "deadline", 2.0, "short window"),
              (_SHORT_WINDOW, "deadline", 2.0, "short window"), (_SKIPPED_STEP, "compress", 2.0, "skipped a step"),
              (_BACK_UP, "incident", 1.5, "back up"), (_MOVED_FORWARD, "compress", 2.5, "moved up"),
              (_PULLED_EVENT_IN, "compress", 2.5, "moved up"), (_SPAN_EARLY_ABROAD, "compress", 2.5, "days early"),
              (_SHORTENED_ABROAD, "compress", 2.5, "schedule shortened"),
              (_OTHER_WORK_DROPPED, "compress", 2.5, "other work dropped"))
_WITHIN_A_CLAUSE = frozenset((_MOVED_FORWARD, _PULLED_EVENT_IN, _SPAN_EARLY_ABROAD, _SHORTENED_ABROAD,
                              _OTHER_WORK_DROPPED))  # these cues must not read across a comma, bracket or dash


def _clause_text(notes: str) -> str:
    """The note's words as `rush_cues` reads them, with " | " between its clauses."""
    return " " + " | ".join(" ".join(raw_tokens(part)) for part in CLAUSE_BREAK.split(notes)) + " "


@lru_cache(maxsize=1)
def _cue_table() -> tuple[tuple[str, str, float], ...]:
    return tuple((" " + " ".join(raw_tokens(p)) + " ", cat, w) for p, cat, w in RUSH_CUES)


def rush_cues(notes: str) -> dict[str, tuple[float, list[str]]]:
    """Category -> (capped weight, phrases found) for one note."""
    words = raw_tokens(notes)
    text = " " + " ".join(words) + " "
    matched: dict[str, tuple[str, float]] = {}  # each phrase once, as its first row ("tmrw" reads as "tomorrow")
    for phrase, cat, weight in _cue_table():
        if phrase in text:
            matched.setdefault(phrase, (cat, weight))
    # one inside a longer phrase found counts only as part of it: "rush" in "no rush", "planned" in "a week
    # earlier than planned", "tomorrow" in "first thing tomorrow"
    counted = [p for p in matched if not any(p != longer and p in longer for longer in matched)]
    low = notes.lower()
    counted = [p for p in counted if not _only_possessive(p.strip(), low)
               and not (p == " overnight " and _ROUTINE_NIGHT.search(text))]
    found: dict[str, list[tuple[str, float]]] = {}
    for phrase in counted:
        cat, weight = matched[phrase]
        found.setdefault(cat, []).append((phrase.strip(), weight))
    for i, word in enumerate(words):
        before = words[max(0, i - 3):i]
        if _EARLY_HOUR.match(word) and any(b in ("for", "before", "by") for b in before):
            found.setdefault("deadline", []).append((word + " deadline", 1.0))
        elif _NIGHT_HOUR.match(word):
            found.setdefault("deadline", []).append((word, 2.0))
        elif _LATE_HOUR.match(word) and any(b in ("til", "till", "until") for b in before):
            found.setdefault("compress", []).append(("until " + word, 2.0))
        elif _LATE_HOUR.match(word) and before[-1:] in (["by"], ["before"]):
            found.setdefault("deadline", []).append(("by " + word, 2.0))
        elif _AFTERNOON_HOUR.match(word) and before[-1:] in (["by"], ["before"]):
            found.setdefault("deadline", []).append(("by " + word, 1.0))
        elif (word.isdigit() and 1 <= int(word) <= 8 and before[-1:] in (["by"], ["before"])
              and (i + 1 == len(words) or words[i + 1] not in _UNITS and not words[i + 1].isdigit())):
            found.setdefault("deadline", []).append(("by " + word, 1.0))  # "needs our comments before 3"
        elif word in WEEKDAYS and "demand" in found and (
                any(b in ("for", "before", "by") for b in before)
                or any(w in ("needs", "wants", "need", "want") for w in words[max(0, i - 5):i])):
            found.setdefault("deadline", []).append(("due " + word, 1.0))
    spans: list[re.Match[str]] = []
    clauses: str | None = None  # the note's clauses, read once if a within-a-clause cue matches
    for pattern, cat, weight, name in _SPAN_CUES:  # ... and so do words a phrase already counted ("turned it
        # around", "a week earlier than planned" count once, not again as "turned around", "days early")
        m = pattern.search(text)
        if m and pattern in _WITHIN_A_CLAUSE:
            clauses = clauses if clauses is not None else _clause_text(notes)
            if (f" {m.group(0).strip()} " not in clauses  # "levy reports pulled, meeting in six weeks"
                    or any(_overlap(s.start(), len(s.group(0)), m) for s in spans)):  # "deadline pulled into this
                m = None  # week" is read once, as the schedule shortened, not again as moved up
        if (m and not any(_overlap(text.find(p), len(p), m) for p in counted)
                and name not in (p for p, _ in found.get(cat, []))):  # one short window, said two ways, counts once
            found.setdefault(cat, []).append((name, weight))
            spans.append(m)
    if _LATE_24H.search(low):
        found.setdefault("offhours", []).append(("late hour", 1.0))
    earlier = _moved_earlier(notes)
    if earlier:
        found.setdefault("compress", []).append(("moved earlier", earlier))
    moved = _moved_up(text)
    if moved and not any(p in MOVED_UP_CUES for p, _ in found.get("compress", [])):
        found.setdefault("compress", []).append(("moved up", 2.5))
    if _moved_to_a_date(text, moved, words):
        found["compress"].append(("to a date", 0.5))
    if "incident" in found and any(w in FIX_WORDS for w in words):
        found["incident"].append(("fixed at once", 1.0))
    out = {}
    for cat, items in found.items():
        total = sum(w for _, w in items)
        cap = CATEGORY_CAP[cat]
        total = max(total, cap) if cap < 0 else min(total, cap)
        out[cat] = (total, [p for p, _ in items])
    return out


def _only_possessive(phrase: str, low: str) -> bool:
    """"today"/"tomorrow" found only as "tomorrow's <event>" in the lower-cased note, never after "by"/"before"."""
    if phrase not in ("today", "tomorrow", "tmrw"):  # "for tonight's newsletter" is due within hours
        return False
    said = re.findall(rf"\b{phrase}\b('s)?", low)
    return bool(said) and all(said) and not re.search(rf"\b(?:by|before|until|till) {phrase}'s\b", low)


def _overlap(start: int, length: int, match: re.Match[str]) -> bool:
    """Whether text[start:start + length] and the match share a character."""
    return start < match.end() and match.start() < start + length


def _moved_up(text: str) -> re.Match[str] | None:
    """"moved the board meeting up", "bumped up the deadline": a schedule moved by someone; not the idioms
    "brought up the budget issue", "pulled up last month's report", "moved forward with the design"."""
    for match in _MOVED_UP.finditer(text):
        if (len(match.group(0).split()) > 2 or match.group(0) in ("moved up", "bumped up", "moved earlier")
                or _to_a_date(text[match.end():])):
            return match
    return None


def _to_a_date(rest: str) -> bool:
    """The words after a move say "to" a day or date ("to Thu", "to 10/20"; not "up to 10 px")."""
    after = rest.split()[:3]
    return after[:1] == ["to"] and (after[1:2] and after[1] in SCHEDULE_WORDS or _day_and_month(after[1:3]))


def _moved_to_a_date(text: str, moved: re.Match[str] | None, words: list[str]) -> bool:
    """A schedule moved up, with when or by how much: a move straight "to" a day or date ("brought the DSMB fwd to
    10/20"), or a note that names a day or a time span ("to Fri", "a week") and either says a cue phrase ("moved
    up", "anticipa") or moves a dated thing ("moved the screening up", "brought the test window forward"). Not the
    idioms "brought up the budget issue on Monday" or "moved forward with the design this week", nor "moved the
    logo up"."""
    if moved and _to_a_date(moved.string[moved.end():]):
        return True  # "moved the pitch up to Thu", "brought the DSMB forward to 10/20" (not "up to 10 px")
    if not any(w in SCHEDULE_WORDS for w in words):
        return False
    if any(f" {cue} " in text for cue in MOVED_UP_CUES):
        return True
    if moved is None:
        return False
    thing = moved.group(0).split()[1:-1] or moved.string[moved.end():].split()[:3]  # "bumped up the deadline"
    return any(w in SCHEDULE_NOUNS for w in thing)


def _when(text: str, day_first: bool) -> tuple[int, ...] | None:
    """(month, day) of a written date, (weekday,) of a day name; None when it is no valid date."""
    text = text.rstrip(".")
    if text in _DAY_WORDS:
        return (_DAY_WORDS[text],)
    if "/" in text:
        a, b = (int(x) for x in text.split("/")[:2])
        month, day = (b, a) if day_first else (a, b)
    else:
        parts = text.split()
        number = next(p for p in parts if p[0].isdigit())
        name = next(p for p in parts if not p[0].isdigit())
        month, day = _MONTHS.index(name[:3]) + 1, int(re.sub(r"\D", "", number))
    return (month, day) if 1 <= month <= 12 and 1 <= day <= 31 else None


def _moved_earlier(notes: str) -> float:
    """Two dates (or two days) where the first replaces the second and comes before it: "by 10/1 instead of 10/15",
    "to 27 Oct (was 17 Nov)" weigh 3 (a date moved up); "Wed rather than Fri" 2.5 (it may be a meeting, not a
    deadline); 0 when none. Day-first is tried when month-first reads no valid date."""
    text = notes.lower()
    for match in _INSTEAD.finditer(text):
        if "/" in match.group(1) and not _DUE_WORD.search(text[max(0, match.start() - 30):match.start()]):
            continue  # "3/4 instead of 2/4" is a fraction unless a date is being set ("done by 10/1 ...")
        for day_first in (False, True):
            new, old = _when(match.group(1), day_first), _when(match.group(2), day_first)
            if new and old:
                if len(new) == len(old) and new < old:
                    return 3.0 if len(new) == 2 else 2.5
                break
    return 2.5 if _BEFORE_NEXT.search(text) else 0.0


def schedule_clause(clause: str) -> bool:
    """A clause that says the schedule was moved up or squeezed ("CFO's board mtg moved up to Thu", "Hartley moved
    the deadline up a week"): it tells when the work was due, not which work it was."""
    compress = rush_cues(clause).get("compress", (0.0, []))[1]
    return any(p in MOVED_UP_CUES or p in _SCHEDULE_CHANGES for p in compress)


def _day_and_month(tokens: list[str]) -> bool:
    """Two numbers that can be a day and a month in either order ("10/20" reads as "10 20")."""
    if len(tokens) != 2 or not all(t.isdigit() for t in tokens):
        return False
    a, b = (int(t) for t in tokens)
    return 1 <= min(a, b) <= 12 and 1 <= max(a, b) <= 31


def _later_or_routine(low: str) -> bool:
    """The lower-cased note says the time moved later ("pushed to next week") or is a recurring slot ("weekly call"):
    no story of squeezed timing, whoever and whatever it names."""
    return bool(_LATER.search(low) or _ROUTINE.search(low.replace("-", " ")))


def pressure_story(notes: str) -> tuple[str, str] | None:
    """(who, when) when a note says both someone outside the team and a time ("Client now announcing Monday ...",
    "Got the call at 11pm, ..."): it tells how the work came about, which is where compressed timing is said in
    words no cue list has. None otherwise, and when the note says the time moved later or is a recurring slot."""
    low = notes.lower()
    if _later_or_routine(low):
        return None
    words = raw_tokens(notes)
    who = next((w for w in words if w in OUTSIDE_PARTIES), None)
    clock = _CLOCK.search(low)
    when = next((w for w in words if w in TIME_WORDS), clock.group(0) if clock else None)
    return (who, when) if who and when else None


# Words that tell why or how the work came up ("had to", "so", "because", "instead", "again", "just", "now"), in the
# languages the cues know: a timesheet note that tells a story rather than naming a task is where squeezed timing is
# said in words no cue list has (measured in bench/RESULTS.md, eleventh session).
_WHY_WORDS = ("had to", "have to", "so", "because", "since", "instead", "again", "just", "only", "now",
              "while", "came in", "came back", "changed", "dropped", "spotted", "suddenly", "unexpectedly", "turns out",
              "turned out", "forgot", "realised", "realized", "before the", "right before", "finally", "overdue",
              "behind", "catch up", "missed", "pressure", "squeezed", "tight", "quickly", "faster",
              "plötzlich", "unerwartet", "vergessen", "soudain", "soudainement", "oublié", "de repente", "olvidó",
              "improvvisamente", "all'improvviso", "dimenticato", "esqueceu", "plotseling", "vergeten", "nagle",
              "zapomniał", "plötsligt", "glömde", "pludselig", "glemte",
              "musste", "mussten", "weil", "jetzt", "nun", "wieder", "erneut", "nur", "stattdessen",
              "parce que", "donc", "maintenant", "encore", "seulement", "à nouveau", "a fallu", "il fallait", "au lieu",
              "tuvimos que", "tuve que", "porque", "ya que", "ahora", "otra vez", "de nuevo", "en vez", "en lugar",
              "abbiamo dovuto", "ho dovuto", "perché", "poiché", "adesso", "di nuovo", "invece",
              "tivemos que", "tive que", "agora", "novamente", "em vez",
              "moest", "moesten", "omdat", "weer", "opnieuw", "alleen", "in plaats",
              "musieliśmy", "musiałem", "musiałam", "bo", "ponieważ", "teraz", "znowu", "tylko", "zamiast",
              "var tvungen", "eftersom", "igen", "bara", "istället", "måtte", "fordi", "kun", "i stedet", "nu")
_WHY = re.compile(rf"(?<![\w-])(?:{'|'.join(sorted(_WHY_WORDS, key=len, reverse=True))})(?![\w-])")
_NOT_WHY = re.compile(r"\b(?:for now|so far|just in case|only if)\b|\bsince (?:\d|the \d|jan|feb|mar|apr|may|jun|jul|"
                      r"aug|sep|oct|nov|dec)")  # "history of the press since 1987" is a date, not a reason
_WRITERS_OWN = frozenset(("changed",))  # "changed the attrition assumption": what the writer did (while "dropped
# the Henderson file to ..." is the writer putting other work aside, which is the story)


def why_word(notes: str) -> str | None:
    """The first word that tells why the work came up ("Had to re-cut the deck, CFO changed the numbers"), unless the
    note says the time moved later, is a recurring slot, or is "for now"/"so far"/"since 1987"; "changed" only after
    someone in its clause ("CFO changed the numbers", not "changed the attrition assumption"). None otherwise."""
    low = notes.lower()
    if _later_or_routine(low):
        return None
    text = _NOT_WHY.sub(" ", low)
    for match in _WHY.finditer(text):
        clause = CLAUSE_BREAK.split(text[:match.start()].replace("+", ","))[-1]  # "+" joins two tasks
        if match.group(0) in _WRITERS_OWN and not clause.strip():
            continue
        return match.group(0)
    return None


# "Hotel released our room block early, rehoused 60 delegates": a note that opens with something that happened to
# someone else (a subject, then a past-tense verb) and goes on with what the writer did about it tells how the work
# came up. English only; a verb in the past: a regular "-ed" form or one of these.
_PAST_IRREGULAR = frozenset(("hit", "sent", "fell", "died", "went", "came", "broke", "lost", "got", "took", "left",
                             "ran", "found", "made", "gave", "told", "rang", "quit", "shut", "froze", "blew", "caught",
                             "stuck", "struck", "threw", "saw", "burst", "sprang", "withdrew"))
# ... that may end its clause ("Court interpreter cancelled, ..."; not "music licence signed, cue sheet")
_HAPPENED_ALONE = frozenset(("cancelled", "canceled", "died", "failed", "crashed", "collapsed", "quit", "resigned",
                             "froze", "broke", "leaked", "flooded", "withdrew"))
# ... and not followed by these ("query log sent to distributors": a headline, not an event)
_AFTER_A_HEADLINE = frozenset(("to", "by", "for", "in", "on", "at", "from", "with", "w/", "w", "into", "of", "as",
                               "per", "and", "+", "&", "via", "under", "over"))
# the writer's own verbs that open a note ("review completed JAQs", "test cost of bottled goods")
_OPENING_VERBS = frozenset(("review", "reviewed", "rev", "test", "collect", "prep", "draft", "update", "call", "meet",
                            "finalize", "finalise", "prepare", "build", "fix", "check", "run", "set", "write", "read",
                            "research", "analyze", "analyse", "compile", "organize", "organise", "assemble", "attend",
                            "edit", "format", "file", "send", "respond", "reply", "revise", "confirm", "schedule",
                            "plan", "design", "create", "follow", "t/c", "tc", "conf", "email", "emails", "mtg",
                            "meeting", "discuss"))


_ASIDE = re.compile(r"\([^)]*\)|\[[^\]]*\]")  # an aside in brackets is not what the writer did next


def _past(word: str) -> bool:
    return (word.endswith("ed") and len(word) > 4 and not word.endswith("eed")) or word in _PAST_IRREGULAR


def what_happened(notes: str) -> str | None:
    """The past-tense verb of an opening clause that says what happened to someone else, when a second clause follows
    ("Truck hit the bridge parapet, inspected and signed off ..."); None otherwise, and when the note says the time
    moved later or is a recurring slot."""
    low = notes.lower()
    if _later_or_routine(low):
        return None
    clauses = [c for c in CLAUSE_BREAK.split(_ASIDE.sub(" ", low)) if c.strip()]
    if len(clauses) < 2:
        return None
    first = [re.sub(r"^re-", "", w) for w in re.findall(r"[\w'/+&-]+", clauses[0])]
    if len(first) < 2 or _past(first[0]) or first[0] in _OPENING_VERBS:
        return None
    for i, word in enumerate(first[1:4], start=1):
        if _past(word):
            after = first[i + 1] if i + 1 < len(first) else ""
            if after in _AFTER_A_HEADLINE or (not after and word not in _HAPPENED_ALONE):
                return None
            return None if any(_past(w) for w in first[:i]) else word
    return None


def _why(notes: str) -> str | None:
    """What a reviewer reads when a note without cues tells a story: why the work came up, or what happened."""
    word = why_word(notes)
    if word:
        return f'why the work came up: "{word}"'
    happened = what_happened(notes)
    return f'what happened first: "{happened}"' if happened else None


def _someone_needs_it_soon(cues: dict[str, tuple[float, list[str]]]) -> bool:
    """A deadline within a day and somebody else's demand ("CFO needs it for board tmrw AM"), not the writer's own
    plan ("need to finish tomorrow")."""
    demand = cues.get("demand", (0.0, []))[1]
    return "deadline" in cues and any(p in THIRD_PARTY_DEMAND for p in demand)


def storytellers(history: Sequence[LabeledExample]) -> frozenset[str]:
    """People who tell stories in their notes as a habit: at least STORYTELLER_MIN of their reviewed notes were held
    for telling how the work came up (`pressure_story`, `why_word`, `what_happened`) and none of those was rush."""
    told: dict[str, list[str]] = defaultdict(list)
    for example in history:
        if example.work_type in (RUSH, STANDARD):
            reading = assess_rush(example.notes)
            if (reading.story or reading.why) and not reading.is_rush:
                told[example.person].append(example.work_type)
    return frozenset(p for p, types in told.items() if len(types) >= STORYTELLER_MIN and RUSH not in types)


def assess_rush(notes: str, twin: LabeledExample | None = None, storyteller: bool = False) -> RushAssessment:
    """Rush or standard, with a confidence, from cue phrases; `twin` is an approved history note that is
    nearly the same note: its work type wins, confidently only when the cues agree. `storyteller`: the writer is one
    of `storytellers`, so a story without cues does not hold the note."""
    cues = rush_cues(notes)
    score = sum(w for w, _ in cues.values())
    phrases = tuple(p for _, ps in cues.values() for p in ps)
    timing = any(cat in cues for cat in TIMING)
    is_rush = timing and (score >= RUSH_AT or (score >= PAIRED_RUSH_AT and _someone_needs_it_soon(cues)))
    story = why = None
    if is_rush:
        confidence = SURE_RUSH_CONFIDENCE if score >= SURE_RUSH_AT else RUSH_CONFIDENCE
    else:
        planned = "planned" in cues  # "Sun: planned maintenance window, patched hypervisors"
        sure = score < SURE_STANDARD_BELOW and not (timing and score >= TIMING_UNSURE_AT and not planned)
        story = pressure_story(notes) if sure and not planned else None
        why = _why(notes) if sure and not planned and not story else None
        confidence = STANDARD_CONFIDENCE if sure else UNSURE_CONFIDENCE
    cue_confidence = confidence
    if (story or why) and not storyteller:
        confidence = UNSURE_CONFIDENCE
    if twin is not None and twin.work_type in (RUSH, STANDARD):
        is_rush = twin.work_type == RUSH
        agrees = (twin.work_type == RUSH) == (score >= RUSH_AT)
        confidence, cue_confidence = ((max(confidence, 0.9), max(cue_confidence, 0.9)) if agrees else (0.75, 0.75))
        phrases = phrases + (f"history: {twin.work_type}",)
        why = None
    return RushAssessment(is_rush=is_rush, confidence=confidence, score=score, cues=phrases, story=story, why=why,
                          cue_confidence=cue_confidence, storyteller=storyteller and bool(story or why))
