"""The `billing` command: close months, validate inputs, write the demo firm, build review files."""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from billing_assets.core.errors import WarehouseLocked, WarehouseUnreachable
from billing_assets.core.months import add_months, month_range, month_span
from billing_assets.settings import (
    REPO_ROOT,
    billing_db,
    billing_home,
    dagster_home,
    environment_problems,
    firm_now,
    first_month,
    shipped_before,
    warehouse_url,
)

if TYPE_CHECKING:
    from dagster import DagsterInstance

DEMO_MONTHS = ("2026-08", "2026-10")


def parse_months(text: str) -> list[str]:
    """`YYYY-MM` or `YYYY-MM..YYYY-MM`; closed months only (the current month is still open)."""
    try:
        months = month_span(text)
    except ValueError as exc:
        raise SystemExit(f"billing: --month {exc}") from None
    from billing_assets.core.whatif import not_closed_yet  # the one rule, shared with the `whatif` job

    if problem := not_closed_yet(months, firm_now()):
        raise SystemExit(f"billing: {problem}")
    return months


def partitions_from(months: list[str]) -> list[str]:
    """`months`, with this process's month partitions starting at the first of them when that is before the firm's
    first month partition (BILLING_FIRST_MONTH, else January two years back): a home whose exports are older is
    closed, not stopped by a traceback. Says so once, with what makes the UI show those months too."""
    built = sys.modules.get("billing_assets.partitions")
    if built is not None:  # this process made its partitions already (the command called in-process)
        if months[0] < built.FIRST_MONTH:
            raise SystemExit(f"billing: {months[0]} is before the first month partition {built.FIRST_MONTH}: "
                             f"run the command with BILLING_FIRST_MONTH={months[0]}")
        return months
    start = first_month()
    if months[0] < start:
        os.environ["BILLING_FIRST_MONTH"] = months[0]
        print(f"note: {months[0]} is before the first month partition, {start} (BILLING_FIRST_MONTH, else January two "
              f"years back): this command's partitions start at {months[0]}; set BILLING_FIRST_MONTH={months[0]} "
              "where `dagster dev` runs for the UI to show them", file=sys.stderr)
    return months


def prepare_environment(home: Path | None = None, instance: bool = True) -> DagsterInstance | None:
    """Fix BILLING_HOME / BILLING_DB / DAGSTER_HOME for this process and create DAGSTER_HOME with dagster.yaml;
    with `instance`, set the instance up and recover from crashed commands before anything launches, and return
    it (the command goes on with it: opening it again costs a third of a second)."""
    if home is not None:
        os.environ["BILLING_HOME"] = str(home)
    os.environ["BILLING_HOME"] = str(billing_home())
    if not warehouse_url():  # a DuckDB file: its absolute path (a PostgreSQL URL stays as given)
        os.environ["BILLING_DB"] = str(billing_db())
    elif warning := duckdb_left_behind(billing_home() / "billing.duckdb"):
        print(f"warning: {warning}", file=sys.stderr)
    dh = dagster_home()
    dh.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(dh)
    if not (dh / "dagster.yaml").exists() or shipped_before(dh / "dagster.yaml"):  # an earlier release's copy
        from billing_assets.instance_setup import install_dagster_yaml

        install_dagster_yaml(dh, REPO_ROOT / "dagster.yaml")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    if instance:
        from billing_assets.recovery import prepare_instance

        return prepare_instance(dh)  # dead runs failed and their pool slots freed; bounded, announced waits
    return None


