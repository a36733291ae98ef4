"""The push: invoice drafts to the outbox or QuickBooks, only for partitions whose blocking checks passed."""


from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetMaterialization,
    AssetObservation,
    MetadataValue,
    asset,
)

from billing_assets import status
from billing_assets.common import (
    DETAILED_PARTITIONS,
    PartitionEvaluations,
    hours_text,
    money,
    run_partitions,
    single_partition,
)
from billing_assets.core.invoice import doc_number
from billing_assets.core.model import InvoiceDraft, nothing_to_bill
from billing_assets.core.months import first_day_after
from billing_assets.gate import blocking_failures, held_back
from billing_assets.ingest import ASSET_DEFAULTS
from billing_assets.overview import overview_materialization, sent_repriced_text
from billing_assets.partitions import client_month_key, client_month_partitions
from billing_assets.price import priced_line_items
from billing_assets.review import review_queue
from billing_assets.tables import line_from_row
from resources.home import BillingHome
from resources.invoice_sink import InvoiceSink, KnownPush, SinkResult
from resources.warehouse import Warehouse, WarehouseConnection, append_rows, query_keyed, rows_by_partition

RECREATE_DELETED_TAG = "billing/recreate_deleted"  # "true": draft again what a person deleted in QuickBooks
PUSH_COLUMNS = ("client", "month", "sink", "doc_number", "content_hash", "status", "external_id", "sync_token",
                "location", "diff", "pushed_at", "sink_total", "sink_tax")


def load_drafts(conn: WarehouseConnection, home: BillingHome, pairs: list[tuple[str, str]]
                ) -> tuple[dict[tuple[str, str], InvoiceDraft], dict[tuple[str, str], Decimal]]:
    """InvoiceDrafts of the priced client-months among `pairs`, and the hours each holds off its draft for review."""
    rows = query_keyed(conn, "draft_inputs", pairs)
    heads, lines = {}, defaultdict(list)
    for r in rows:
        key = (r["client"], r["month"])
        if r["row_kind"] == "invoice":
            heads[key] = r
        else:
            lines[key].append(line_from_row(r))
    drafts = {(client, month): draft_of(home, client, month, tuple(sorted(lines[(client, month)],
                                                                        key=lambda ln: ln.line_no)),
                                        Decimal(head["amount"]), head["content_hash"])
              for (client, month), head in heads.items()}
    return drafts, {key: Decimal(head["hours_held"]) for key, head in heads.items()}


def held_off_sent(hours: Decimal, month: str) -> str:
    """The same on a sent invoice: they were not on what the client received."""
    return (f"{hours_text(hours)} held for review were not on the sent invoice: fill in review/{month}.csv, save it "
            f"under overrides/ and close {month} again; the next unsent month carries them as a late change")


def sent_note(sent: dict, currency: str | None) -> str:
    """Who approved a sent client-month, when, and what the client received (a row of sent_invoice_rows.sql): the
    page says so at every later close, not only after the approval."""
    currency = sent.get("currency") or currency  # NULL on months sent before the column
    total = money(sent["total"], currency) if currency else f"{sent['total']:,.2f}"
    by, when = sent["approved_by"], f"{sent['sent_at']:%Y-%m-%d %H:%M:%S}"
    said = f"sent at {when}: {by}" if by in (SENT_BEFORE_RESTORE, SENT_IN_SINK) else f"approved by {by} at {when}"
    return f"{said}; sent total {total}"


def held_off_draft(hours: Decimal, month: str) -> str:
    """What a finance person reads on a pushed draft whose month still holds entries for review."""
    return (f"{hours_text(hours)} held for review are not on this draft: fill in review/{month}.csv, save it under "
            "overrides/ and close the month again (approving now sends the draft without them; reviewed "
            "later, they are carried by the next unsent month as a late change)")


DRAFT_STATUSES = ("created", "updated", "unchanged", "recovered")  # a draft of ours is in the sink, unsent


def sink_total_text(draft: InvoiceDraft, total: Decimal, tax: Decimal | None) -> tuple[str, bool]:
    """What QuickBooks totals our draft at, against what we priced: (the page's text, whether they disagree beyond
    the tax QuickBooks adds). Its own tax (a company's tax codes or automated sales tax) is on its total, not ours."""
    tax = tax or Decimal(0)
    ours = money(draft.total, draft.currency)
    if total == draft.total:
        inside = f" ({money(tax, draft.currency)} tax inside it, computed by QuickBooks)" if tax else ""
        return f"{money(total, draft.currency)}, as priced{inside}", False
    if total - tax == draft.total:
        return (f"{money(total, draft.currency)}: {ours} as priced + {money(tax, draft.currency)} tax computed by "
                "QuickBooks"), False
    return (f"{money(total, draft.currency)} (tax {money(tax, draft.currency)}) where we priced {ours}: QuickBooks "
            "totals the lines we pushed otherwise; open the draft in QuickBooks before approving it"), True


