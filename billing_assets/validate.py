"""`billing validate`: every problem in contracts, exports and overrides, each naming its file and key/row."""

from __future__ import annotations

from pathlib import Path

from billing_assets.core.contract import ContractFile, load_contracts
from billing_assets.core.overrides import read_overrides
from billing_assets.core.sources import ParsedSource, read_folder
from billing_assets.partitions import CLIENT_ID


def _client_names(contract_file: ContractFile, months: list[str]) -> set[str]:
    names: set[str] = set()
    for month in months or ["9999-12"]:
        contract = contract_file.for_month(month)
        names |= {contract.name, *contract.aliases}
    return names


def source_problems_by_client(home: Path, good: dict[str, ContractFile], months: list[str],
                              parsed: ParsedSource | None = None) -> dict[str, list[str]]:
    """Unreadable export rows that block a client in the given months (a whole-file problem blocks all)."""
    if parsed is None:
        from resources.timesource import CsvTimeSource

        parsed = CsvTimeSource(home=str(home)).load([])  # the per-process cache the assets use
    result: dict[str, list[str]] = {}
    for client, contract_file in good.items():
        names = _client_names(contract_file, months)
        hits = [str(p) for p in parsed.problems
                if p.row == 0 or (p.client_name in names and (not p.month or p.month in months))]
        if hits:
            result[client] = hits
    return result


def validate_home(home: Path) -> list[str]:
    """All problems: contract validation, file names, unreadable rows, rows of unknown clients, overrides."""
    problems: list[str] = []
    good, bad = load_contracts(home / "contracts")
    for _, messages in sorted(bad.items()):
        problems.extend(messages)
    for client in sorted(set(good) | set(bad)):
        if not CLIENT_ID.fullmatch(client):
            problems.append(f"contracts/{client}.yaml: file name is not a client id [a-z0-9][a-z0-9_-]{{0,62}}")
    parsed = read_folder(home)
    problems.extend(str(p) for p in parsed.problems)
    names: dict[str, str] = {}
    for client, contract_file in good.items():
        for name in _client_names(contract_file, sorted({e.month for e in parsed.entries})):
            if name in names and names[name] != client:
                problems.append(f"contracts/{client}.yaml: name or alias {name!r} is also used by {names[name]}")
            names[name] = client
    unknown = sorted({(e.source_file, e.client_name) for e in parsed.entries if e.client_name not in names})
    for source_file, client_name in unknown:
        rows = [e.source_row for e in parsed.entries if e.source_file == source_file and e.client_name == client_name]
        problems.append(f"{source_file}: rows {_ranges(rows)}: unknown client {client_name!r} "
                        "(no contract name or alias matches; unknown_client)")
    _, override_problems = read_overrides(home / "overrides")
    problems.extend(str(p) for p in override_problems)
    return problems


def _ranges(rows: list[int]) -> str:
    rows = sorted(rows)
    parts, start = [], rows[0]
    for prev, cur in zip(rows, rows[1:] + [None], strict=True):
        if cur != prev + 1 if cur is not None else True:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(parts)
