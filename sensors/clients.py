"""Register and retire clients from the contracts folder."""


from dagster import (
    AddDynamicPartitionsRequest,
    DefaultSensorStatus,
    DeleteDynamicPartitionsRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from billing_assets.partitions import CLIENT_ID
from resources.home import BillingHome


def client_changes(existing: list[str], on_disk: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(to add, to retire, rejected ids) given registered clients and contract file stems."""
    valid = [c for c in on_disk if CLIENT_ID.fullmatch(c)]
    rejected = [c for c in on_disk if not CLIENT_ID.fullmatch(c)]
    add = sorted(set(valid) - set(existing))
    retire = sorted(set(existing) - set(valid))
    return add, retire, rejected


@sensor(minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def clients_from_contracts(context: SensorEvaluationContext, home: BillingHome) -> SensorResult | SkipReason:
    """Adds a client partition for every contracts/<client>.yaml and retires clients whose file is gone.
    File names that are not slugs ([a-z0-9][a-z0-9_-]{0,62}) are reported, never registered."""
    existing = list(context.instance.get_dynamic_partitions("client"))
    add, retire, rejected = client_changes(existing, home.client_ids())
    for name in rejected:
        context.log.warning(f"contracts/{name}.yaml: file name is not a valid client id")
    if not add and not retire:
        return SkipReason(f"{len(existing)} clients registered, no change")
    requests = []
    if add:
        requests.append(AddDynamicPartitionsRequest("client", add))
    if retire:
        requests.append(DeleteDynamicPartitionsRequest("client", retire))
    return SensorResult(dynamic_partitions_requests=requests)