def draft_of(home: BillingHome, client: str, month: str, lines: tuple = (), total: Decimal = Decimal(0),
             content_hash: str = "") -> InvoiceDraft:
    """The client-month's draft with the header its contract gives it; with no lines, the draft of a month with
    nothing on it (what withdrawing our pushed draft of a month the engagement no longer covers compares against)."""
    contract = home.contract_file(client).for_month(month)
    invoice_date = first_day_after(month)
    return InvoiceDraft(client=client, month=month, customer_name=contract.name, currency=contract.currency,
                        invoice_date=invoice_date, due_date=invoice_date + timedelta(days=contract.terms_days),
                        lines=lines, total=total, content_hash=content_hash, quickbooks=contract.quickbooks)


def last_pushes(conn: WarehouseConnection, sink: str, pairs: list[tuple[str, str]]
                ) -> dict[tuple[str, str], KnownPush]:
    rows = query_keyed(conn, "last_pushes", pairs, {"sink": sink})
    return {(r["client"], r["month"]): KnownPush(r["content_hash"], r["external_id"], r["sync_token"], r["status"],
                                                 r["doc_number"]) for r in rows}


def withdraw(sink: InvoiceSink, draft: InvoiceDraft, before: KnownPush | None) -> SinkResult | None:
    """For a client-month that now prices to nothing: remove the draft we pushed earlier (a sent or edited one stays,
    a conflict). None when there is nothing to remove (never pushed, already withdrawn, or not in the sink)."""
    if before is None or before.status == "withdrawn":
        return None
    result = sink.withdraw(draft, before)
    return None if result.status == "unchanged" else result


def _stays(before: KnownPush | None) -> str:
    """For a client-month not pushed now: the draft an earlier close pushed, which stays as it was."""
    if before is None or before.status not in DRAFT_STATUSES:
        return ""
    return (f"; the draft {before.doc_number} pushed earlier stays as it was, not updated while this is unresolved: "
            "do not send it by hand")


def push_row(client: str, month: str, sink: str, doc: str, content_hash: str, status: str, external_id: str | None,
             sync_token: str | None, location: str, diff: str, sink_total: Decimal | None = None,
             sink_tax: Decimal | None = None) -> tuple:
    """One `invoice_pushes` row in PUSH_COLUMNS order, stamped now (UTC)."""
    return (client, month, sink, doc, content_hash, status, external_id, sync_token, location, diff,
            datetime.now(UTC).replace(tzinfo=None), sink_total, sink_tax)


def _record(draft: InvoiceDraft, kind: str, result: SinkResult, status: str = "") -> tuple:
    """One `invoice_pushes` row. A withdrawn draft's row names no DocNumber (none is in the sink any more; its
    diff names the one removed)."""
    status = status or result.status
    doc = "" if status == "withdrawn" else result.doc_number
    return push_row(draft.client, draft.month, kind, doc, draft.content_hash, status, result.external_id,
                    result.sync_token, result.location, result.diff, result.sink_total, result.sink_tax)


PUSHED = AssetCheckSpec(
    "client_months_pushed", asset="quickbooks_draft_invoices", blocking=True, partitions_def=client_month_partitions,
    description="Blocking: every client-month of the run inside its engagement was pushed, was unchanged or had "
                "nothing to bill. Fails naming each client-month held back and why, after the healthy ones were "
                "pushed, so the run ends failed and the run-failure alert fires.")


@asset(group_name="push", kinds={"quickbooks"}, deps=[priced_line_items, review_queue], output_required=False,
       check_specs=[PUSHED], **ASSET_DEFAULTS)
