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


def test_an_unset_secret_is_one_line_naming_it(billing_env, monkeypatch, capsys) -> None:
    """Found by an auditor: a 41-line traceback, the variable's name in its last lines."""
    from billing_assets.cli import main
    from tests.conftest import GOLDEN

    billing_env(GOLDEN / "02_rate_cards_rounding")
    monkeypatch.setenv("BILLING_SOURCE", "harvest")
    for name in ("HARVEST_ACCESS_TOKEN", "HARVEST_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    assert main(["close", "--month", "2026-09"]) == 1
    said = [line for line in capsys.readouterr().err.splitlines() if line.startswith(("billing:", "Traceback"))]
    assert said == ["billing: HARVEST_ACCESS_TOKEN, HARVEST_ACCOUNT_ID not set: the configured resources need them "
                    "(README: Configuration)"]


def test_a_run_that_failed_midway_says_its_table_is_an_earlier_close(closed_golden, monkeypatch, capsys) -> None:
    """Found by an auditor: Harvest failed mid-close and the summary showed the last close's totals as "pushed",
    "0 failed", above the RUN FAILED that said otherwise."""
    from billing_assets.cli import main
    from tests.conftest import GOLDEN

    closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-09")
    monkeypatch.setenv("BILLING_SOURCE", "harvest")
    monkeypatch.setenv("HARVEST_ACCESS_TOKEN", "token")
    monkeypatch.setenv("HARVEST_ACCOUNT_ID", "1")
    monkeypatch.setenv("HARVEST_BASE_URL", "http://127.0.0.1:9")  # nothing listens: the listing fails
    from resources.harvest_api import HarvestClient

    monkeypatch.setattr(HarvestClient, "_backoff_delay", lambda _self, _attempt: 0.0)  # its retries at once
    capsys.readouterr()
    assert main(["close", "--month", "2026-09"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("warning: the run failed before it finished (RUN FAILED below): a client-month it did not "
                          "reach shows what an earlier close left, not its data now")
    assert "RUN FAILED" in out
