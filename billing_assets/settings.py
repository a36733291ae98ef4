"""Where things live, from the environment: BILLING_HOME, BILLING_DB, DAGSTER_HOME, BILLING_CLASSIFIER, ..."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def billing_home() -> Path:
    return Path(os.environ.get("BILLING_HOME", "./billing_home")).resolve()


def billing_db() -> Path:
    return Path(os.environ.get("BILLING_DB") or billing_home() / "billing.duckdb").resolve()


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME", "./.dagster_home")).resolve()
