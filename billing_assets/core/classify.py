"""Classification of time entries (spec section 3): overrides, rules, project codes, then a classifier."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from billing_assets.core.classifier_api import (
    ClassifierUsage,
    ClassifyRequest,
    ClientContext,
    LabeledExample,
    SowItemInfo,
)
from billing_assets.core.contract import Contract, SowItem
from billing_assets.core.model import NON_BILLABLE, RUSH, STANDARD, Classification, Suggestion, TimeEntry
from billing_assets.core.money import HOURS_SHOWN
from billing_assets.core.overrides import Override
from billing_assets.core.rates import base_rate, resolve_role

AS_SENT = "as_sent"  # the method of an entry classified as its month's sent invoice billed it
REVIEW_REASONS = ("unknown_client", "missing_project_code", "low_confidence", "unknown_sow_item", "no_rate",
                  "implausible_hours", "held_by_reviewer")
IMPLAUSIBLE_HOURS = 24  # one entry over this many hours is held (a forgotten timer, a typo): spec section 3
# The end of a classifier's note for an answer it could not read (a reply cut off or not JSON, a label missing or
# given twice): such an answer is held and never remembered, so the next close asks again (`settled`).
ASKED_AGAIN = "asked again at the next close"


@dataclass
class _Partial:
    work_type: str | None = None
    work_type_method: str = ""
    sow_item: str | None = None
    sow_decided: bool = False
    sow_method: str = ""


def client_context(contract: Contract, history: Sequence[LabeledExample] = (), month: str = "") -> ClientContext:
    """What a classifier may know of a client in `month`: its SOW items, work types and the firm's history as it
    stood for that month: approved invoices of earlier months and reviewers' labels up to this month's own (a
    month is never classified with what later months taught, so re-closing an approved month reads it as before;
    its own approved entries are its answers, not evidence about them)."""
    items = tuple(SowItemInfo(i.id, i.name, i.description, i.billing, tuple(i.project_codes))
                  for i in (contract.sow.items if contract.sow else []))
    work_types = tuple(sorted((contract.work_type_names - {NON_BILLABLE}) | {STANDARD, RUSH}))
    return ClientContext(contract.client, contract.name, items, work_types, contract.sow_version(),
                         tuple(h for h in history if h.client == contract.client and _known_in(h, month)))


def _known_in(example: LabeledExample, month: str) -> bool:
    if not month or not example.month:
        return True
    return example.month < month or (example.month == month and not example.approved)


def history_digest(context: ClientContext) -> str:
    """A fingerprint of the history a classifier sees for a client-month: part of every cache key, so a month
    re-closed after a review is classified with what the review taught (an unchanged re-run asks nobody). ""
    without history (the keys of a client with none are those of before history was keyed)."""
    if not context.history:
        return ""
    digest = hashlib.sha256()
    for h in context.history:
        digest.update("\x1f".join((h.notes, h.person, h.project, h.task, h.sow_item or "", h.work_type or "",
                                   h.month, str(h.approved))).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()


NO_CODE_SOURCES = ("toggl_csv", "clockify_csv", "quickbooks_time_csv")  # exports with no Project Code column


def project_code_of(contract: Contract, entry: TimeEntry) -> str:
    """The entry's Project Code (spec section 3 step 3). Toggl, Clockify and QuickBooks Time have no such column,
    so for their entries it is the contract's SOW code that the project's name starts with, then a space, a colon,
    a bracket or nothing ("GLX-2 Strategy", "GLX-2: Build", "[GLX-2] Build"; not "GLX-20 Build", "GLX-2.5 Data" or
    "GLX-2/GLX-3 joint"); "" when none does (found by an auditor: a
    Clockify project "GLX-2 Strategy" of a fixed-fee item was billed by the hour beside its fee)."""
    if entry.project_code or entry.source not in NO_CODE_SOURCES:
        return entry.project_code
    codes = sorted(contract.project_codes, key=len, reverse=True)
    name = entry.project.strip()
    return next((c for c in codes if re.match(rf"[\[(]?{re.escape(c)}(?=$|\s|[:\])])", name)), "")


def coded_item(contract: Contract, entry: TimeEntry) -> SowItem | None:
    """The SOW item whose `project_codes` hold the entry's Project Code (step 3), if any."""
    code = project_code_of(contract, entry)
    return next((i for i in (contract.sow.items if contract.sow else []) if code and code in i.project_codes), None)


