"""Where things live, from the environment: BILLING_HOME, BILLING_DB, DAGSTER_HOME, BILLING_CLASSIFIER, ..."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from billing_assets.core.classifier_api import classifier_kind
from billing_assets.core.months import MONTH_KEY

REPO_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def billing_home() -> Path:
    return Path(os.environ.get("BILLING_HOME", "./billing_home")).resolve()


def warehouse_url() -> str | None:
    """BILLING_DB when it is a PostgreSQL URL (postgresql://...): the warehouse is that database; else None."""
    value = os.environ.get("BILLING_DB", "").strip()
    return value if value.startswith(POSTGRES_SCHEMES) else None


def warehouse_kind() -> str:
    """The Dagster kind tag the UI shows for the warehouse the assets write: "postgres" or "duckdb"."""
    return "postgres" if warehouse_url() else "duckdb"


def billing_db() -> Path:
    """The DuckDB warehouse file: BILLING_DB (a path), default `<home>/billing.duckdb`. Not used with Postgres."""
    if warehouse_url():
        raise ValueError("BILLING_DB is a PostgreSQL URL: there is no DuckDB file")
    return Path(os.environ.get("BILLING_DB") or billing_home() / "billing.duckdb").resolve()


def warehouse_pool() -> str | None:
    """The concurrency pool of the steps that write the warehouse: `duckdb` (one writer of the file at a time,
    limit 1 in dagster.yaml) for DuckDB; none for PostgreSQL, whose per-partition transactions let closes of
    different clients run side by side."""
    return None if warehouse_url() else "duckdb"


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", "./.dagster_home")).resolve()


SOURCES, SINKS = ("csv", "harvest"), ("outbox", "qbo")


def first_month() -> str:
    """The firm's first month partition: BILLING_FIRST_MONTH (YYYY-MM), else January two years before this year
    (a backfill from the UI then offers 2-3 years, not every month since 2020). A `billing` command asked for an
    earlier month starts its own partitions there (`cli.partitions_from`)."""
    configured = os.environ.get("BILLING_FIRST_MONTH", "").strip()
    if configured:
        if not MONTH_KEY.fullmatch(configured):
            raise ValueError(f"BILLING_FIRST_MONTH must be a YYYY-MM month, got {configured!r}")
        return configured
    return f"{datetime.now(UTC).year - 2:04d}-01"


def firm_timezone() -> str:
    """BILLING_TIMEZONE, the firm's IANA time zone (`Europe/London`, `America/Los_Angeles`), default UTC: the
    schedule closes the previous month on the 1st at 06:00 there, a month's partition appears once the month has
    ended there, and its time is due by 09:00 on the 2nd there. Hours are billed by each entry's own date
    whatever this is."""
    configured = os.environ.get("BILLING_TIMEZONE", "").strip()
    if not configured:
        return "UTC"
    try:
        ZoneInfo(configured)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, a path, a folder such as "America"
        raise ValueError(f"BILLING_TIMEZONE must be an IANA time zone such as Europe/London or America/New_York, "
                         f"got {configured!r}") from None
    return configured


def firm_now(at: datetime | None = None) -> datetime:
    """The time (now, or the moment `at`) in the firm's zone (`firm_timezone`): what "the current month" is for
    `billing --month`, the what-if job and the late-entries sensor, as for the schedule and the month partitions."""
    return (at or datetime.now(UTC)).astimezone(ZoneInfo(firm_timezone()))


def environment_problems() -> list[str]:
    """One line per setting no resource can be built from (an unknown BILLING_SOURCE or BILLING_PUSH, a URL as
    BILLING_HOME or a BILLING_DB that is neither a file nor PostgreSQL): said before anything runs, not as a
    traceback halfway or as an empty close."""
    env = os.environ.get
    problems = []
    if (env("BILLING_SOURCE") or "csv") not in SOURCES:
        problems.append(f"BILLING_SOURCE must be {' or '.join(SOURCES)}, got {env('BILLING_SOURCE')!r}")
    if (env("BILLING_PUSH") or "outbox") not in SINKS:
        problems.append(f"BILLING_PUSH must be {' or '.join(SINKS)}, got {env('BILLING_PUSH')!r}")
    if "://" in (env("BILLING_HOME") or ""):
        problems.append(f"BILLING_HOME must be a folder on this machine, got the URL {env('BILLING_HOME')!r} "
                        "(exports are read from its timesheets/ and expenses/ folders, or from Harvest)")
    for setting in (first_month, firm_timezone, lambda: classifier_kind(os.environ)):
        try:
            setting()
        except ValueError as exc:
            problems.append(str(exc))
    db = (env("BILLING_DB") or "").strip()
    if "://" in db and not warehouse_url():
        problems.append(f"BILLING_DB must be a DuckDB file path or a postgresql:// URL, got {db.split('://')[0]}://...")
    return problems


# sha256 of the dagster.yaml files earlier releases copied into DAGSTER_HOME: such a copy, unedited, is replaced by
# this release's (a firm's own edits are kept). The last one lacked run monitoring: a run killed mid-step held its
# pool slot, and every later run queued for good.
SHIPPED_BEFORE = frozenset({
    "f566cd7b5e642bff9b6a0fc19991e986c73f2f9ee720fb1459e51e0a68454e21",
    "e7ae7e7170034b2f43d103f6481f86ed821d2f294b7bd42fc21dca9725de261f",
    "8803b135ecaae8cdbce68c8da5d271d909c330c44c7cc19885f203c47229ccc0",
    "8728d742bc047445a14949860c1275462dda2371ad51ea5c11d47406192d0a64",
    "995d76adcf3f6186f6e67fa6af96b9de11530896c06b6aa53c025c70c5e4e56e",
})


def shipped_before(path: Path) -> bool:
    """Whether `path` is, byte for byte, a dagster.yaml an earlier release installed."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() in SHIPPED_BEFORE
    except OSError:
        return False
