"""The review queue: held entries with their reasons and suggestions, as a table and as review/<month>.csv."""


import csv
import io
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from billing_assets import status
from billing_assets.classify import classified_time_entries
from billing_assets.common import hours_text, not_active_metadata, partition_metadata, run_partitions
from billing_assets.core.money import shown_hours
from billing_assets.core.overrides import decided_ids
from billing_assets.core.safecsv import safe_cell
from billing_assets.ingest import ASSET_DEFAULTS, WAREHOUSE_KIND
from billing_assets.tables import markdown_table
from resources.files import write_atomic
from resources.home import BillingHome
from resources.warehouse import Warehouse, WarehouseConnection, query, replace_partitions, rows_by_partition

REVIEW_COLUMNS = ("client", "month", "entry_id", "entry_date", "person", "project", "notes", "hours", "reasons",
                  "work_type", "suggestion", "confidence", "rationale", "action", "closest_items")
CSV_COLUMNS = ("entry_id", "client", "date", "person", "project", "notes", "hours", "reasons", "suggestion",
               "suggested_work_type", "confidence", "rationale", "work_type", "sow_item", "action", "note", "closest_1",
               "closest_2")
_CLOSEST = re.compile(r"closest: ([^|;]+)")


def why_held(rationale: str) -> str:
    """The rationale as a reviewer reads it beside the closest items: what matched and what was unsure, without
    the closest-items part the table shows in its own column."""
    return " · ".join(p for p in (rationale or "").split(" | ") if not p.startswith("closest: "))


def closest_items(rationale: str) -> str:
    """The classifier's two closest SOW items with their scores ("S2 0.61, S5 0.30"), or ""."""
    found = _CLOSEST.search(rationale or "")
    return found.group(1).strip() if found else ""


ItemNames = dict[str, dict[str, str]]  # client -> SOW item id -> name


def item_names(conn: WarehouseConnection, month: str) -> ItemNames:
    """The SOW item names of every client's contract for `month` (as this run read the contracts)."""
    out: ItemNames = {}
    for row in query(conn, "sow_contracts_month", {"month": month}):
        sow = json.loads(row["contract_json"]).get("sow") or {}
        out[row["client"]] = {item["id"]: item["name"] for item in sow.get("items", [])}
    return out


def closest_cells(closest: str, names: dict[str, str]) -> list[str]:
    """The two closest items as a reviewer reads them: "S2 0.61 Website build" (id, score, name); "" when the
    classifier named none."""
    cells = []
    for piece in (closest or "").split(", ")[:2]:
        item_id = piece.rpartition(" ")[0]
        name = names.get(item_id, "")
        cells.append(f"{piece} {name}".strip() if item_id and name else piece)
    return (cells + ["", ""])[:2]


def keep_decided(path: Path) -> str:
    """A review file a reviewer filled in and saved in place is renamed (`<month>.decided-<UTC time>.csv`) before the
    close writes the month's review file again, so their decisions are not overwritten; the new name, or ""."""
    if not path.is_file() or not decided_ids(path):
        return ""
    kept = path.with_name(f"{path.stem}.decided-{datetime.now(UTC):%Y%m%d-%H%M%S}.csv")
    path.rename(kept)
    return kept.name


