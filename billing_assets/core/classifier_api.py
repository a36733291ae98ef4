"""The classifier interface: what steps 1-3 of spec section 3 could not decide goes to a classifier.

Two implementations satisfy it: the offline classifier (default, no key) and Claude (anthropic SDK).
Both are pure with respect to this module: they receive everything they need as arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from billing_assets.core.model import Suggestion, TimeEntry


@dataclass(frozen=True)
class SowItemInfo:
    """One SOW item as a classifier sees it."""

    id: str
    name: str
    description: str = ""
    billing: str = "hourly"  # hourly | fixed_fee
    project_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabeledExample:
    """A label a person approved or corrected (an override row), used as the firm's own history."""

    client: str
    notes: str
    person: str
    project: str
    task: str
    sow_item: str | None
    work_type: str | None
    month: str = ""  # the labelled entry's month (YYYY-MM); "" when not known (always history)
    approved: bool = False  # from an approved invoice as billed, not a reviewer's label


@dataclass(frozen=True)
class ClientContext:
    """What a classifier knows about one client in one month."""

    client: str  # slug
    client_name: str
    sow_items: tuple[SowItemInfo, ...]
    work_types: tuple[str, ...]  # allowed answers, always including "standard" and "rush"
    sow_version: str  # content hash of the SOW items: part of every cache key
    history: tuple[LabeledExample, ...] = ()


@dataclass(frozen=True)
class ClassifyRequest:
    """One entry and which of its two fields are still undecided."""

    entry: TimeEntry
    need_sow_item: bool
    need_work_type: bool
    known_sow_item: str | None = None
    known_work_type: str | None = None


@dataclass
class ClassifierUsage:
    """What a classify call cost: requests, tokens and dollars (zero for the offline classifier)."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, other: ClassifierUsage) -> None:
        self.requests += other.requests
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.cache_creation_input_tokens += other.cache_creation_input_tokens
        self.cache_read_input_tokens += other.cache_read_input_tokens
        self.cost_usd += other.cost_usd
        self.notes.extend(other.notes)


class Classifier(Protocol):
    """Places entries on SOW items and work types with a confidence in [0, 1]."""

    @property
    def cache_id(self) -> str:
        """Identifies the classifier and its model/version in cache keys (e.g. "offline-v1")."""
        ...

    def classify(
        self, context: ClientContext, requests: Sequence[ClassifyRequest]
    ) -> tuple[list[Suggestion], ClassifierUsage]:
        """One Suggestion per request, in order. A Suggestion's sow_item must be one of the
        context's SOW ids or None; its work_type one of context.work_types or None."""
        ...


CLASSIFIERS = ("auto", "offline", "cascade", "claude")


def classifier_kind(env: Mapping[str, str]) -> str:
    """BILLING_CLASSIFIER as a kind of CLASSIFIERS (case and spaces aside); ValueError for an unknown one, or for
    Claude without ANTHROPIC_API_KEY."""
    kind = (env.get("BILLING_CLASSIFIER") or "auto").strip().lower()
    if kind not in CLASSIFIERS:
        raise ValueError(f"BILLING_CLASSIFIER must be auto, offline, cascade or claude, got "
                         f"{env.get('BILLING_CLASSIFIER')!r}")
    if kind in ("cascade", "claude") and not env.get("ANTHROPIC_API_KEY"):
        raise ValueError(f"BILLING_CLASSIFIER={kind} needs ANTHROPIC_API_KEY (or BILLING_CLASSIFIER=offline)")
    return kind
