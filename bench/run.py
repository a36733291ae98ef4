"""Month-close benchmarks: `billing close` on generated billing homes, timed as a subprocess.

    python bench/run.py [--quick] [--only abcdep] [--reps 3] [--large-timeout 900] [--no-write] [--keep]

Scenarios (generation is not timed; every close runs in fresh temp dirs unless it is a re-close):
  a  100 clients x 10,000 entries, one month close                 target <= 20 s
  b  cold re-close of one client-month of (a) (`--client X`)        target <= 8 s
  c  1,000 clients x 1,000,000 entries, one month close             target <= 5 min and <= 4 GB peak RSS
  d  reconciliation of (c): hours in the CSVs = raw_time_entries = entry_outcomes.source_hours
  e  (a)-sized home where some entries need the classifier, Claude configured against the loopback
     Anthropic emulator (tests/emulators): the unchanged re-close makes 0 API requests
  g  (a) with the warehouse in PostgreSQL (BILLING_DB=postgresql://, a local cluster started as tests/servers.py
     does) beside the same close on DuckDB, in turn; invoices compared between the two
  p  py-spy profiles of one (a) close and one (b) re-close, bucketed by pipeline stage (needs py-spy)
Each close is measured with /usr/bin/time -v plus /proc polling of the process tree (peak RSS, children
included); runs launched and events written are counted in the DAGSTER_HOME sqlite storage. Results
replace the section "## Month close performance" of bench/RESULTS.md (other sections are kept; with
--only, the other scenarios' subsections of this section are kept too).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.close_homes import (  # noqa: E402
    classifier_entries,
    client_entries,
    invoice_totals,
    reconcile,
    reconciliation_markdown,
)
from bench.close_markdown import (  # noqa: E402
    SECTION,
    TABLE_HEAD,
    describe,
    existing_blocks,
    machine_text,
    progress_text,
    samples_line,
    section_body,
    stats_row,
    steps_markdown,
)
from bench.close_measure import MONTH, Outcome, Sample, close_env, code_state, run_close  # noqa: E402
from bench.close_profile import profile_markdown, profiled_close  # noqa: E402
from bench.generate import generate_home  # noqa: E402
from bench.results_md import write_section  # noqa: E402

RESULTS = REPO / "bench" / "RESULTS.md"
OWN_SECTIONS = {"g": "## Warehouse in PostgreSQL beside DuckDB (issue 17)"}


# -- scenarios -------------------------------------------------------------------------------------------


@dataclass
class Config:
    """What this invocation runs (sizes shrink with --quick)."""

    workdir: Path
    reps: int
    small: tuple[int, int]
    large: tuple[int, int]
    large_reps: int
    large_timeout: float
    rss_limit_mb: float
    classifier_share: float


def fresh_home(config: Config, source: Path, name: str) -> tuple[Path, Path]:
    """A copy of a generated home in a new directory, with its own (empty) DAGSTER_HOME."""
    root = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=config.workdir))
    shutil.copytree(source, root / "home")
    return root / "home", root / "dagster_home"


def generated(config: Config, clients: int, entries: int, share: float = 0.0) -> Path:
    """Generate (once per size) a billing home under the workdir; not timed."""
    path = config.workdir / f"src-{clients}x{entries}-{share}"
    if not path.exists():
        t0 = time.time()
        generate_home(path, clients, entries, (MONTH,), classifier_share=share)
        print(f"  generated {clients} clients x {entries} entries in {time.time() - t0:.1f} s", flush=True)
    return path


def full_closes(config: Config, source: Path, entries: int, reps: int, timeout: float,
                name: str) -> tuple[list[Sample], Path, Path]:
    """`reps` closes of the whole home, each in fresh dirs; returns the samples and the home of the last
    successful close (the first one when none succeeded)."""
    samples, home, dagster_home = [], source, source
    for i in range(reps):
        run_home, run_dagster_home = fresh_home(config, source, name)
        sample = run_close(run_home, run_dagster_home, entries, timeout=timeout, rss_limit_mb=config.rss_limit_mb)
        samples.append(sample)
        if sample.ok or i == 0:
            home, dagster_home = run_home, run_dagster_home
        print(f"  {name} rep {i + 1}: {describe(sample)}", flush=True)
        if not sample.ok:
            print(sample.tail, flush=True)
            break
    return samples, home, dagster_home


# -- the scenarios ----------------------------------------------------------------------------------------


def scenario_a_b(config: Config, do_b: bool) -> list[Outcome]:
    clients, entries = config.small
    print(f"(a) {clients} clients x {entries} entries", flush=True)
    source = generated(config, clients, entries)
    samples, home, dagster_home = full_closes(config, source, entries, config.reps, 600, "a")
    passed_a = all(s.ok for s in samples) and statistics.median(s.wall for s in samples) <= 20
    recon, recon_ok = reconciliation_markdown("(a)", reconcile(home))
    out = [Outcome("a", f"(a) {clients} clients x {entries:,} entries, one month close", "\n".join([
        f"`billing close --month {MONTH}` on a fresh home and DAGSTER_HOME each run.", "", TABLE_HEAD,
        stats_row("<= 20 s wall", samples, passed_a), "", samples_line(samples), "", steps_markdown(samples[-1]),
        "", recon]), passed_a and recon_ok, samples[0].code)]
    if do_b and samples[-1].ok:
        out.append(scenario_b(config, home, dagster_home))
    return out


def scenario_b(config: Config, home: Path, dagster_home: Path) -> Outcome:
    client = sorted(p.stem for p in (home / "contracts").glob("*.yaml"))[len(list((home / "contracts")
                                                                                   .glob("*.yaml"))) // 2]
    entries = client_entries(home, client)
    print(f"(b) re-close {client} ({entries} entries)", flush=True)
    samples = []
    for i in range(config.reps):
        samples.append(run_close(home, dagster_home, entries, clients=[client], timeout=300))
        print(f"  b rep {i + 1} (cold process): {describe(samples[-1])}", flush=True)
    passed = all(s.ok for s in samples) and statistics.median(s.wall for s in samples) <= 8
    return Outcome("b", "(b) re-close of one client-month of (a)", "\n".join([
        f"`billing close --month {MONTH} --client {client}` ({entries} entries) on the closed home of (a), "
        "same DAGSTER_HOME, repeated, each a cold process (Python start-up, imports and instance loading "
        "included).", "",
        TABLE_HEAD, stats_row("<= 8 s wall (cold process)", samples, passed), "",
        samples_line(samples), "", steps_markdown(samples[-1])]), passed, samples[0].code)


def scenario_c_d(config: Config, do_d: bool) -> list[Outcome]:
    clients, entries = config.large
    print(f"(c) {clients} clients x {entries} entries", flush=True)
    source = generated(config, clients, entries)
    samples, home, _ = full_closes(config, source, entries, config.large_reps, config.large_timeout, "c")
    med = statistics.median(s.wall for s in samples)
    peak = max(s.rss_mb for s in samples)
    passed = all(s.ok for s in samples) and med <= 300 and peak <= 4096
    notes = []
    if not samples[-1].ok:
        notes.append(f"**The run did not finish**: {describe(samples[-1])} (timeout {config.large_timeout:.0f} s, "
                     f"memory guard {config.rss_limit_mb:,.0f} MB). How far it got: "
                     f"{progress_text(samples[-1])}.")
    out = [Outcome("c", f"(c) {clients:,} clients x {entries:,} entries, one month close", "\n".join([
        f"`billing close --month {MONTH}` on a fresh home and DAGSTER_HOME each run.", "", TABLE_HEAD,
        stats_row("<= 300 s wall and <= 4,096 MB peak RSS", samples, passed), "", samples_line(samples), "",
        *notes, steps_markdown(samples[-1])]), passed, samples[0].code)]
    if do_d:
        print("(d) reconciliation", flush=True)
        text, ok = reconciliation_markdown("(c)", reconcile(home))
        if not any(s.ok for s in samples):
            text = (f"(c) did not finish ({describe(samples[-1])}): this reconciles what it had written when it "
                    f"was stopped.\n\n{text}")
        out.append(Outcome("d", "(d) reconciliation of (c)", text, ok, samples[0].code))
    return out


def scenario_p(config: Config) -> Outcome:
    """py-spy profiles of one (a) close, one (b) re-close and one (c) close."""
    clients, entries = config.small
    home, dagster_home = fresh_home(config, generated(config, clients, entries), "p")
    client = sorted(p.stem for p in (home / "contracts").glob("*.yaml"))[clients // 2]
    big, big_dagster_home = fresh_home(config, generated(config, *config.large), "p")
    runs = ((f"(a) full close, {clients} clients x {entries:,} entries", home, dagster_home, [], 100),
            (f"(b) re-close of {client}", home, dagster_home, ["--client", client], 100),
            (f"(c) full close, {config.large[0]:,} clients x {config.large[1]:,} entries", big, big_dagster_home,
             [], 50))
    parts = []
    for i, (label, run_home, run_dagster_home, extra, hz) in enumerate(runs):
        print(f"(p) py-spy on {label}", flush=True)
        raw = run_home.parent / f"profile-{i}.raw"
        wall = profiled_close(run_home, run_dagster_home, raw, hz, extra)
        parts += [f"**{label}**: py-spy {hz} Hz, active samples; {wall:.1f} s wall under the profiler.", "",
                  profile_markdown(raw, hz), ""]
    return Outcome("p", "(p) where the time goes (py-spy profiles)", "\n".join([
        "`py-spy record --format raw -- billing close ...` on fresh homes of (a) and (c). Each sample is counted "
        "once per table, in the first row whose rule its stack matches (event-log writes first).", "", *parts]),
        True, code_state())


def scenario_e(config: Config) -> Outcome:
    """Claude configured (emulator): the first close asks for what needs the classifier, re-closes ask 0."""
    from tests.emulators.anthropic_server import AnthropicEmulator

    clients, entries = config.small
    print(f"(e) {clients} clients x {entries} entries, Claude emulator, share {config.classifier_share}", flush=True)
    source = generated(config, clients, entries, config.classifier_share)
    home, dagster_home = fresh_home(config, source, "e")
    with AnthropicEmulator() as emu:
        env = close_env(home, dagster_home, {"ANTHROPIC_API_KEY": emu.api_key, "ANTHROPIC_BASE_URL": emu.base_url,
                                             "BILLING_CLASSIFIER": "claude"})
        first = counted(emu, lambda: run_close(home, dagster_home, entries, env=env, timeout=600))
        print(f"  e first close: {describe(first)}", flush=True)
        samples = []
        for i in range(config.reps):
            samples.append(counted(emu, lambda: run_close(home, dagster_home, entries, env=env, timeout=600)))
            print(f"  e re-close {i + 1}: {describe(samples[-1])}", flush=True)
    asked = classifier_entries(home)
    passed = first.ok and all(s.ok and s.api_requests == 0 for s in samples)
    return Outcome("e", f"(e) unchanged re-close with the Claude classifier configured ({clients} x {entries:,})",
                   "\n".join([
                       f"Home generated with `--classifier-share {config.classifier_share}` ({asked:,} entries whose "
                       "work type only the classifier decides); ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL point at the "
                       "loopback emulator `tests/emulators/anthropic_server.py`, BILLING_CLASSIFIER=claude. API "
                       "requests are counted by the emulator.", "",
                       "| close | API requests | wall | CPU (user+sys) | peak RSS | result |",
                       "|---|---:|---:|---:|---:|---|",
                       f"| first close (cold cache) | {first.api_requests} | {first.wall:.2f} s | {first.cpu:.1f} s | "
                       f"{first.rss_mb:,.0f} MB | {'ok' if first.ok else 'FAILED'} |",
                       *[f"| re-close {i + 1}, unchanged | {s.api_requests} | {s.wall:.2f} s | {s.cpu:.1f} s | "
                         f"{s.rss_mb:,.0f} MB | **{'PASS' if s.ok and s.api_requests == 0 else 'FAIL'}** |"
                         for i, s in enumerate(samples)],
                       "", f"Target: 0 API requests on the unchanged re-close: **{'PASS' if passed else 'FAIL'}** "
                       f"(median {statistics.median(s.api_requests or 0 for s in samples):g} requests over "
                       f"{len(samples)} re-closes)."]), passed, first.code)


def scenario_g(config: Config) -> Outcome:
    """(a)'s close with the warehouse in PostgreSQL beside DuckDB, alternating so both see the same machine."""
    from tests.servers import create_database, postgres_cluster

    clients, entries = config.small
    print(f"(g) {clients} clients x {entries} entries, DuckDB and PostgreSQL warehouse in turn", flush=True)
    source = generated(config, clients, entries)
    samples: dict[str, list[Sample]] = {"duckdb": [], "postgres": []}
    totals: dict[str, set] = {"duckdb": set(), "postgres": set()}
    with postgres_cluster() as server:
        for i in range(config.reps):
            for kind in samples:
                home, dagster_home = fresh_home(config, source, f"g-{kind}")
                url = create_database(server, f"bench_{i}") if kind == "postgres" else None
                env = close_env(home, dagster_home, {"BILLING_DB": url} if url else None)
                sample = run_close(home, dagster_home, entries, env=env, timeout=config.large_timeout,
                                   rss_limit_mb=config.rss_limit_mb)
                samples[kind].append(sample)
                print(f"  g {kind} rep {i + 1}: {describe(sample)}", flush=True)
                if not sample.ok:
                    print(sample.tail, flush=True)
                    continue
                totals[kind].add(invoice_totals(home, url))
                leftover = [p.name for p in home.parent.rglob("*.duckdb")]
                if url and leftover:
                    totals[kind].add(("duckdb files written", tuple(leftover)))
    same = totals["duckdb"] == totals["postgres"] and len(totals["duckdb"]) == 1
    passed = same and all(s.ok for kind in samples for s in samples[kind])
    (count, billed), = totals["duckdb"] or {(0, Decimal(0))}
    medians = {k: statistics.median(s.wall for s in v) for k, v in samples.items() if v}
    ratio = medians["postgres"] / medians["duckdb"] if len(medians) == 2 else float("nan")
    return Outcome("g", f"(g) the (a) close with the warehouse in PostgreSQL, beside DuckDB ({clients} x "
                        f"{entries:,})", "\n".join([
                            "The same generated home closed on a fresh home and DAGSTER_HOME each run, DuckDB and "
                            "PostgreSQL in turn (DuckDB first). PostgreSQL: Debian's server on 127.0.0.1 started as "
                            "`tests/servers.py` does (trust auth, `fsync=off`: no disk flushes, so this is the "
                            "warehouse's SQL and COPY cost, not a durable RDS write), a new database per run, "
                            "`BILLING_DB=postgresql://...`. CPU and peak RSS are the `billing` process tree's only: "
                            "the server's own CPU is not in them (it runs on the same 2 shared cores).", "",
                            TABLE_HEAD,
                            *[stats_row(f"{kind}", v, all(s.ok for s in v)) for kind, v in samples.items()], "",
                            f"PostgreSQL / DuckDB median wall: **{ratio:.2f}x**. Invoices: {count} in both, total "
                            f"billed {billed:,.2f} {'identical' if same else 'DIFFERENT'} in both "
                            f"(**{'PASS' if same else 'FAIL'}**); no `.duckdb` file written in the PostgreSQL runs' "
                            "homes.", "",
                            "DuckDB runs: " + samples_line(samples["duckdb"]), "",
                            "PostgreSQL runs: " + samples_line(samples["postgres"]), "",
                            "PostgreSQL, " + steps_markdown(samples["postgres"][-1]) if samples["postgres"] else ""]),
                   passed, samples["duckdb"][0].code if samples["duckdb"] else "")