def duckdb_left_behind(path: Path) -> str:
    """With the warehouse in PostgreSQL: what a DuckDB warehouse left in the billing home holds that PostgreSQL does
    not know (its sent invoices would be drafted and sent again), or "" when there is none or nothing sent in it."""
    if not path.is_file():
        return ""
    import duckdb

    try:
        with duckdb.connect(str(path), read_only=True) as conn:
            sent = conn.execute("SELECT count(*) FROM sent_invoices").fetchone()[0]
    except duckdb.Error:  # held by a writer, or not a warehouse: nothing to say for sure
        return ""
    return (f"BILLING_DB is PostgreSQL, but {path} holds an earlier DuckDB warehouse with {sent} sent invoice(s), "
            "which PostgreSQL does not know: their months would be drafted and sent again. Move that history "
            "first (README: Running on AWS), then rename the file") if sent else ""


def cmd_close(args: argparse.Namespace) -> int:
    if args.push:
        os.environ["BILLING_PUSH"] = args.push
    months = partitions_from(parse_months(args.month))
    instance = prepare_environment()
    from billing_assets.close import close_months, print_summary
    from billing_assets.push import RECREATE_DELETED_TAG

    tags = {RECREATE_DELETED_TAG: "true"} if args.recreate_deleted else None
    outcome = close_months(months, args.client or None, instance=instance, tags=tags)
    print_summary(outcome)
    return 0 if outcome.ok else 1


VALIDATE_LOCK_WAIT_S = 5.0


def _sent_months_known() -> tuple[dict[str, set[str]], str]:
    """(each client's sent months, from the warehouse; "" or why they could not be read). Validate reads exports
    and contracts; the warehouse only tells it which months were sent, so that their rows now outside an
    engagement are not called never billed."""
    from billing_assets.core.contract import contract_paths
    from billing_assets.environment import build_warehouse
    from billing_assets.status import sent_months
    from resources.warehouse_duckdb import DuckDBWarehouse

    warehouse = build_warehouse()
    if isinstance(warehouse, DuckDBWarehouse):  # a close holding the file: a few seconds, not a close's 120 s
        warehouse = DuckDBWarehouse(database=warehouse.database, lock_timeout_s=VALIDATE_LOCK_WAIT_S)
    try:
        return sent_months(warehouse, set(contract_paths(billing_home() / "contracts"))), ""
    except Exception as exc:  # noqa: BLE001 - an unreachable or locked warehouse must not stop a file check
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {}, (f"the warehouse was not read ({first}): a month whose invoice was sent is not known here, so "
                    "its rows now outside an engagement are said never billed")


def cmd_validate(args: argparse.Namespace) -> int:
    prepare_environment(instance=False)
    from billing_assets.environment import build_time_source
    from billing_assets.validate import validate_report

    parsed, time_source = None, build_time_source(str(billing_home()))
    if time_source.kind != "csv":  # an API: the months asked (the folder is read whole)
        from billing_assets.export_changes import source_for_reading
        from resources.harvest_api import HarvestError

        months = parse_months(args.month) if args.month else [add_months(firm_now().strftime("%Y-%m"), -1)]
        try:
            parsed = source_for_reading(time_source).load(months)
        except HarvestError as exc:
            print(f"billing: Harvest could not be read for {months[0]}..{months[-1]}: {str(exc).splitlines()[0]}",
                  file=sys.stderr)
            return 1
    sent, unread = _sent_months_known()
    problems, warnings_, files = validate_report(billing_home(), parsed, sent)
    if unread:
        warnings_.append(unread)
    if files:
        print("Files read:")
        for line in files:
            print(f"  {line}")
    for warning in warnings_:
        print(f"warning: {warning}")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s), {len(warnings_)} warning(s) in {billing_home()}")
    return 1 if problems else 0