# A keyword said not to apply, the negation right before it: "non-urgent", "no rush", "not urgent", "isn't urgent",
# "nothing urgent". Not "not only urgent", "nothing more urgent", "no 4512 urgent", "said no - urgent redo" (found
# by an auditor: a wider reading billed those as standard where the contract has no classifier to ask).
_NEGATED_BEFORE = re.compile(r"(?:\b(?:no|not|non|nothing)|n't)(?:\s+|-)$", re.IGNORECASE)


def rush_match(keywords: Sequence[str], notes: str) -> bool:
    """Whole-word, case-insensitive match of any rush keyword in the notes, its words separated by any spaces
    ("fire  drill"), unless the note negates it right before ("non-urgent", "no rush on this one", "not urgent"):
    a negated keyword decides nothing (the classifier reads the note; without SOW items, standard)."""
    for keyword in keywords:
        words = keyword.split()
        if not words:
            continue
        pattern = r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"
        for found in re.finditer(pattern, notes, re.IGNORECASE):
            if not _NEGATED_BEFORE.search(notes[:found.start()]):
                return True
    return False


def _hours_key(hours: Decimal) -> str:
    """Hours as the keys of the first release wrote them (its warehouse kept 0.0001 h: "1.5000"), so an upgraded
    warehouse keeps every cached answer; hours finer than that (a 1:20:00 is 1.3333333333 h) in full."""
    four = hours.quantize(HOURS_SHOWN)
    return f"{four:f}" if four == hours else f"{hours.normalize():f}"


def cache_key(entry: TimeEntry, request: ClassifyRequest, context: ClientContext, classifier_id: str,
              history: str = "") -> str:
    """The entry's content, the client's SOW version, the history it was classified with (`history_digest`) and
    the classifier: same key, same answer."""
    parts = [classifier_id, context.sow_version, *([history] if history else []), entry.date.isoformat(),
             entry.person, entry.project, entry.task, entry.notes, _hours_key(entry.hours), str(request.need_sow_item),
             str(request.need_work_type), request.known_sow_item or "", request.known_work_type or ""]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def settled(suggestion: Suggestion) -> bool:
    """Whether an answer may be remembered: a deliberate one may (sure, unsure, or a label the contract rejects);
    one the classifier could not read (its note ends in ASKED_AGAIN) is asked again at the next close."""
    return ASKED_AGAIN not in suggestion.rationale


def _unread(suggestion: Suggestion) -> Suggestion:
    """An unread answer, held, its rationale opening with what happened (a cascade wraps the note in its own
    words, "remote and offline disagree"; what the offline classifier said is kept after it)."""
    text = suggestion.rationale
    end = text.index(ASKED_AGAIN) + len(ASKED_AGAIN)
    note = text[max(text.rfind("rejected: ", 0, end), 0):end]
    rest = text[end:].lstrip("; ")
    return replace(suggestion, confidence=0.0, rationale=f"{note}; {rest}" if rest else note)


class SuggestionCache:
    """Where classifier answers are remembered (DuckDB in the pipeline, a dict in tests)."""

    def get_many(self, keys: Sequence[str]) -> dict[str, Suggestion]:
        return {}

    def put_many(self, items: dict[str, Suggestion]) -> None:
        return None


ClassifyFn = Callable[[ClientContext, Sequence[ClassifyRequest]], tuple[list[Suggestion], ClassifierUsage]]


