"""The month-close job and the schedule that closes the previous month on the 1st."""


from dagster import (
    AssetSelection,
    Config,
    DefaultScheduleStatus,
    Failure,
    OpExecutionContext,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    job,
    op,
    schedule,
)

from billing_assets.core.months import add_months
from billing_assets.partitions import FIRM_TIMEZONE, client_month_partitions, split_key

USER_TAG = "dagster/user"

PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"
# Run retries (dagster.yaml run_retries) are for runs whose process died; a run an asset, op or blocking check failed
# on purpose (a blocked client-month) would fail again and alert twice. On the jobs too, for instances whose
# dagster.yaml predates the setting.
NO_RETRY_ON_STEP_FAILURE = {"dagster/retry_on_asset_or_op_failure": "false"}

month_close_job = define_asset_job(
    "month_close",
    selection=AssetSelection.groups("ingest", "classify", "price", "push"),
    partitions_def=client_month_partitions,
    executor_def=in_process_executor,
    tags=NO_RETRY_ON_STEP_FAILURE,
    description="Close client-months: ingest, classify, price, review queue, checks and the gated push.",
)


def range_tags(first_client: str, last_client: str, first_month: str, last_month: str) -> dict[str, str]:
    """Run tags for one run over the rectangle of clients (in partition order) x months."""
    return {PARTITION_RANGE_START: f"{first_client}|{first_month}",
            PARTITION_RANGE_END: f"{last_client}|{last_month}"}


@schedule(job=month_close_job, cron_schedule="0 6 1 * *", execution_timezone=FIRM_TIMEZONE,
          default_status=DefaultScheduleStatus.STOPPED,
          description=f"On the 1st at 06:00 ({FIRM_TIMEZONE}, BILLING_TIMEZONE), close the previous month for every "
                      "registered client in one run.")
def close_previous_month(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    """On the 1st at 06:00 in the firm's time zone, close the previous month for every registered client in one
    run (the month is the one before the 1st of the scheduled time, in that zone)."""
    scheduled = context.scheduled_execution_time
    month = add_months(f"{scheduled.year:04d}-{scheduled.month:02d}", -1)
    clients = context.instance.get_dynamic_partitions("client")
    if not clients:
        return SkipReason("no clients registered yet (the clients sensor registers contracts/*.yaml)")
    return RunRequest(run_key=f"close-{month}", tags=range_tags(clients[0], clients[-1], month, month))


class ApprovalConfig(Config):
    month: str
    clients: list[str] = []
    approved_by: str


@op(required_resource_keys={"warehouse", "sink", "time_source", "home"})
def send_approved_invoices(context: OpExecutionContext, config: ApprovalConfig) -> None:
    """Send the month's pushed drafts (all clients, or the listed ones) and record who approved them."""
    from billing_assets.approve import approve, sent_events
    from billing_assets.gate import blocking_failures

    clients = config.clients or list(context.instance.get_dynamic_partitions("client"))
    pairs = [(c, config.month) for c in clients]
    results = approve(context.resources.warehouse, context.resources.sink, pairs, config.approved_by,
                      blocking_failures(context.resources.warehouse, pairs), exports_changed=_changed(context, pairs))
    for r in results:
        context.log.info(f"{r.client}|{r.month}: {r.status}: {r.detail}")
    for event in sent_events(results):
        context.log_event(event)
    _report_overview(context)
    if refused := [r for r in results if not r.settled]:  # found by an auditor: the run was green, as if all sent
        raise Failure(f"{len(refused)} client-month(s) not sent: " + "; ".join(
            f"{r.client}|{r.month}: {r.status}: {r.detail}" for r in refused[:10]))


def _changed(context: OpExecutionContext, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The client-months whose exports changed since their close: approval refuses them (see export_changes)."""
    from billing_assets.refusals import refusals

    return refusals(context.resources.time_source, context.resources.home, context.resources.warehouse, pairs)


def _report_overview(context: OpExecutionContext) -> None:
    """The firm overview's new state (`sent`) as a materialization, so the UI's overview page shows it at once."""
    from billing_assets.overview import overview_materialization

    with context.resources.warehouse.connect() as conn:
        context.log_event(overview_materialization(conn))


@job(tags=NO_RETRY_ON_STEP_FAILURE,
     description="Send approved invoice drafts (QuickBooks send endpoint) and record the approver.")
def approve_invoices() -> None:
    send_approved_invoices()


class PartitionApproval(Config):
    approved_by: str = ""  # empty: the launching user (run tag dagster/user, set by the UI when it knows the user)


@op(required_resource_keys={"warehouse", "sink", "time_source", "home"})
def approve_partition(context: OpExecutionContext, config: PartitionApproval) -> None:
    """Send this client-month's pushed draft where it was pushed and record who approved it (the launch's
    approved_by, else its dagster/user tag). Fails, naming why, when nothing was sent."""
    from billing_assets.approve import approve, sent_events
    from billing_assets.gate import blocking_failures

    client, month = split_key(context.partition_key)
    approved_by = config.approved_by.strip() or context.run.tags.get(USER_TAG, "").strip()
    if not approved_by:
        raise Failure(f"{client}|{month}: who approves? Launch with config approved_by (or from a UI that sets the "
                      f"{USER_TAG} tag)")
    pairs = [(client, month)]
    [result] = approve(context.resources.warehouse, context.resources.sink, pairs, approved_by,
                       blocking_failures(context.resources.warehouse, pairs), exports_changed=_changed(context, pairs))
    context.log.info(f"{client}|{month}: {result.status}: {result.detail}")
    for event in sent_events([result]):
        context.log_event(event)
    _report_overview(context)
    if result.status not in ("sent", "already_sent"):
        raise Failure(f"{client}|{month} not sent: {result.status}: {result.detail}")


@job(partitions_def=client_month_partitions, tags=NO_RETRY_ON_STEP_FAILURE,
     description="Approve one client-month: launch it on the partition (Launchpad or the partition's page); sends "
                 "the pushed draft where it was pushed and records who approved it.")
def approve_client_month() -> None:
    approve_partition()