def cmd_demo(args: argparse.Namespace) -> int:
    home = Path(args.home or os.environ.get("BILLING_HOME") or "demo_home").resolve()
    from demo_firm import write_demo_home
    from demo_firm.generate import CLIENTS, MONTHS

    ours = {f"contracts/{c.slug}.yaml" for c in CLIENTS} | {
        f"{kind}/harvest_{what}_{m}.csv" for m in MONTHS for kind, what in (("timesheets", "time"),
                                                                              ("expenses", "expenses"))}
    theirs = sorted(str(p.relative_to(home)) for folder in ("contracts", "timesheets", "expenses")
                    for p in (home / folder).glob("*") if p.is_file() and str(p.relative_to(home)) not in ours)
    if theirs:  # found by an auditor: with BILLING_HOME set, the demo wrote into a firm's home and pushed to its books
        print(f"billing: {home} already holds a firm's files ({', '.join(theirs[:3])}"
              f"{', ...' if len(theirs) > 3 else ''}): the demo writes and closes a made-up firm; give it an empty "
              "folder (`billing demo --home demo_home`)", file=sys.stderr)
        return 2
    os.environ.update(BILLING_PUSH="outbox", BILLING_SOURCE="csv")  # never the firm's QuickBooks or Harvest
    os.environ.pop("BILLING_DB", None)
    write_demo_home(home)
    print(f"demo billing home written to {home}")
    instance = prepare_environment(home)
    from billing_assets.close import close_months, print_summary

    outcome = close_months(month_range(*DEMO_MONTHS), None, instance=instance)
    print_summary(outcome)
    return 0 if outcome.ok else 1


def _review_counts(path: Path) -> tuple[int, int]:
    """(entries to review, entries written off) of a review file (a note with a line break is one row); the
    written-off ones are listed for the record, not for a decision. (0, 0) when there is no file."""
    if not path.exists():
        return 0, 0
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reasons = [row.get("reasons") or "" for row in csv.DictReader(handle)]
    written_off = sum(1 for r in reasons if r == "written_off")
    return len(reasons) - written_off, written_off


def cmd_review(args: argparse.Namespace) -> int:
    months = partitions_from(parse_months(args.month))
    instance = prepare_environment()
    from billing_assets.close import close_months, print_problems
    from billing_assets.core.quality import counted

    outcome = close_months(months, args.client or None, stages="review", instance=instance)
    print_problems(outcome)
    for month in months:
        path = billing_home() / "review" / f"{month}.csv"
        to_review, written_off = _review_counts(path)
        print(f"{path}: {counted(to_review, 'entry', 'entries')} to review"
              + (f" ({written_off} written off, listed for the record)" if written_off else ""))
    return 0 if outcome.ok else 1


def cmd_approve(args: argparse.Namespace) -> int:
    if not (args.by or "").strip():  # found by an auditor: without $USER, approval ended in a traceback
        print("billing: approval records who approved: give your name with --by (no $USER to default to)",
              file=sys.stderr)
        return 2
    instance = prepare_environment()
    from billing_assets.approve import approve, sent_events
    from billing_assets.environment import build_resources
    from billing_assets.export_changes import source_for_reading
    from billing_assets.gate import blocking_failures
    from billing_assets.refusals import refusals

    months = parse_months(args.month)
    resources = build_resources()
    from billing_assets.core.contract import contract_paths

    clients = args.client or sorted(set(contract_paths(billing_home() / "contracts"))
                                    | _priced_clients(resources["warehouse"], months))
    if args.client and (unknown := sorted(set(clients) - set(contract_paths(billing_home() / "contracts"))
                                          - _priced_clients(resources["warehouse"], months))):
        # found by an auditor: a mistyped --client was "skipped, no pushed draft" with exit 0, as if nothing was due
        print(f"billing: no client {', '.join(unknown)}: no contracts/<client>.yaml and nothing priced for "
              f"{args.month}", file=sys.stderr)
        return 1
    pairs = [(c, m) for m in months for c in clients]
    # each draft is sent where it was pushed: the sink of each recorded kind is built (and its EnvVar secrets
    # resolved, as a run does) only when a draft of that kind is sent
    changed = refusals(source_for_reading(resources["time_source"]), resources["home"], resources["warehouse"], pairs)
    results = approve(resources["warehouse"], None, pairs, args.by, blocking_failures(resources["warehouse"], pairs),
                      home=str(billing_home()), exports_changed=changed)
    resources["warehouse"].refresh_read_copy()
    if instance is not None:  # the UI's partition pages and overview show the sending at once
        from billing_assets.overview import overview_materialization

        for event in sent_events(results):
            instance.report_runless_asset_event(event)
        if any(r.status in ("sent", "already_sent") for r in results):
            with resources["warehouse"].connect() as conn:
                instance.report_runless_asset_event(overview_materialization(conn))
    for r in results:
        print(f"{r.client:<28} {r.month:<8} {r.status:<13} {r.detail}")
    return 0 if all(r.settled for r in results) else 1


