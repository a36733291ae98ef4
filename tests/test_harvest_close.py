"""A month closed from the Harvest API emulator: a 0-hour entry carries nothing, a running timer is named on its
client-month, and time under a client name no contract knows (a client renamed in Harvest) is said by the close."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from billing_assets.cli import main
from tests.conftest import partition_page
from tests.emulators.harvest_server import HarvestEmulator

ACME = "client: acme\nname: Acme Corp\ncurrency: USD\nterms_days: 30\nstart: 2026-01\nroles: {senior: 250}\n" \
       "people: {\"Alice Ng\": senior, \"Bob Ray\": senior}\n"


def test_harvest_close_skips_zero_names_running_and_unclaimed(billing_env, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    with HarvestEmulator() as harvest:
        harvest.add_entries({"spent_date": f"2026-09-{d:02d}", "hours": "2", "notes": f"work {d}"} for d in range(1, 6))
        harvest.add_entries([{"spent_date": "2026-09-26", "user": "Bob Ray", "hours": "0", "notes": "no time"}])
        [running] = harvest.add_entries([{"spent_date": "2026-09-27", "hours": "3.5", "is_running": True}])
        harvest.add_entries([{"spent_date": "2026-09-28", "client": "Acme Corporation", "hours": "4"}])
        home = billing_env()
        (home / "contracts" / "acme.yaml").write_text(ACME)
        for name, value in {"BILLING_SOURCE": "harvest", "HARVEST_ACCESS_TOKEN": harvest.token,
                            "HARVEST_ACCOUNT_ID": harvest.account_id, "HARVEST_BASE_URL": harvest.base_url}.items():
            monkeypatch.setenv(name, value)
        code = main(["close", "--month", "2026-09"])
        out = capsys.readouterr().out
    assert code == 0, out
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT total, hours_billed FROM invoices WHERE client = 'acme'").fetchone() == (
            Decimal("2500.00"), Decimal(10))
    assert "warning: 2026-09: 1 row(s), 4 h billable, under client 'Acme Corporation' (Harvest API)" in out
    skipped = partition_page("raw_time_entries", "acme", "2026-09")["skipped_rows"]
    assert f"harvest:{running}" in skipped and "running timer" in skipped


def test_harvest_down_fails_the_close_with_its_summary(billing_env, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    with HarvestEmulator() as harvest:
        harvest.add_entries([{"spent_date": "2026-09-01", "hours": "2"}])
        home = billing_env()
        (home / "contracts" / "acme.yaml").write_text(ACME)
        for name, value in {"BILLING_SOURCE": "harvest", "HARVEST_ACCESS_TOKEN": harvest.token,
                            "HARVEST_ACCOUNT_ID": harvest.account_id, "HARVEST_BASE_URL": harvest.base_url}.items():
            monkeypatch.setenv(name, value)
        harvest.fail_next(422, times=50)  # an answer not retried: every read fails at once
        code = main(["close", "--month", "2026-09"])
        out = capsys.readouterr().out
    assert code == 1
    assert "warning: time under client names no contract knows was not checked: Harvest answered 422" in out
    assert "RUN FAILED" in out
