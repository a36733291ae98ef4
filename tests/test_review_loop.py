"""The review loop through the real pipeline: held entries name their two closest SOW items, and a reviewed
month (overrides CSV) makes the next month's classification better for the same people."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import duckdb

from billing_assets.cli import main
from tests.conftest import partition_page

HELDOUT = Path(__file__).parent / "fixtures" / "classify_heldout"
KEEP = ("kessler-winery.yaml", "nordlicht-logistik.yaml")  # two clients keep the closes short


def _home(billing_env) -> Path:
    """The held-out files as a billing home with two of its clients (the others' rows are unknown clients)."""
    home = billing_env(HELDOUT)
    for path in (home / "contracts").glob("*.yaml"):
        if path.name not in KEEP:
            path.unlink()
    return home


def _held_hours(db: Path, month: str) -> tuple[float, float]:
    with duckdb.connect(str(db)) as conn:
        held, total = conn.execute(
            "SELECT sum(CASE WHEN c.held THEN r.hours ELSE 0 END), sum(r.hours) FROM classified_time_entries c "
            "JOIN raw_time_entries r USING (client, month, entry_id) WHERE c.month = ?", [month]).fetchone()
    return float(held), float(total)


def _review_everything(home: Path, db: Path, month: str) -> None:
    """A reviewer labels every entry of the month (overrides/<month>-review.csv, the labels of labels.csv)."""
    with (HELDOUT / "labels.csv").open(encoding="utf-8") as handle:
        labels = {int(r["row"]): r for r in csv.DictReader(handle)}
    with duckdb.connect(str(db)) as conn:
        ids = conn.execute("SELECT entry_id, source_row FROM raw_time_entries WHERE month = ?", [month]).fetchall()
    (home / "overrides").mkdir(exist_ok=True)
    with (home / "overrides" / f"{month}-review.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["entry_id", "work_type", "sow_item", "action", "note"])
        for entry_id, row in ids:  # rows of the two kept clients only
            writer.writerow([entry_id, labels[row]["work_type"], labels[row]["sow_item"], "", ""])


def _held_page_says_why(db: Path, client: str, month: str) -> None:
    """The review queue's partition page lists the client-month's held entries: hours as written, the two
    closest items, and why (the rationale without its closest-items part)."""
    with duckdb.connect(str(db)) as conn:
        held = conn.execute("SELECT hours, rationale, notes FROM review_queue WHERE client = ? AND month = ? "
                            "ORDER BY entry_date, entry_id", [client, month]).fetchall()
    table = partition_page("review_queue", client, month)["held"].splitlines()
    assert table[0].endswith("| closest SOW items | why | notes |") and len(table) == 2 + len(held) >= 4
    for line, (hours, rationale, notes) in zip(table[2:], held, strict=True):
        cells = [c.strip() for c in line.strip("| ").split(" | ")]
        assert cells[2] == f"{hours.normalize():f}" and cells[-1] == notes, line
        assert cells[-2] == rationale.split(" | ")[0] + " · " + rationale.split(" | ")[1], line  # item, work type
        assert "closest:" not in cells[-2] and cells[-3].startswith(rationale.split("closest: ")[1][:2]), line


def test_review_loop_closest_items_and_a_better_next_month(billing_env, monkeypatch, capsys) -> None:
    home = _home(billing_env)
    main(["close", "--month", "2026-10"])  # October without any reviewed history
    cold_held, total = _held_hours(home / "billing.duckdb", "2026-10")
    _held_page_says_why(home / "billing.duckdb", "kessler-winery", "2026-10")

    warm = home / "reviewed.duckdb"  # the same files from scratch: September first, then its review
    monkeypatch.setenv("BILLING_DB", str(warm))
    main(["close", "--month", "2026-09"])
    with (home / "review" / "2026-09.csv").open(encoding="utf-8-sig") as handle:
        rows = [r for r in csv.DictReader(handle) if "low_confidence" in r["reasons"]]
    assert len(rows) >= 8
    names = {}  # SOW item id -> name, from the two kept contracts
    for path in (home / "contracts").glob("*.yaml"):
        names.update(re.findall(r"- id: (\w+)\n\s+name: (.+)", path.read_text(encoding="utf-8")))
    assert len(names) >= 8
    pattern = re.compile(r"^([A-Z]\d) ((?:0|1)\.\d\d) (.+)$")
    for r in rows:  # a held entry names its two closest SOW items: id, score and the item's name
        first, second = pattern.match(r["closest_1"]), pattern.match(r["closest_2"])
        assert first and second, r
        assert first[1] == r["suggestion"] and float(first[2]) >= float(second[2])
        assert first[3] == names[first[1]].strip("'\"") and second[3] == names[second[1]].strip("'\""), r

    _review_everything(home, warm, "2026-09")
    main(["close", "--month", "2026-10"])
    warm_held, warm_total = _held_hours(warm, "2026-10")
    assert warm_total == total
    assert warm_held / total < cold_held / total - 0.03, (warm_held, cold_held, total)


def test_a_bare_bill_bills_what_the_review_file_showed(billing_env) -> None:
    """A reviewer labels every other held row of review/<month>.csv and writes a bare `bill` on the rest. Those
    labels change the history the next close classifies with, so the classifier's answer for a bare-billed entry
    can change (kessler-winery's "workpaper review" went from A1 to A5); a bare `bill` bills the suggestion the
    reviewer saw, not the later answer."""
    home = _home(billing_env)
    db = home / "billing.duckdb"
    main(["close", "--month", "2026-10"])
    with (HELDOUT / "labels.csv").open(encoding="utf-8") as handle:
        labels = {int(r["row"]): r for r in csv.DictReader(handle)}
    with duckdb.connect(str(db)) as conn:
        source_row = dict(conn.execute("SELECT entry_id, source_row FROM raw_time_entries").fetchall())
    with (home / "review" / "2026-10.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    shown = {}
    for i, r in enumerate(rows):
        if i % 2:
            shown[r["entry_id"]] = (r["suggestion"], r["suggested_work_type"])
        else:
            label = labels[source_row[r["entry_id"]]]
            r["sow_item"], r["work_type"] = label["sow_item"], label["work_type"]
        r["action"] = "bill"
    (home / "overrides").mkdir(exist_ok=True)
    with (home / "overrides" / "2026-10-round1.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    main(["close", "--month", "2026-10"])
    with duckdb.connect(str(db)) as conn:
        billed = {e: (s, w) for e, s, w, held in conn.execute(
            "SELECT entry_id, sow_item, work_type, held FROM classified_time_entries WHERE month = '2026-10'"
        ).fetchall() if e in shown and not held}
    assert len(shown) >= 10 and billed == shown


HARVEST = ("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,"
           "Billable Rate,Billable Amount,Currency\n")


def test_a_vague_note_written_again_follows_its_review_through_the_close(billing_env) -> None:
    """September's two "Weekly call w/ counsel" are vague and held; a reviewer puts them on A3 (overrides CSV).
    October's same note by the same person is auto-assigned to A3 and billed, saying why; the same words by another
    person are still held."""
    home = billing_env(None)
    shutil.copy(HELDOUT / "contracts" / "kessler-winery.yaml", home / "contracts")
    rows = [("2026-09-03", "Weekly call w/ counsel", "Ana Ruiz"), ("2026-09-10", "Weekly call w/ counsel", "Ana Ruiz"),
            ("2026-09-04", "Tested tasting room and wine club revenue cutoff", "Ana Ruiz"),
            ("2026-10-01", "weekly call w/ counsel.", "Ana Ruiz"),
            ("2026-10-02", "Weekly call w/ counsel", "Ben Cho"),
            ("2026-10-05", "Barrel test counts at the Napa cellar", "Ben Cho")]
    (home / "timesheets" / "time.csv").write_text(HARVEST + "".join(
        f"{day},Kessler Family Winery,Audit,,Audit,{note},1.00,Yes,No,{person.split()[0]},{person.split()[1]},,"
        f"200.00,200.00,USD\n" for day, note, person in rows), encoding="utf-8")
    db = home / "billing.duckdb"

    def entries(month: str) -> dict[str, tuple]:
        with duckdb.connect(str(db)) as conn:
            return {f"{notes}|{person}": (sow, held, rationale) for notes, person, sow, held, rationale in conn.execute(
                "SELECT r.notes, r.person, c.sow_item, c.held, c.rationale FROM classified_time_entries c "
                "JOIN raw_time_entries r USING (client, month, entry_id) WHERE c.month = ?", [month]).fetchall()}

    assert main(["close", "--month", "2026-09"]) == 0
    assert entries("2026-09")["Weekly call w/ counsel|Ana Ruiz"][1] is True
    with duckdb.connect(str(db)) as conn:
        ids = [i for (i,) in conn.execute("SELECT entry_id FROM raw_time_entries WHERE notes = "
                                          "'Weekly call w/ counsel' AND month = '2026-09'").fetchall()]
    (home / "overrides" / "2026-09-review.csv").write_text(
        "entry_id,work_type,sow_item,action,note\n" + "".join(f"{i},standard,A3,,\n" for i in ids), encoding="utf-8")
    assert main(["close", "--month", "2026-10"]) == 0
    october = entries("2026-10")
    sow, held, rationale = october["weekly call w/ counsel.|Ana Ruiz"]
    assert (sow, held) == ("A3", False)
    assert rationale.startswith("Ana Ruiz wrote this note before and a reviewer put it on A3 (standard)")
    assert october["Weekly call w/ counsel|Ben Cho"][1] is True


def test_the_history_of_an_approved_month_is_its_entries_as_sent(billing_env) -> None:
    """Found by an auditor: the entries of approved invoices were read as the warehouse classified them now, so a
    close that re-classified a sent month changed the next month's history halfway through the run, and the same
    inputs closed twice gave two drafts (tallgrass-cu October 26,409.27, then 21,726.77). Approval freezes each
    billed entry's SOW item and work type (sent_entries), and the history reads that."""
    import shutil

    from billing_assets.classification_store import labelled_history
    from billing_assets.environment import build_warehouse

    home = billing_env()
    source = Path(__file__).parent / "fixtures" / "classify_dev"
    shutil.copy(source / "contracts" / "bramble-oak-coffee.yaml", home / "contracts")
    lines = (source / "timesheets" / "time.csv").read_text().splitlines()
    (home / "timesheets" / "time.csv").write_text(
        "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.startswith("2026-09") and "Bramble" in ln]) + "\n")
    assert main(["close", "--month", "2026-09"]) == 0
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 0
    db = str(home / "billing.duckdb")
    with duckdb.connect(db) as conn:
        billed = conn.execute("SELECT entry_id, sow_item, work_type FROM classified_time_entries "
                              "WHERE NOT held AND sow_item IS NOT NULL ORDER BY entry_id").fetchall()
        assert len(billed) > 10
        assert conn.execute("SELECT entry_id, sow_item, work_type FROM sent_entries ORDER BY entry_id").fetchall() \
            == billed
        conn.execute("UPDATE classified_time_entries SET sow_item = 'B1'")  # as a later close might re-classify
    with build_warehouse().connect() as conn:
        history = labelled_history(conn, {})
    assert len(history) == len(billed) and all(h.approved for h in history)
    assert sorted((h.sow_item, h.work_type) for h in history) == sorted((s, w) for _, s, w in billed)
    assert {s for _, s, _ in billed} != {"B1"}


def test_a_review_file_filled_in_and_saved_in_place_is_kept_and_named_not_overwritten(closed_golden, capsys) -> None:
    """Found by an auditor: Ctrl+S saved the decisions over review/2026-08.csv, where no close reads them; the close
    said nothing (the entries stayed held) and the next `billing review` wrote the file again: the reviewer's work
    was gone. The file is now kept under another name before the month's review file is written again, and every
    close names it until its decisions are saved under overrides/."""
    from tests.conftest import GOLDEN

    home = closed_golden(GOLDEN / "03_caps_tiers_fixed_fee", "2026-08")
    review = home / "review" / "2026-08.csv"
    with review.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    held = [r for r in rows if r["reasons"] != "written_off"]
    assert len(held) == 1 and held[0]["person"] == "Milton Waddams"  # golden 03: 2 h without a project code
    held[0]["sow_item"], held[0]["action"] = "S2", "bill"
    with review.open("w", encoding="utf-8-sig", newline="") as handle:  # saved in place
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    capsys.readouterr()
    assert main(["review", "--month", "2026-08"]) == 0
    out = capsys.readouterr().out
    kept = [p for p in (home / "review").iterdir() if p.name.startswith("2026-08.decided-")]
    assert len(kept) == 1
    assert f"warning: review/{kept[0].name}: 1 decision(s) saved in the review folder are not applied: decisions " \
           "apply from overrides/ only; save the file there (each close writes review/<month>.csv again)" in out
    with kept[0].open(encoding="utf-8-sig", newline="") as handle:
        assert [r["action"] for r in csv.DictReader(handle) if r["entry_id"] == held[0]["entry_id"]] == ["bill"]
    with review.open(encoding="utf-8-sig", newline="") as handle:  # the month's review file, written again
        assert [r["action"] for r in csv.DictReader(handle) if r["entry_id"] == held[0]["entry_id"]] == [""]
    (home / "overrides").mkdir(exist_ok=True)
    kept[0].rename(home / "overrides" / "2026-08.csv")  # as the warning says
    assert main(["close", "--month", "2026-08"]) == 0
    out = capsys.readouterr().out
    assert "saved in the review folder" not in out
    assert "initech                      2026-08       11,912.00 USD         67       0 pushed" in out  # 65 + 2 h
    with duckdb.connect(str(home / "billing.duckdb")) as conn:
        assert conn.execute("SELECT sow_item, held FROM classified_time_entries WHERE entry_id = ?",
                            [held[0]["entry_id"]]).fetchall() == [("S2", False)]
