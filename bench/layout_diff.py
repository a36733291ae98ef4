"""A metamorphic probe of the export reader across tools and locales: the same time entries, written as another
vendor's export (Harvest, Toggl, Clockify, QuickBooks Time) in another number format, date format, duration
format, clock, delimiter, encoding and line end (tests/layout_convert.py), must be read as the same entries, or
be refused with one-line problems naming the file (and row). Anything else is a finding.

    python bench/layout_diff.py --seeds 200
    python bench/layout_diff.py --seeds 50 --start 1000 --layout toggl

Prints every finding (seed, layout/variant, encoding, the fields read wrong, a minimal diff) and unexpected
refusals, then counts per variant: exact; refused as the design documents (dates that fit both orders and no
setting, a legacy code page read two ways, the home's date order spreading the dates); refused otherwise; read in
the order of a home set for another locale (`settings.yaml` given wrong: judgement, not a finding); findings. Exit
1 on a finding.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.layout_convert import (  # noqa: E402
    ENCODINGS,
    SLASHED,
    VARIANTS,
    Entry,
    Variant,
    Verdict,
    encodable,
    generate,
    judge,
    needs_date_order,
    table,
    to_bytes,
)

KINDS = ("exact", "refused", "refused-unexpected", "wrong-setting-misread", "finding")
# settings.yaml as a firm may have it: none, the file's own date order, the home's (right or of another locale)
SHORT = ("exact", "refused", "unexp-ref", "wrong-set", "finding")  # column heads of KINDS
SETTINGS = ("none", "file", "home", "home-wrong")
OTHER = {"month_first": "day_first", "day_first": "month_first"}


@dataclass
class Case:
    """One seeded conversion: the variant, encoding, line end and settings chosen, the entries and the verdict."""

    seed: int
    variant: Variant
    encoding: str
    newline: str
    setting: str  # one of SETTINGS
    expected: list[Entry]
    data: bytes
    verdict: Verdict
    ambiguous: bool  # every date fits both orders

    def expected_refusal(self) -> bool:
        """A refusal the design documents: dates that fit both orders and no (right) setting, a legacy code page
        the file's few non-ASCII words read two ways in (docs/DECISIONS.md "Encodings": short evidence is
        refused), or the home's date order spreading the dates while the other keeps them within two months."""
        problem = (self.verdict.problems or ("",))[0]
        return (self.ambiguous and self.setting in ("none", "home-wrong")) or "set encoding:" in problem \
            or "the home's date_order" in problem

    @property
    def kind(self) -> str:
        """exact | refused (as expected: ambiguous dates, no setting) | refused-unexpected | wrong-setting-misread
        (ambiguous dates read in the home's order of another locale, as told) | finding."""
        told = self.setting in ("file", "home") or (self.setting == "home-wrong" and self.ambiguous)
        if self.verdict.outcome == "refused":
            return "refused" if self.expected_refusal() else "refused-unexpected"
        if self.verdict.outcome == "finding" and self.ambiguous and self.setting == "home-wrong":
            return "wrong-setting-misread"
        if self.verdict.outcome == "exact" and self.ambiguous and not told:
            return "finding"  # a file whose dates fit both orders read one way with no setting
        return self.verdict.outcome


def settings_yaml(setting: str, label: str, variant: Variant, order: str | None) -> str:
    """The home's settings.yaml for a setting mode; a wrong home setting names the other locale's number format
    too (a file whose values decide must not heed it)."""
    right = order or SLASHED.get(variant.dates, "day_first")
    if setting == "file" and order:
        return f"files:\n  {label}: {{date_order: {order}}}\n"
    if setting == "home":
        return f"date_order: {right}\n"
    if setting == "home-wrong":
        other = "1,234.50" if variant.numbers != "1,234.50" else "1.234,50"
        return f'date_order: {OTHER[right]}\nnumber_format: "{other}"\n'
    return ""


