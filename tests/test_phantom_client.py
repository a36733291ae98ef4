"""A client id that never was: a typo in the UI's Materialize dialog ("Select a partition or create one") made a
partition `halcyon` for `halcyon-foundation`. Found by an auditor: the run failed naming the missing file, the
clients sensor deleted the partition, and the overview kept `halcyon 2026-09 blocked: contract_valid` for good,
with advice nobody could follow. The run still fails and says why; the overview shows nothing of it."""

from __future__ import annotations

import duckdb
from dagster import DagsterInstance

from billing_assets.definitions import build_defs
from billing_assets.partitions import client_month_key
from tests.conftest import GOLDEN


def test_a_mistyped_client_partition_fails_its_run_and_leaves_no_overview_row(closed_golden) -> None:
    home = closed_golden(GOLDEN / "02_rate_cards_rounding", "2026-08")
    instance = DagsterInstance.get()
    instance.add_dynamic_partitions("client", ["globx"])
    result = build_defs().resolve_job_def("month_close").execute_in_process(
        instance=instance, raise_on_error=False, partition_key=client_month_key("globx", "2026-08"))
    assert not result.success
    [said] = [e.event_specific_data.description for e in result.all_events
              if e.event_type_value == "ASSET_CHECK_EVALUATION" and e.event_specific_data.check_name == "contract_valid"
              and e.event_specific_data.partition]
    assert said.startswith("contracts/globx.yaml: not found (was the client retired?)")
    with duckdb.connect(str(home / "billing.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT client, status FROM firm_overview ORDER BY 1").fetchall() == [("globex", "pushed")]
        assert conn.execute("SELECT state, check_name FROM partition_status WHERE client = 'globx'").fetchall() == [
            ("blocked", "contract_valid")]  # what the run's pages and checks say