def quickbooks_draft_invoices(context: AssetExecutionContext, home: BillingHome, sink: InvoiceSink,
                              warehouse: Warehouse) -> Iterator[AssetCheckResult]:
    """Invoice drafts as QuickBooks Online Invoice payloads (EmailStatus NotSet: nothing is sent without
    approval) with an HTML preview each. Pushes only partitions whose blocking data-quality checks passed in
    their latest evaluation, in this run or an earlier one. Idempotent: an unchanged invoice is not pushed
    again; an invoice someone sent or edited in QuickBooks is never modified. A pushed draft whose month now prices
    to nothing, or falls outside the engagement, is withdrawn (deleted; recorded `withdrawn`), unless it was sent or
    edited (a conflict). Our draft a person deleted in QuickBooks is not drafted again unless the run carries the tag
    `billing/recreate_deleted=true` (`conflict_deleted` until then). A page whose month holds hours for review says
    so (`held_for_review`): they are not on the draft. A client-month held back (blocked, not priced, refused) is
    not materialised: the partition shows failed, its page keeps its last push and an observation says why."""
    pairs = run_partitions(context)
    recreate = context.run.tags.get(RECREATE_DELETED_TAG, "").strip().lower() == "true"
    blocked = blocking_failures(warehouse, pairs)
    with warehouse.connect() as conn:
        states = status.recorded(conn, pairs)
        drafts, held = load_drafts(conn, home, pairs)
        known = last_pushes(conn, sink.kind, pairs)
        sent_rows = {pair: rows[0] for pair, rows in rows_by_partition(conn, "sent_invoice_rows", pairs).items()}
    results, records, in_sink = {}, [], {}
    # a month the contracts step blocked on a contract that reads without error now (fixed since, and this step
    # run alone: "re-execute from failure"): its page and the run's check say so
    fixed = {pair: said for pair in pairs if (said := status.contract_fixed_since(states[pair], home, pair[0]))}
    for pair in pairs:
        state, draft = states[pair], drafts.get(pair)
        if state.state == status.OUTSIDE and pair in known and known[pair].status in DRAFT_STATUSES and \
                (withdrawal := withdraw(sink, empty := draft_of(home, *pair), known[pair])) is not None:
            # the engagement no longer covers the month (its `start` or `end` moved): our draft goes, as for a month
            # that prices to nothing. A sent one stays and the overview says "sent; now outside engagement"
            results[pair] = (f"{withdrawal.status}, outside the engagement", None, withdrawal.diff)
            records.append(_record(empty, sink.kind, withdrawal))
        elif state.state == status.OUTSIDE:  # no draft of ours to withdraw (a sent one stays: the overview says so)
            results[pair] = ("outside the engagement", None, state.message)
        elif state.state != status.ACTIVE:
            results[pair] = (f"blocked by {state.check_name}", None,
                             status.recorded_block(state, fixed.get(pair, "")) + _stays(known.get(pair)))
        elif pair in blocked:
            results[pair] = ("blocked", None, "; ".join(blocked[pair]) + _stays(known.get(pair)))
        elif draft is None:
            results[pair] = ("not priced", None, "pricing could not run (see priced_line_items)")
        elif nothing_to_bill(draft.total, [ln.amount for ln in draft.lines]):
            withdrawal = withdraw(sink, draft, known.get(pair))
            if withdrawal is None:
                results[pair] = ("nothing to bill", draft, "no lines to charge: total 0, not pushed (spec section 4)")
            else:
                results[pair] = (f"{withdrawal.status}, nothing to bill", draft, withdrawal.diff)
                records.append(_record(draft, sink.kind, withdrawal))
        else:
            before = known.get(pair)
            # a sent invoice's preview stays what was sent (a re-priced draft under "not sent" replaced it)
            preview = sink.preview_path(*pair) if before is not None and before.status == "sent" \
                else sink.preview(draft)
            result = sink.push(draft, before, recreate_deleted=recreate)
            if result.status == "refused":  # nothing written; the record keeps what the sink still holds
                results[pair] = ("refused", draft, result.diff)
                records.append(push_row(draft.client, draft.month, sink.kind, result.doc_number,
                                        before.content_hash if before else draft.content_hash, "refused",
                                        before.external_id if before else None,
                                        before.sync_token if before else None, result.location, result.diff))
                continue
            # a sent month priced as it was sent: the page says sent (a person reads "unchanged" as a draft)
            shown = "sent" if result.status == "unchanged" and pair in sent_rows else result.status
            results[pair] = (shown, draft, str(preview))
            if result.sink_total is not None and result.status in DRAFT_STATUSES:
                in_sink[pair] = sink_total_text(draft, result.sink_total, result.sink_tax)
            after_refusal = before is not None and before.status == "refused"  # a push went through again
            if result.status != "unchanged" or result.recovered or after_refusal:  # recovered: never recorded
                recorded_as = "recovered" if result.status == "unchanged" and result.recovered else result.status
                records.append(_record(draft, sink.kind, result, recorded_as))
                if result.recovered:
                    context.log.warning(f"{draft.client}|{draft.month}: {result.doc_number} was found in "
                                        f"{sink.kind} without a record of its push (an earlier run stopped after "
                                        f"the push); recorded as {recorded_as}")
    with warehouse.connect() as conn, conn.transaction():
        append_rows(conn, "invoice_pushes", PUSH_COLUMNS, records)
        sent_by_hand = keep_pushed_versions(conn, records, known)
    for client, month in sent_by_hand:
        context.log.warning(f"{client}|{month}: a person sent {doc_number(client, month)} in {sink.kind}, not through "
                            "approval: what was sent is frozen as the draft we pushed, and the next unsent month "
                            "carries what the month prices otherwise")
    conflicts = [r for r in records if r[5].startswith("conflict")]
    for r in conflicts:
        context.log.warning(f"{r[0]}|{r[1]}: {r[5]}: {r[9]}" if r[5] == "conflict_deleted" else
                            f"{r[0]}|{r[1]}: {r[5]}: the invoice in {r[2]} was sent or edited by a person and was "
                            f"not modified; what changed:\n{r[9]}")
    diffs = {(r[0], r[1]): r[9] for r in conflicts}
    sent_pairs = [pair for pair, (outcome, _, _) in results.items() if outcome == "conflict_sent"]
    with warehouse.connect() as conn:
        held_back_now = held_back(conn, pairs, blocked,
                                  {pair for pair, st in states.items() if st.state == status.OUTSIDE})
        sent = {(r["client"], r["month"]): r for r in query_keyed(conn, "sent_and_now", sent_pairs)} \
            if sent_pairs else {}
    for pair in held_back_now.keys() & fixed.keys():  # the run's check says what the push page says
        held_back_now[pair] = [f"{r} ({fixed[pair]})" if r.startswith("contracts.contract_valid") else r
                               for r in held_back_now[pair]]
    for (client, month), (outcome, draft, detail) in results.items():
        metadata = {"push": outcome, "sink": sink.kind}
        if (client, month) in known or outcome in (*DRAFT_STATUSES, "refused") or outcome.startswith("conflict"):
            # a number only where a draft is or was in the sink (a month outside the engagement showed one)
            metadata["doc_number"] = doc_number(client, month)
        if draft is not None and (client, month) in sent:  # the page shows what the client received
            metadata["total"] = MetadataValue.text(sent_repriced_text(
                sent[(client, month)], draft.total, draft.currency, month, states[(client, month)].engagement))
        elif draft is not None:
            metadata["total"] = MetadataValue.text(money(draft.total, draft.currency))
        if (client, month) in sent_rows:
            metadata["approval"] = MetadataValue.text(sent_note(sent_rows[(client, month)],
                                                                draft.currency if draft else None))
        if outcome in ("created", "updated", "unchanged", "sent", "conflict_sent", "conflict_edited",
                       "conflict_deleted"):
            metadata["preview"] = MetadataValue.path(detail)
            hours_held = held.get((client, month), Decimal(0))
            if outcome == "sent" and hours_held > 0:
                metadata["held_for_review"] = MetadataValue.text(held_off_sent(hours_held, month))
            elif outcome not in ("sent", "conflict_sent", "conflict_deleted") and hours_held > 0:
                metadata["held_for_review"] = MetadataValue.text(held_off_draft(hours_held, month))
        else:
            metadata["why_not_pushed"] = MetadataValue.text(detail)
        if (client, month) in in_sink:
            text, differs = in_sink[(client, month)]
            metadata["quickbooks_total"] = MetadataValue.text(text)
            if differs:
                context.log.warning(f"{client}|{month}: QuickBooks totals {doc_number(client, month)} at {text}")
        if (client, month) in diffs:
            metadata["conflict_diff"] = MetadataValue.md(f"```\n{diffs[(client, month)]}\n```")
        event = AssetObservation if (client, month) in held_back_now else AssetMaterialization
        context.log_event(event(asset_key=context.assets_def.key, partition=str(client_month_key(client, month)),
                                metadata=metadata))
    for (client, month), (outcome, _, detail) in sorted(results.items()):
        if outcome in ("blocked", "not priced", "refused"):
            context.log.error(f"{client}|{month} not pushed ({outcome}): {detail}")
    with warehouse.connect() as conn:
        context.log_event(overview_materialization(conn))
    outcomes = Counter(r[0].split(",")[0] for r in results.values())  # "withdrawn, nothing to bill" -> withdrawn
    context.log.info(f"{sink.kind}: {outcomes['created'] + outcomes['updated']} pushed, {outcomes['unchanged']} "
                     f"unchanged, {outcomes['sent']} sent before and unchanged, {outcomes['withdrawn']} withdrawn, "
                     f"{outcomes['nothing to bill']} with nothing to bill, "
                     f"{sum(n for o, n in outcomes.items() if o.startswith('conflict'))} in conflict with what a "
                     f"person sent or edited, {sum(1 for r in results.values() if r[1] is None)} not pushed")
    yield verdict(context, pairs, held_back_now)


