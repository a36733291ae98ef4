"""Cost of the cascade (offline first, Claude for the rest) on the Anthropic emulator's usage counters.

    python bench/cascade.py [--no-write]

Every client-month of the labelled sets goes through `classify_entries` with the cascade and an in-memory
answer cache, then again unchanged (the re-run must send 0 requests). Requests, tokens and dollars come from
the usage the emulator reports (prices: resources/claude_classifier.py, from shared/research/api-facts.md).
The emulator's "model" is a word-overlap stand-in, so only cost and traffic are meaningful here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.calibrate import HOMES  # noqa: E402
from bench.results_md import write_section  # noqa: E402
from billing_assets.core.cascade import CascadeClassifier  # noqa: E402
from billing_assets.core.classifier_api import ClassifierUsage  # noqa: E402
from billing_assets.core.classify import SuggestionCache, classify_entries  # noqa: E402
from billing_assets.core.contract import Contract  # noqa: E402
from billing_assets.core.model import Suggestion  # noqa: E402
from billing_assets.core.offline_classifier import OfflineClassifier  # noqa: E402
from billing_assets.core.sources import read_folder  # noqa: E402
from resources.claude_classifier import ClaudeClassifier  # noqa: E402
from tests.emulators.anthropic_server import AnthropicEmulator  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
SECTION = "## Cascade cost (offline first, Claude for the rest; Anthropic emulator)"


class DictCache(SuggestionCache):
    """The answer cache in memory (the pipeline keeps it in DuckDB)."""

    def __init__(self) -> None:
        self.items: dict[str, Suggestion] = {}

    def get_many(self, keys: Sequence[str]) -> dict[str, Suggestion]:
        return {k: self.items[k] for k in keys if k in self.items}

    def put_many(self, items: dict[str, Suggestion]) -> None:
        self.items.update(items)


@dataclass
class CascadeRun:
    entries: int = 0
    sent: int = 0
    held: int = 0
    usage: ClassifierUsage | None = None
    rerun_requests: int = 0


def run_home(home: Path, emu: AnthropicEmulator) -> CascadeRun:
    """Classify every client-month of a labelled home twice through the cascade with one cache."""
    contracts = {}
    for path in sorted((home / "contracts").glob("*.yaml")):
        contract = Contract.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
        contracts[contract.name] = contract
    groups: dict[tuple[str, str], list] = {}
    for e in read_folder(home).entries:
        if e.client_name in contracts:
            groups.setdefault((e.client_name, e.month), []).append(e)
    cache = DictCache()
    out = CascadeRun(usage=ClassifierUsage())
    remote = ClaudeClassifier(api_key=emu.api_key, base_url=emu.base_url, max_retries=0)
    cascade = CascadeClassifier(OfflineClassifier(), remote)
    try:
        for (name, _month), entries in sorted(groups.items()):
            results, usage = classify_entries(contracts[name], entries, {}, cascade.classify, cascade.cache_id,
                                              (), cache, cascade.review_floor)
            out.entries += len(entries)
            out.sent += cascade.last_sent
            out.held += sum(1 for c in results if c.held)
            out.usage.add(usage)
        for (name, _month), entries in sorted(groups.items()):
            _, usage = classify_entries(contracts[name], entries, {}, cascade.classify, cascade.cache_id, (), cache,
                                        cascade.review_floor)
            out.rerun_requests += usage.requests
    finally:
        cascade.close()
    return out


def report(runs: dict[str, CascadeRun]) -> str:
    lines = ["| set | entries | sent to Claude | requests | input / cache-write / cache-read / output tokens | "
             "cost | per 1,000 entries | held for review | requests on unchanged re-run |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, r in runs.items():
        u = r.usage or ClassifierUsage()
        lines.append(f"| {name} | {r.entries} | {r.sent} ({100 * r.sent / r.entries:.1f}%) | {u.requests} | "
                     f"{u.input_tokens} / {u.cache_creation_input_tokens} / {u.cache_read_input_tokens} / "
                     f"{u.output_tokens} | ${u.cost_usd:.4f} | {1000 * u.requests / r.entries:.1f} requests, "
                     f"${1000 * u.cost_usd / r.entries:.3f} | {r.held} | {r.rerun_requests} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    with AnthropicEmulator() as emu:
        runs = {name: run_home(home, emu) for name, home in HOMES.items()}
    body = ("Command: `python bench/cascade.py`. Model: the ClaudeClassifier default; batch size 40 entries a "
            "request; system prompt (SOW, descriptions, reviewed examples) cached.\n\n" + report(runs))
    print(body)
    if not args.no_write:
        write_section(RESULTS, SECTION, body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