def counted(emu, close: Callable[[], Sample]) -> Sample:
    before = len(emu.requests)
    sample = close()
    sample.api_requests = len(emu.requests) - before
    return sample


# -- main -------------------------------------------------------------------------------------------------


def build_config(args: argparse.Namespace) -> Config:
    workdir = Path(tempfile.mkdtemp(prefix="billing-bench-", dir=args.workdir))
    if args.quick:
        return Config(workdir, 1, (5, 500), (10, 2000), 1, args.large_timeout, args.rss_limit_mb, 0.2)
    return Config(workdir, args.reps, (100, 10_000), (1000, 1_000_000), args.large_reps, args.large_timeout,
                  args.rss_limit_mb, 0.2)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 1 repetition, no RESULTS.md update")
    parser.add_argument("--only", default="abcdep",
                        help="scenario letters to run (default abcdep; p needs py-spy in the venv; g, PostgreSQL "
                             "beside DuckDB, needs Debian's postgresql server package)")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--large-reps", type=int, default=3, help="repetitions of (c); stops after a failure")
    parser.add_argument("--large-timeout", type=float, default=900, help="seconds before (c) is stopped")
    parser.add_argument("--rss-limit-mb", type=float, default=12_000, help="kill a close above this RSS")
    parser.add_argument("--workdir", type=Path, default=None, help="where temp homes go (default $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the temp homes")
    parser.add_argument("--no-write", action="store_true", help="leave RESULTS.md alone")
    args = parser.parse_args(argv)
    config = build_config(args)
    only = set(args.only.replace(",", ""))
    outcomes: list[Outcome] = []
    try:
        if "a" in only:
            outcomes += scenario_a_b(config, "b" in only)
        if "c" in only:
            outcomes += scenario_c_d(config, "d" in only)
        if "e" in only:
            outcomes.append(scenario_e(config))
        if "g" in only:
            outcomes.append(scenario_g(config))
        if "p" in only and Path(sys.executable).with_name("py-spy").exists():
            outcomes.append(scenario_p(config))
    finally:
        if not args.keep:
            shutil.rmtree(config.workdir, ignore_errors=True)
    for o in outcomes:
        print(f"\n### {o.title}\n\n{o.markdown}")
    if not (args.quick or args.no_write):
        header = machine_text()
        own = [o for o in outcomes if o.key in OWN_SECTIONS]
        for o in own:  # a scenario with a section of its own (g: the warehouse comparison)
            write_section(RESULTS, OWN_SECTIONS[o.key], section_body(header, [o], {}))
            print(f"\nwrote {RESULTS.relative_to(REPO)} ({OWN_SECTIONS[o.key]})")
        closes = [o for o in outcomes if o.key not in OWN_SECTIONS]
        if closes:
            kept = {k: v for k, v in existing_blocks(RESULTS).items() if k not in {o.key for o in closes}}
            write_section(RESULTS, SECTION, section_body(header, closes, kept))
            print(f"\nwrote {RESULTS.relative_to(REPO)} ({SECTION})")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