def _priced_clients(warehouse, months: list[str]) -> set[str]:
    """Clients with an invoice priced in `months`, contract or not: a client whose contract file was removed (or
    renamed) keeps its pushed drafts, which firm-wide approval names instead of passing over in silence."""
    from resources.warehouse import query

    if not warehouse.exists():
        return set()
    with warehouse.connect() as conn:
        return {r["client"] for r in query(conn, "priced_months") if r["month"] in months}


def cmd_whatif(args: argparse.Namespace) -> int:
    prepare_environment(instance=False)
    from billing_assets.core.errors import BillingInputError, ContractError
    from billing_assets.environment import build_resources
    from billing_assets.whatif import (
        ScenarioContractFile,
        print_reports,
        reading,
        reports_json,
        scenario_notes,
        unclosed_months,
        whatif_reports,
    )

    months = parse_months(args.month)
    try:
        scenario = ScenarioContractFile(Path(args.contract), args.contract)
        resources = build_resources()
        unclosed = unclosed_months(resources["time_source"], resources["home"], resources["warehouse"],
                                   scenario.client, months)
        with reading() as conn:
            reports = whatif_reports(conn, scenario, months, args.client, unclosed)
    except ContractError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return 2
    except BillingInputError as exc:
        print(f"billing: {exc}", file=sys.stderr)
        return 2
    for note in scenario_notes(billing_home(), scenario, months[-1]):
        print(f"note: {note}", file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(reports_json(reports))
    else:
        print_reports(reports)
    return 0


def cmd_export_ledes(args: argparse.Namespace) -> int:
    prepare_environment(instance=False)
    from billing_assets.core.contract import contract_paths
    from billing_assets.core.errors import BillingInputError
    from billing_assets.environment import build_resources
    from billing_assets.export_changes import source_for_reading
    from billing_assets.ledes_export import export_ledes
    from billing_assets.refusals import refusals
    from billing_assets.whatif import reading

    months = parse_months(args.month)
    resources = build_resources()
    clients = args.client or sorted(contract_paths(billing_home() / "contracts"))
    changed = refusals(source_for_reading(resources["time_source"]), resources["home"], resources["warehouse"],
                       [(c, m) for c in clients for m in months])
    try:
        with reading() as conn:
            result = export_ledes(conn, billing_home(), months, args.client, Path(args.out), changed)
    except BillingInputError as exc:
        print(f"billing: {exc}", file=sys.stderr)
        return 1
    for message in result.messages:
        print(message)
    print(f"{len(result.written)} LEDES file(s) written to {args.out}")
    return 1 if result.failed else 0

def cmd_contract(args: argparse.Namespace) -> int:
    from billing_assets.contract_draft import cmd_contract_draft

    return cmd_contract_draft(Path(args.sow), args.client, billing_home(), args.force)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="billing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    close = sub.add_parser("close", help="materialise the whole graph for client-months, months in order")
    close.add_argument("--month", required=True, help="YYYY-MM or YYYY-MM..YYYY-MM")
    close.add_argument("--client", action="append", help="only these clients (repeatable)")
    close.add_argument("--push", choices=("outbox", "qbo"), help="where drafts go (default $BILLING_PUSH or outbox)")
    close.add_argument("--recreate-deleted", action="store_true",
                       help="draft again our QuickBooks drafts a person deleted (otherwise reported, not pushed)")
    close.set_defaults(func=cmd_close)
    validate = sub.add_parser("validate", help="check every contract and export; list all problems")
    validate.add_argument("--month", help="with BILLING_SOURCE=harvest: the months read from Harvest (YYYY-MM or "
                          "YYYY-MM..YYYY-MM; default the previous month); the folder is read whole")
    validate.set_defaults(func=cmd_validate)
    demo = sub.add_parser("demo", help="write the demo billing home and close its months")
    demo.add_argument("--home", help="where to write it (default $BILLING_HOME or ./demo_home)")
    demo.set_defaults(func=cmd_demo)
    approve = sub.add_parser("approve", help="send pushed drafts after review; records who approved them")
    approve.add_argument("--month", required=True)
    approve.add_argument("--client", action="append")
    approve.add_argument("--by", default=os.environ.get("USER", ""), help="the approver's name (default $USER)")
    approve.set_defaults(func=cmd_approve)
    review = sub.add_parser("review", help="classify and write review/<month>.csv for people to fill")
    review.add_argument("--month", required=True)
    review.add_argument("--client", action="append")
    review.set_defaults(func=cmd_review)
    whatif = sub.add_parser("whatif", help="price past months under a changed contract; writes nothing")
    whatif.add_argument("--contract", required=True, help="the changed contract file (its client: names the client)")
    whatif.add_argument("--month", required=True, help="YYYY-MM or YYYY-MM..YYYY-MM")
    whatif.add_argument("--client", help="must agree with the contract's client")
    whatif.add_argument("--json", action="store_true", help="print the report as JSON")
    whatif.set_defaults(func=cmd_whatif)
    export = sub.add_parser("export", help="write e-billing files of closed months").add_subparsers(
        dest="format", required=True)
    ledes = export.add_parser("ledes", help="LEDES 1998B files for clients whose contract has ledes:")
    ledes.add_argument("--month", required=True, help="YYYY-MM or YYYY-MM..YYYY-MM")
    ledes.add_argument("--client", action="append", help="only these clients (repeatable)")
    ledes.add_argument("--out", required=True, help="the folder to write <client>_<month>.ledes into")
    ledes.set_defaults(func=cmd_export_ledes)

    contract = sub.add_parser("contract", help="contract tools").add_subparsers(dest="contract_command", required=True)
    draft = contract.add_parser("draft", help="draft contracts/<client>.draft.yaml from an engagement letter or SOW "
                                              "(.txt, .md, .docx, .pdf) with Claude; every value quotes its clause")
    draft.add_argument("sow", help="the document")
    draft.add_argument("--client", required=True, help="the client id (the draft is contracts/<client>.draft.yaml)")
    draft.add_argument("--force", action="store_true", help="replace an existing draft")
    draft.set_defaults(func=cmd_contract)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.filterwarnings("ignore", message=r".*(is currently in (beta|preview)|PreviewWarning|BetaWarning).*")
    warnings.filterwarnings("ignore", module=r"dagster.*")
    args = build_parser().parse_args(argv)
    if problems := environment_problems():
        for problem in problems:
            print(f"billing: {problem}", file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except (WarehouseLocked, WarehouseUnreachable) as exc:  # held past BILLING_LOCK_TIMEOUT, or not there: one line
        print(f"billing: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `billing whatif ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 0
    except Exception as exc:  # Dagster's DagsterInvalidConfigError (dagster is imported lazily): an EnvVar unset
        if type(exc).__name__ != "DagsterInvalidConfigError":
            raise
        missing = sorted(set(re.findall(r'environment variable "(\w+)" which is not set', str(exc))))
        print(f"billing: {', '.join(missing)} not set: the configured resources need "
              f"{'it' if len(missing) == 1 else 'them'} (README: Configuration)" if missing else
              f"billing: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
