"""The billing home folder: contracts, overrides, review and outbox folders (spec section 1)."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from pathlib import Path

from dagster import ConfigurableResource

from billing_assets.core.contract import ContractFile, contract_paths, name_clashes, names_in, same_client_files
from billing_assets.core.errors import BillingInputError, ContractError, RowProblem
from billing_assets.core.overrides import Override, read_overrides


def _stamp(path: Path) -> tuple:
    """What changes when a file changes (size, mtime) or anything in a folder does: each entry's name and stamp
    (`_entry`), so a link to nothing or a sub-folder added while a process keeps its reading is seen too."""
    if path.is_dir():
        with os.scandir(path) as entries:
            return tuple(sorted(_entry(Path(e.path)) for e in entries))
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns)


def _entry(path: Path) -> tuple:
    """An entry of a folder and what changes when it does: a file's size and mtime; for a sub-folder, the mtimes
    of the folders inside it at any depth (a file added or removed anywhere in it); for a link to nothing, where
    it points."""
    try:
        stat = path.stat()
    except OSError:
        return (path.name, "unreadable", os.readlink(path) if path.is_symlink() else "")
    if path.is_dir():
        return (path.name, "folder", tuple(sorted((top, os.stat(top).st_mtime_ns) for top, _, _ in os.walk(path))))
    return (path.name, "file", stat.st_size, stat.st_mtime_ns)


_FOLDER_STAMPS: dict[Path, tuple[float, tuple]] = {}
FOLDER_STAMP_SECONDS = 2.0


def _recent_stamp(folder: Path) -> tuple:
    """The folder's `_stamp`, taken at most every 2 s: a run asks for contracts thousands of times and a stamp
    stats every file (1,000 contracts: ~10-40 ms)."""
    now = time.monotonic()
    taken = _FOLDER_STAMPS.get(folder)
    if taken is None or now - taken[0] > FOLDER_STAMP_SECONDS:
        taken = _FOLDER_STAMPS[folder] = (now, _stamp(folder))
    return taken[1]


@lru_cache(maxsize=4096)
def _contract_file(path: Path, stamp: tuple) -> ContractFile:
    return ContractFile(path)


def _names_stamp(folder: Path) -> tuple | None:
    """Changes when a file is added to, removed from or renamed in the folder (one stat of the folder); None
    while the folder changed in the last 2 s (a coarse-clock file system could give a second change in the same
    tick the same stamp), so such a listing is never kept."""
    stat = folder.stat()
    if time.time() - stat.st_mtime < FOLDER_STAMP_SECONDS:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


@lru_cache(maxsize=8)
def _contract_paths(folder: Path, stamp: tuple) -> dict[str, list[Path]]:
    """contract_paths of the folder, listed again only when its files change (a run asks once per client and
    step: listing 1,000 contracts each time made a 1,000-client close quadratic)."""
    return contract_paths(folder)


@lru_cache(maxsize=8)
def _contract_set(folder: Path, stamp: tuple) -> dict[str, list[tuple[Path, ContractFile | None]]]:
    """Every contract file of the folder by client, parsed (None when invalid); read again only when a file of
    the folder changes."""
    loaded: dict[str, list[tuple[Path, ContractFile | None]]] = {}
    for client, paths in contract_paths(folder).items():
        for path in paths:
            try:
                contract_file = _contract_file(path, _stamp(path))
            except ContractError:
                contract_file = None
            loaded.setdefault(client, []).append((path, contract_file))
    return loaded


@lru_cache(maxsize=8)
def _set_problems(folder: Path, stamp: tuple) -> dict[str, list[str]]:
    """Problems of the contract set as a whole, by client: two files for one client, a name or alias shared
    by two contracts (both clients stopped). Re-computed only when a file of the folder changes."""
    problems: dict[str, list[str]] = {}
    files: dict[str, tuple[Path, ContractFile | None]] = {}
    for client, loaded in _contract_set(folder, stamp).items():
        if len(loaded) > 1:
            problems[client] = [same_client_files(client, [path for path, _ in loaded])]
        else:
            files[client] = loaded[0]
    for client, clashes in name_clashes(files).items():
        problems.setdefault(client, []).extend(clashes)
    return problems


@lru_cache(maxsize=8)
def _known_names(folder: Path, stamp: tuple) -> frozenset[str]:
    """Every name and alias any contract of the folder gives its client (invalid files best effort)."""
    return frozenset(name for loaded in _contract_set(folder, stamp).values() for path, contract_file in loaded
                     for name in names_in(path, contract_file))


@lru_cache(maxsize=8)
def _overrides(folder: Path, stamp: tuple) -> tuple[dict[str, Override], tuple[RowProblem, ...]]:
    overrides, problems = read_overrides(folder)
    return overrides, tuple(problems)


@lru_cache(maxsize=64)
def _claimed_in(folder: Path, stamp: tuple, month: str) -> frozenset[str]:
    """The names and aliases the folder's contracts give their clients in `month` (an invalid file: all its names,
    best effort)."""
    names: set[str] = set()
    for loaded in _contract_set(folder, stamp).values():
        for path, contract_file in loaded:
            contract = contract_file.for_month(month) if contract_file is not None else None
            names |= contract.names if contract is not None else names_in(path, None)
    return frozenset(names)


class BillingHome(ConfigurableResource):
    """The folder with contracts/, timesheets/, expenses/, overrides/ (in) and review/, outbox/ (out)."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path).resolve()

    def contract_path(self, client: str) -> Path:
        folder = self.root / "contracts"
        stamp = _names_stamp(folder) if folder.is_dir() else None
        listing = _contract_paths(folder, stamp) if stamp is not None else contract_paths(folder)
        paths = listing.get(client, [])
        if len(paths) > 1:
            raise ContractError([same_client_files(client, paths)])
        if not paths:
            # the overview leaves out a client with this problem and no history (sql/firm_overview/select.sql)
            raise BillingInputError(f"contracts/{client}.yaml: not found (was the client retired?)")
        return paths[0]

    def contract_file(self, client: str) -> ContractFile:
        """The parsed, validated contract; re-read only when the file changes. A name or alias another contract
        also uses stops this client too (ContractError naming both files)."""
        path = self.contract_path(client)
        folder = path.parent
        contract_file = _contract_file(path, _stamp(path))
        clashes = _set_problems(folder, _recent_stamp(folder)).get(client)
        if clashes:
            raise ContractError(clashes)
        return contract_file

    def known_client_names(self) -> frozenset[str]:
        """The Client values some contract claims (by name or alias): rows under any other name bill nobody."""
        folder = self.root / "contracts"
        return _known_names(folder, _recent_stamp(folder)) if folder.is_dir() else frozenset()

    def claimed_names(self, month: str) -> frozenset[str]:
        """The Client values some contract claims in `month`: a name an amendment replaced claims nothing after it."""
        folder = self.root / "contracts"
        return _claimed_in(folder, _recent_stamp(folder), month) if folder.is_dir() else frozenset()

    def nameless_contracts(self) -> list[str]:
        """Contract files (home-relative) whose names cannot be read at all (not YAML): time under their client's
        name looks unclaimed, so a warning about it says the contract may be theirs."""
        folder = self.root / "contracts"
        if not folder.is_dir():
            return []
        return sorted(path.relative_to(self.root).as_posix()
                      for loaded in _contract_set(folder, _recent_stamp(folder)).values()
                      for path, contract_file in loaded if contract_file is None and not names_in(path, None))

    def client_ids(self) -> list[str]:
        return sorted(contract_paths(self.root / "contracts"))

    def overrides(self) -> dict[str, Override]:
        """The readable override rows; an unreadable one stops its entry's client-month (billing_assets.status)."""
        folder = self.root / "overrides"
        return _overrides(folder, _stamp(folder))[0] if folder.is_dir() else {}

    def override_problems(self) -> tuple[RowProblem, ...]:
        folder = self.root / "overrides"
        return _overrides(folder, _stamp(folder))[1] if folder.is_dir() else ()

    def review_dir(self) -> Path:
        return self.root / "review"

    def outbox_dir(self) -> Path:
        return self.root / "outbox"
