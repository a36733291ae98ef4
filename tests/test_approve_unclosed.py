"""Approval of a month with nothing to send: "no pushed draft" is settled (exit 0) only when the month has nothing
to bill. A month never closed in this warehouse whose exports hold billable rows (approval run before the close, or
after the warehouse moved to PostgreSQL or a new file without it) was "skipped, no pushed draft" with exit 0."""

from __future__ import annotations

from billing_assets.cli import main
from tests.conftest import GOLDEN


def test_a_month_never_closed_here_is_not_settled_by_approval(billing_env, capsys, tmp_path, monkeypatch) -> None:
    home = billing_env(GOLDEN / "02_rate_cards_rounding")
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 1
    assert ("globex                       2026-08  skipped       2026-08 was never closed in this warehouse, yet its "
            "exports hold 44 billable row(s) (timesheets/harvest_time_a.csv row 2, timesheets/harvest_time_a.csv "
            "row 5, timesheets/harvest_time_a.csv row 8): there is no draft of it to send") in capsys.readouterr().out
    assert main(["close", "--month", "2026-08"]) == 0
    capsys.readouterr()
    assert main(["approve", "--month", "2026-08", "--by", "Dana"]) == 0
    assert "globex                       2026-08  sent" in capsys.readouterr().out
    # October has no rows and no contract month after the data: nothing to bill, settled as before
    assert main(["approve", "--month", "2026-10", "--by", "Dana"]) == 0
    assert capsys.readouterr().out == "globex                       2026-10  skipped       no pushed draft\n"
    # the warehouse moved (a new file, as a move to PostgreSQL starts empty): September is unclosed there too
    monkeypatch.setenv("BILLING_DB", str(tmp_path / "moved.duckdb"))
    assert main(["approve", "--month", "2026-09", "--by", "Dana"]) == 1
    assert "2026-09 was never closed in this warehouse, yet its exports hold 44 billable row(s)" in \
        capsys.readouterr().out
    assert (home / "outbox" / "2026-08" / "globex.json").exists()
    assert not (home / "outbox" / "2026-09").exists()