def _deterministic(contract: Contract, entry: TimeEntry, override: Override | None) -> _Partial:
    """Steps 1-3 of spec section 3, each field separately; a reviewer's bare `bill` decides what its review row
    showed (`Override.released_as`)."""
    p = _Partial()
    items = contract.sow.items if contract.sow else []
    decided_item, decided_type = (override.released_as({i.id for i in items}, contract.work_type_names)
                                  if override else ("", ""))
    if decided_type:
        p.work_type, p.work_type_method = decided_type, "override"
    elif not entry.billable:
        p.work_type, p.work_type_method = NON_BILLABLE, "rule"
    elif (mapped := contract.task_work_type(entry.task)) is not None:
        p.work_type, p.work_type_method = mapped, "rule"
    elif rush_match(contract.rush_keywords, entry.notes):
        p.work_type, p.work_type_method = RUSH, "rule"
    hourly = [i for i in items if i.billing == "hourly"]
    if decided_item:
        p.sow_item, p.sow_decided, p.sow_method = decided_item, True, "override"
    elif not items:
        p.sow_decided, p.sow_method = True, "no_sow"
    else:
        if (by_code := coded_item(contract, entry)) is not None:
            p.sow_item, p.sow_decided, p.sow_method = by_code.id, True, "project_code"
        elif len(hourly) == 1:
            p.sow_item, p.sow_decided, p.sow_method = hourly[0].id, True, "only_item"
    if p.work_type is None and not items:
        p.work_type, p.work_type_method = STANDARD, "default"
    return p


def _as_sent(sow_item: str, work_type: str) -> _Partial:
    """The SOW item and work type an entry was billed with on its month's sent invoice."""
    return _Partial(work_type, AS_SENT, sow_item or None, True, AS_SENT)


def classify_entries(contract: Contract, entries: Sequence[TimeEntry], overrides: dict[str, Override],
                     classify: ClassifyFn | None, classifier_id: str = "", history: Sequence[LabeledExample] = (),
                     cache: SuggestionCache | None = None, review_floor: float = 0.0,
                     sent: Mapping[str, tuple[str, str]] | None = None
                     ) -> tuple[list[Classification], ClassifierUsage]:
    """Classify one client-month's entries (in processing order); returns one Classification per entry.

    `review_floor` is the classifier's own calibrated review threshold: an entry whose SOW item the classifier
    chose is held below max(review.min_confidence, review_floor). `sent`: the (SOW item, work type) each entry was
    billed with on the invoice sent for the month; it keeps them unless a reviewer decides otherwise (found by an
    auditor: a sent month closed again for one late row held five entries it had billed, the reviews since having
    moved the classifier's confidence, and the next invoice credited 2,890.00 of billed work with no word)."""
    context = client_context(contract, history, entries[0].month if entries else "")
    partials = [_as_sent(*(sent or {})[e.entry_id]) if e.entry_id in (sent or {}) and e.entry_id not in overrides
                else _deterministic(contract, e, overrides.get(e.entry_id)) for e in entries]
    pending = [(i, ClassifyRequest(e, not p.sow_decided, p.work_type is None, p.sow_item, p.work_type))
               for i, (e, p) in enumerate(zip(entries, partials, strict=True))
               if not p.sow_decided or p.work_type is None]
    suggestions, usage = _ask(context, pending, classify, classifier_id, cache)
    results = []
    for i, (entry, partial) in enumerate(zip(entries, partials, strict=True)):
        results.append(_decide(contract, entry, partial, suggestions.get(i), overrides.get(entry.entry_id),
                               context, classify is not None, review_floor))
    return results, usage