SENT_IN_SINK = "a person in QuickBooks (sent there, not through billing approve)"  # sent_invoices.approved_by
# an outbox month whose preview says it was sent while the warehouse had no record (restored from a backup)
SENT_BEFORE_RESTORE = "an approval the warehouse has no record of (the outbox marks it sent: restored from a backup?)"


def keep_pushed_versions(conn: WarehouseConnection, records: list[tuple], known: dict[tuple[str, str], KnownPush]
                         ) -> list[tuple[str, str]]:
    """In the push's transaction: keep what each draft version pushed now is (`pushed_invoices`), and freeze as sent
    the draft a person sent in the sink itself (`conflict_sent` on a month with nothing frozen: its late changes
    were never carried). Returns the client-months frozen so."""
    versions = [(r[0], r[1], r[4]) for r in records if r[5] in DRAFT_STATUSES]
    sent_by_hand = [(r[0], r[1], before.content_hash, r[2]) for r in records
                    if r[5] == "conflict_sent" and (before := known.get((r[0], r[1]))) is not None
                    and before.status in DRAFT_STATUSES]
    if versions or sent_by_hand:  # the sent one too: a version pushed before this table existed, if still priced
        with conn.staged("pushed_keys", ("client", "month", "content_hash"),
                         versions + [(c, m, h) for c, m, h, _ in sent_by_hand]):
            conn.run("queries/snapshot_pushed_invoice.sql")
            conn.run("queries/snapshot_pushed_adjustments.sql")
    if not sent_by_hand:
        return []
    pairs = [(client, month) for client, month, _, _ in sent_by_hand]
    already = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", pairs)}
    for client, month, content_hash, kind in sent_by_hand:
        params = {"client": client, "month": month, "content_hash": content_hash}
        by = SENT_BEFORE_RESTORE if kind == "outbox" else SENT_IN_SINK
        conn.run("queries/freeze_sent_invoice_in_sink.sql", {**params, "approved_by": by})
        conn.run("queries/freeze_sent_adjustments_in_sink.sql", params)
        conn.run("queries/snapshot_sent_entries.sql", {"client": client, "month": month})
    now = {(r["client"], r["month"]) for r in query_keyed(conn, "sent_snapshot_keys", pairs)}
    return sorted(now - already)


