"""Shape of the labelled classification set classify_heldout3: labels match the timesheet, items exist, the
contracts load, and build.py rebuilds the committed files byte for byte."""

from __future__ import annotations

import csv
import importlib.util
from collections import Counter
from pathlib import Path

import yaml

from billing_assets.core.contract import load_contracts

SET = Path(__file__).parent / "fixtures" / "classify_heldout3"
FILES = ["labels.csv", "timesheets/time.csv"] + sorted(
    f"contracts/{p.name}" for p in (SET / "contracts").glob("*.yaml"))


def _rows(name: str) -> list[dict[str, str]]:
    with (SET / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _items() -> dict[str, set[str]]:
    out = {}
    for path in (SET / "contracts").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["client"]] = {item["id"] for item in data["sow"]["items"]}
    return out


def test_labels_one_row_per_timesheet_row_and_items_exist() -> None:
    entries, labels, items = _rows("timesheets/time.csv"), _rows("labels.csv"), _items()
    assert len(labels) == len(entries) == 240
    assert [int(label["row"]) for label in labels] == list(range(1, len(entries) + 1))
    names = {yaml.safe_load(p.read_text(encoding="utf-8"))["name"]: p.stem for p in (SET / "contracts").glob("*.yaml")}
    for entry, label in zip(entries, labels, strict=True):
        assert names[entry["Client"]] == label["client"], label["row"]
        assert label["sow_item"] in items[label["client"]], label["row"]
        assert label["work_type"] in {"standard", "rush"}, label["row"]
        assert label["ambiguous"] in {"yes", "no"}, label["row"]
        assert entry["Date"][:7] in {"2026-09", "2026-10"}, label["row"]
        assert entry["Notes"].strip(), label["row"]


def test_each_client_has_the_briefed_shape() -> None:
    entries, labels, items = _rows("timesheets/time.csv"), _rows("labels.csv"), _items()
    assert len(items) == 6 and all(4 <= len(ids) <= 7 for ids in items.values())
    per_month = Counter((label["client"], entry["Date"][:7]) for entry, label in zip(entries, labels, strict=True))
    assert all(19 <= per_month[(client, month)] <= 21 for client in items for month in ("2026-09", "2026-10"))
    ambiguous = Counter(label["client"] for label in labels if label["ambiguous"] == "yes")
    assert ambiguous == dict.fromkeys(items, 5)
    people = {client: {f"{e['First Name']} {e['Last Name']}" for e, lab in zip(entries, labels, strict=True)
                       if lab["client"] == client} for client in items}
    assert all(3 <= len(names) <= 4 for names in people.values())
    rush = Counter(label["client"] for label in labels if label["work_type"] == "rush")
    assert set(rush) == set(items) and max(rush.values()) <= 2


def test_contracts_load_without_problems() -> None:
    good, bad = load_contracts(SET / "contracts")
    assert bad == {}
    assert sorted(good) == sorted(_items())


def test_rebuild_is_byte_identical(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("heldout3_build", SET / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module._WRITER.build(tmp_path, module.CLIENTS)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(FILES)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (SET / name).read_bytes(), name