def review_csv(rows: list[dict], names: ItemNames | None = None) -> str:
    """review/<month>.csv: one row per held entry with the classifier's suggestion (SOW item, work type,
    confidence); work_type, sow_item, action, note are for the reviewer.
    Saved under overrides/, the filled rows apply on the next run. Text cells are spreadsheet-safe (core.safecsv);
    hours and confidence stay numbers; the two closest SOW items carry their names (`names`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        closest = closest_cells(r["closest_items"], (names or {}).get(r["client"], {}))
        writer.writerow([safe_cell(r["entry_id"]), safe_cell(r["client"]), r["entry_date"].isoformat(),
                         safe_cell(r["person"]), safe_cell(r["project"]), safe_cell(r["notes"]),
                         f"{shown_hours(r['hours']):f}", safe_cell(r["reasons"]), safe_cell(r["suggestion"] or ""),
                         safe_cell(r["work_type"] or ""), f"{r['confidence']:.2f}", safe_cell(r["rationale"]),
                         "", "", "", ""]
                        + [safe_cell(c) for c in closest])
    return out.getvalue()


@asset(group_name="classify", kinds={WAREHOUSE_KIND, "csv"}, deps=[classified_time_entries], **ASSET_DEFAULTS)
def review_queue(context: AssetExecutionContext, home: BillingHome, warehouse: Warehouse) -> MaterializeResult:
    """Entries held for review (and written-off ones, for the record) with reasons, the classifier's suggestion
    and confidence; rewrites $BILLING_HOME/review/<month>.csv with every client's rows of the month, with
    empty override columns a reviewer fills and saves under overrides/."""
    pairs = run_partitions(context)
    with warehouse.connect() as conn:
        states = status.recorded(conn, pairs)
        others = {pair: states[pair] for pair in status.clearable(states)}
        found = rows_by_partition(conn, "review_rows", pairs)
        rows = [tuple(r[c] for c in REVIEW_COLUMNS[:-1]) + (closest_items(r["rationale"]),)
                for pair in pairs for r in found.get(pair, [])]
        # a blocked month keeps the held entries its last classification listed: the review file must not lose
        # them while a bad decision row or export stops the month (they come back as they were once it is fixed)
        kept = {pair for pair, state in states.items() if state.state == status.BLOCKED}
        replace_partitions(conn, [p for p in pairs if p not in kept], {"review_queue": (REVIEW_COLUMNS, rows)})
        files, names = {}, {}
        for month in sorted({m for _, m in pairs}):
            names[month] = item_names(conn, month)
            path = home.review_dir() / f"{month}.csv"
            files[month] = str(path)
            if kept_as := keep_decided(path):
                context.log.warning(f"review/{month}.csv held decisions saved there, where no close reads them: kept "
                                    f"as review/{kept_as}; save it under overrides/ to apply them")
            if path.exists() or any(m == month and (c, m) not in others for c, m in pairs):
                # not for a month the run holds only outside the engagement or blocked (a header-only file)
                # with a BOM: Excel opens a UTF-8 file without one as its ANSI code page ("ZoÃ« MÃ¼ller"), and a
                # note typed there was saved in cp1252 beside the names' UTF-8 bytes, a file no reader can take
                write_atomic(path, review_csv(query(conn, "review_month", {"month": month}), names[month]),
                             encoding="utf-8-sig")
    by_pair: dict[tuple[str, str], list[tuple]] = {pair: [] for pair in pairs}
    for r in rows:
        by_pair[(r[0], r[1])].append(r)
    not_active_metadata(context, others)  # a blocked month said "0 held entries", as if it had been reviewed
    for (client, month), held in by_pair.items():
        if (client, month) in others:
            continue
        sow = names[month].get(client, {})
        waiting = [r for r in held if r[8] != "written_off"]  # written-off rows are listed for the record
        partition_metadata(context, client, month, {
            "held_entries": len(waiting),
            "held_hours": MetadataValue.text(hours_text(sum((r[7] for r in waiting), Decimal(0)))),
            "written_off_hours": MetadataValue.text(hours_text(sum((r[7] for r in held if r not in waiting),
                                                                   Decimal(0)))),
            "review_file": MetadataValue.path(files[month]),
            "held": MetadataValue.md(markdown_table(
                ("date", "person", "hours", "reasons", "suggestion", "work type", "confidence", "closest SOW items",
                 "why", "notes"),
                [(r[3], r[4], f"{shown_hours(r[7]):f}", r[8], r[10], r[9], f"{r[11]:.2f}",
                  "; ".join(filter(None, closest_cells(r[14], sow))), why_held(r[12]), r[6]) for r in held])),
        })
    return MaterializeResult()