def _ask(context: ClientContext, pending: list[tuple[int, ClassifyRequest]], classify: ClassifyFn | None,
         classifier_id: str, cache: SuggestionCache | None) -> tuple[dict[int, Suggestion], ClassifierUsage]:
    usage = ClassifierUsage()
    if not pending or classify is None:
        return {}, usage
    cache = cache or SuggestionCache()
    seen = history_digest(context)
    keys = {i: cache_key(req.entry, req, context, classifier_id, seen) for i, req in pending}
    known = cache.get_many(list(keys.values()))
    found = {i: known[keys[i]] for i, _ in pending if keys[i] in known}
    missing = [(i, req) for i, req in pending if i not in found]
    if missing:
        answers, usage = classify(context, [req for _, req in missing])
        if len(answers) != len(missing):
            raise RuntimeError(f"classifier {classifier_id} returned {len(answers)} answers for {len(missing)} entries")
        fresh = {i: answer for (i, _), answer in zip(missing, answers, strict=True)}
        cache.put_many({keys[i]: s for i, s in fresh.items() if settled(s)})
        found.update({i: s if settled(s) else _unread(s) for i, s in fresh.items()})
    return found, usage


def _decide(contract: Contract, entry: TimeEntry, p: _Partial, s: Suggestion | None, override: Override | None,
            context: ClientContext, has_classifier: bool, review_floor: float = 0.0) -> Classification:
    """Combine deterministic fields and the classifier's answer; list the review reasons."""
    confidence = 1.0
    methods = {p.work_type_method, p.sow_method} - {""}
    work_type, sow_item, suggested = p.work_type, p.sow_item, None
    if s is not None:
        if work_type is None:
            work_type = s.work_type
        if not p.sow_decided:
            sow_item = s.sow_item
            suggested = s.sow_item
        confidence = min(confidence, s.confidence)
        methods.add("classifier")
    reasons: list[str] = []
    if work_type is None:
        work_type = STANDARD
        confidence = 0.0
        reasons.append("low_confidence")
    elif work_type not in contract.work_type_names:
        reasons.append("low_confidence")
    valid_items = contract.sow_item_ids
    # A reviewer's override naming an item the contract lacks keeps that id (held, whatever its action), so that
    # the blocking sow_items_exist check names the override row and stops the month, as `billing validate` says.
    reviewer_unknown_item = p.sow_method == "override" and sow_item is not None and sow_item not in valid_items
    if valid_items and (sow_item is None or sow_item not in valid_items):
        reasons.append("unknown_sow_item")
        suggested = suggested or sow_item
        sow_item = sow_item if reviewer_unknown_item else None
    if contract.require_project_code and not project_code_of(contract, entry):
        reasons.append("missing_project_code")
    threshold = float(contract.review.min_confidence)
    if s is not None and not p.sow_decided:
        threshold = max(threshold, review_floor)
    if confidence < threshold and "low_confidence" not in reasons:
        reasons.append("low_confidence")
    if entry.hours > IMPLAUSIBLE_HOURS:
        reasons.append("implausible_hours")
    action = override.action if override else ""
    if _needs_rate(contract, work_type, sow_item):
        role = resolve_role(contract, entry.person, entry.roles)
        if base_rate(contract, entry.person, entry.project, role) is None:
            reasons.append("no_rate")
    if action == "bill":
        reasons = [r for r in reasons if r == "no_rate" or (r == "unknown_sow_item" and reviewer_unknown_item)]
    elif action == "hold":
        reasons.append("held_by_reviewer")
    elif action == "write_off":
        reasons = []
    method = "override" if "override" in methods else _method_name(methods, has_classifier)
    rationale = s.rationale if s is not None else ", ".join(sorted(methods))
    if AS_SENT in methods:
        rationale = "as billed on the invoice sent for the month (a reviewer's decision changes it)"
    if override and override.note:
        rationale = f"reviewer: {override.note}"
    return Classification(entry.entry_id, work_type, sow_item, round(confidence, 4), method,
                          [r for r in REVIEW_REASONS if r in reasons], suggested, action, rationale)


def _needs_rate(contract: Contract, work_type: str, sow_item: str | None) -> bool:
    item = contract.sow_item(sow_item)
    return work_type != NON_BILLABLE and not (item is not None and item.billing == "fixed_fee")


def _method_name(methods: set[str], has_classifier: bool) -> str:
    for name in (AS_SENT, "classifier", "project_code", "only_item", "rule", "default", "no_sow"):
        if name in methods:
            return name
    return "rule"
