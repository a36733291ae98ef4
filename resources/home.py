"""The billing home folder: contracts, overrides, review and outbox folders (spec section 1)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from dagster import ConfigurableResource

from billing_assets.core.contract import ContractFile
from billing_assets.core.errors import BillingInputError, RowProblem
from billing_assets.core.overrides import Override, read_overrides


def _stamp(path: Path) -> tuple:
    """What changes when a file or a folder's files change: names, sizes and mtimes."""
    if path.is_dir():
        return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(path.iterdir()) if p.is_file())
    stat = path.stat()
    return (stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4096)
def _contract_file(path: Path, stamp: tuple) -> ContractFile:
    return ContractFile(path)


@lru_cache(maxsize=8)
def _overrides(folder: Path, stamp: tuple) -> tuple[dict[str, Override], tuple[RowProblem, ...]]:
    overrides, problems = read_overrides(folder)
    return overrides, tuple(problems)


class BillingHome(ConfigurableResource):
    """The folder with contracts/, timesheets/, expenses/, overrides/ (in) and review/, outbox/ (out)."""

    path: str

    @property
    def root(self) -> Path:
        return Path(self.path).resolve()

    def contract_path(self, client: str) -> Path:
        for suffix in (".yaml", ".yml"):
            candidate = self.root / "contracts" / f"{client}{suffix}"
            if candidate.exists():
                return candidate
        raise BillingInputError(f"contracts/{client}.yaml: not found (was the client retired?)")

    def contract_file(self, client: str) -> ContractFile:
        """The parsed, validated contract; re-read only when the file changes."""
        path = self.contract_path(client)
        return _contract_file(path, _stamp(path))

    def client_ids(self) -> list[str]:
        folder = self.root / "contracts"
        return sorted({p.stem for p in folder.glob("*.y*ml")}) if folder.is_dir() else []

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