def run_case(seed: int, root: str | Path, variant: Variant | None = None, encoding: str | None = None,
             mutate: Callable[[list[Entry]], list[Entry]] | None = None, setting: str | None = None) -> Case:
    """Write seed's entries as a variant (random unless given) into a fresh home under `root`, read it with
    `read_folder` and judge it. `mutate` changes the entries written (not those expected): a wrong converter."""
    from billing_assets.core.sources import read_folder

    rng = random.Random(seed)
    variant = variant or rng.choice(VARIANTS)
    encoding = encoding or rng.choice(ENCODINGS)
    newline = rng.choice(("\r\n", "\n"))
    quote_all = rng.random() < 0.2
    chosen = rng.choice(SETTINGS)
    setting = setting or chosen
    expected = generate(rng, variant, encoding)
    rows = table(mutate(expected) if mutate else expected, variant)
    if not encodable(rows, encoding):
        encoding = "utf-8" if encoding.startswith("utf") else "utf-8-sig"
    data = to_bytes(rows, variant.delimiter, encoding, newline, quote_all)
    home = Path(root) / f"home-{seed}-{variant.layout}-{variant.name}-{encoding}-{setting}-{mutate is not None}"
    (home / "timesheets").mkdir(parents=True)
    label = f"timesheets/{variant.layout}-{seed}.{'txt' if encoding == 'utf-16' else 'csv'}"
    (home / label).write_bytes(data)
    order = needs_date_order(expected, variant)
    if text := settings_yaml(setting, label, variant, order):
        (home / "settings.yaml").write_text(text, encoding="utf-8")
    verdict = judge(expected, read_folder(home), label, variant.tolerance)
    return Case(seed, variant, encoding, newline, setting, expected, data, verdict, order is not None)


def describe(case: Case) -> str:
    """One case in a line or three: seed, variant, encoding, line end, and what went wrong."""
    line_end = "CRLF" if case.newline == "\r\n" else "LF"
    head = (f"seed {case.seed}: {case.variant.label} {case.encoding} {line_end}"
            f" settings={case.setting}{' (dates fit both orders)' if case.ambiguous else ''}: {case.kind}")
    detail = case.verdict.detail or (case.verdict.problems[0] if case.verdict.problems else "")
    if case.verdict.fields:
        detail = f"[{', '.join(case.verdict.fields)}] {detail}"
    if case.kind == "finding" and case.verdict.outcome == "exact":
        detail = "every date fits both orders and no setting says which, yet it was read without a problem"
    return f"{head}\n    {detail}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--start", type=int, default=0, help="first seed")
    parser.add_argument("--layout", default="", help="only variants of this layout (harvest, toggl, ...)")
    parser.add_argument("--show-bytes", action="store_true", help="print the first lines of each finding's file")
    parser.add_argument("--show-misreads", action="store_true", help="print misreads under a wrong home setting")
    args = parser.parse_args(argv)
    variants = [v for v in VARIANTS if not args.layout or v.layout == args.layout]
    counts: dict[str, Counter] = defaultdict(Counter)
    encodings: Counter = Counter()
    fields: Counter = Counter()  # findings by the fields read wrong
    shown: Counter = Counter()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="layout_diff_") as root:
        for seed in range(args.start, args.start + args.seeds):
            variant = variants[seed % len(variants)] if args.layout else None
            case = run_case(seed, root, variant)
            counts[case.variant.label][case.kind] += 1
            if case.kind == "finding":
                fields[(", ".join(case.verdict.fields) or case.verdict.detail[:60], case.encoding)] += 1
            encodings[case.encoding] += 1
            if case.kind in ("finding", "refused-unexpected") or (args.show_misreads and case.kind in KINDS[3:4]):
                shown[(case.variant.label, case.kind)] += 1
                print(describe(case), flush=True)
                if args.show_bytes:
                    print("    " + "\n    ".join(case.data.decode("utf-8", "replace").splitlines()[:4]))
    elapsed = time.monotonic() - start
    total = Counter()
    for c in counts.values():
        total.update(c)
    print(f"\n{args.seeds} seeds (from {args.start}) in {elapsed:.1f} s; encodings "
          + ", ".join(f"{k} {n}" for k, n in sorted(encodings.items())))
    print(f"{'layout/variant':40s} " + " ".join(f"{k:>9s}" for k in SHORT))
    for label in sorted(counts):
        print(f"{label:40s} " + " ".join(f"{counts[label][k]:9d}" for k in KINDS))
    print(f"{'total':40s} " + " ".join(f"{total[k]:9d}" for k in KINDS))
    for (what, encoding), n in sorted(fields.items(), key=lambda item: -item[1]):
        print(f"  {n:5d} finding(s) reading {what} wrong ({encoding})")
    return 1 if total["finding"] else 0


if __name__ == "__main__":
    sys.exit(main())
