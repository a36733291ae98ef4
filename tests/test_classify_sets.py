"""Shape of the blind labelled classification sets classify_heldout3 to 15: labels match the
timesheet, items exist, the contracts load, each client has its briefed shape, and build.py rebuilds the committed
files byte for byte."""

from __future__ import annotations

import csv
import importlib.util
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from billing_assets.core.contract import load_contracts

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Shape:
    """What a set's brief asked for: entries in all, entries per client-month, ambiguous notes per client, clients."""

    name: str
    entries: int
    per_month: tuple[int, int]
    ambiguous: int
    clients: int = 6

    @property
    def home(self) -> Path:
        return FIXTURES / self.name


SETS = [Shape("classify_heldout3", 240, (19, 21), 5), Shape("classify_heldout4", 298, (22, 26), 4),
        Shape("classify_heldout5", 287, (22, 26), 4), Shape("classify_heldout6", 247, (22, 26), 4, clients=5),
        Shape("classify_heldout7", 244, (22, 26), 4, clients=5),
        Shape("classify_heldout8", 244, (22, 26), 4, clients=5),
        Shape("classify_heldout9", 240, (22, 26), 4, clients=5),
        Shape("classify_heldout10", 240, (24, 24), 4, clients=5),
        Shape("classify_heldout11", 192, (24, 24), 4, clients=4),
        Shape("classify_heldout12", 240, (24, 24), 4, clients=5),
        Shape("classify_heldout13", 240, (24, 24), 4, clients=5),
        Shape("classify_heldout14", 240, (24, 24), 4, clients=5),
        Shape("classify_heldout15", 240, (24, 24), 4, clients=5)]
pytestmark = pytest.mark.parametrize("shape", SETS, ids=[s.name for s in SETS])


def _rows(shape: Shape, name: str) -> list[dict[str, str]]:
    with (shape.home / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _contracts(shape: Shape) -> dict[str, dict]:
    out = {}
    for path in (shape.home / "contracts").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[data["client"]] = data
    return out


def _items(shape: Shape) -> dict[str, set[str]]:
    return {client: {item["id"] for item in data["sow"]["items"]} for client, data in _contracts(shape).items()}


def _files(shape: Shape) -> list[str]:
    return ["labels.csv", "timesheets/time.csv"] + sorted(
        f"contracts/{p.name}" for p in (shape.home / "contracts").glob("*.yaml"))


def test_labels_one_row_per_timesheet_row_and_items_exist(shape: Shape) -> None:
    entries, labels, items = _rows(shape, "timesheets/time.csv"), _rows(shape, "labels.csv"), _items(shape)
    assert len(labels) == len(entries) == shape.entries
    assert [int(label["row"]) for label in labels] == list(range(1, len(entries) + 1))
    names = {data["name"]: client for client, data in _contracts(shape).items()}
    for entry, label in zip(entries, labels, strict=True):
        assert names[entry["Client"]] == label["client"], label["row"]
        assert label["sow_item"] in items[label["client"]], label["row"]
        assert label["work_type"] in {"standard", "rush"}, label["row"]
        assert label["ambiguous"] in {"yes", "no"}, label["row"]
        assert entry["Date"][:7] in {"2026-09", "2026-10"}, label["row"]
        assert entry["Notes"].strip(), label["row"]
        assert entry["Project Code"] == "", label["row"]


def test_each_client_has_the_briefed_shape(shape: Shape) -> None:
    entries, labels, items = _rows(shape, "timesheets/time.csv"), _rows(shape, "labels.csv"), _items(shape)
    assert len(items) == shape.clients and all(4 <= len(ids) <= 7 for ids in items.values())
    per_month = Counter((label["client"], entry["Date"][:7]) for entry, label in zip(entries, labels, strict=True))
    low, high = shape.per_month
    assert all(low <= per_month[(client, month)] <= high for client in items for month in ("2026-09", "2026-10"))
    ambiguous = Counter(label["client"] for label in labels if label["ambiguous"] == "yes")
    assert ambiguous == dict.fromkeys(items, shape.ambiguous)
    people = {client: {f"{e['First Name']} {e['Last Name']}" for e, lab in zip(entries, labels, strict=True)
                       if lab["client"] == client} for client in items}
    assert all(3 <= len(names) <= 4 for names in people.values())
    rush = Counter(label["client"] for label in labels if label["work_type"] == "rush")
    assert set(rush) == set(items) and max(rush.values()) <= 2
    tasks = {client: {e["Task"] for e, lab in zip(entries, labels, strict=True) if lab["client"] == client}
             for client in items}
    assert all(len(names) == 1 for names in tasks.values())  # one generic Harvest task per client


def test_contracts_load_without_problems(shape: Shape) -> None:
    good, bad = load_contracts(shape.home / "contracts")
    assert bad == {}
    assert sorted(good) == sorted(_items(shape))
    assert all(data["rush_keywords"] == [] for data in _contracts(shape).values())


def test_timesheet_currency_and_rate_match_the_contract(shape: Shape) -> None:
    """Each row is in its client's contract currency at its default rate (the amount is rate x hours)."""
    contracts = {data["name"]: data for data in _contracts(shape).values()}
    for n, entry in enumerate(_rows(shape, "timesheets/time.csv"), start=1):
        contract = contracts[entry["Client"]]
        assert entry["Currency"].endswith(f" - {contract['currency']}"), n
        rate = Decimal(str(contract["default_rate"]))
        assert Decimal(entry["Billable Rate"]) == rate, n
        assert Decimal(entry["Billable Amount"]) == rate * Decimal(entry["Hours"]), n


def _build(shape: Shape) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{shape.name}_build", shape.home / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rebuild_is_byte_identical(shape: Shape, tmp_path: Path) -> None:
    module = _build(shape)
    if hasattr(module, "build"):  # heldout4 to 8 place notes on the writer's dates and set each client's currency
        module.build(tmp_path)
    else:
        module._WRITER.build(tmp_path, module.CLIENTS)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == sorted(_files(shape))
    for name in _files(shape):
        assert (tmp_path / name).read_bytes() == (shape.home / name).read_bytes(), name