def verdict(context: AssetExecutionContext, pairs: list[tuple[str, str]],
            held: dict[tuple[str, str], list[str]]) -> AssetCheckResult:
    """`client_months_pushed`: one evaluation per client-month (passes first: the Checks tab shows the newest, and
    a pass logged after the run's failure read "Succeeded"; in large runs only the held-back ones), and the run's
    result, failing the run when any was held back (in a run of one partition, Dagster records the result as that
    partition's evaluation: it is logged once, as the result)."""
    single = single_partition(context)
    evaluations = PartitionEvaluations(context)
    for client, month in sorted(pairs, key=lambda pair: (pair in held, pair)):
        reasons = held.get((client, month))
        if (client, month) != single and (len(pairs) <= DETAILED_PARTITIONS or reasons):
            evaluations.log(context.assets_def.key, PUSHED.name, client, month, passed=not reasons,
                            severity=AssetCheckSeverity.ERROR, blocking=True,
                            description="; ".join(reasons) if reasons else "pushed or nothing to push",
                            metadata={"why": "; ".join(reasons) if reasons else "-"})
    failures = [f"{c}|{m}: {'; '.join(r)}" for (c, m), r in sorted(held.items())]
    return AssetCheckResult(check_name=PUSHED.name, passed=not held, severity=AssetCheckSeverity.ERROR,
                            description=(("; ".join(held.get(single, [])) or "pushed or nothing to push")
                                         if single is not None else None),
                            metadata={"client_months": len(pairs), "held_back": len(held),
                                      "failures": "\n".join(failures[:50])})
