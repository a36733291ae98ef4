"""The production instance (deploy/dagster.yaml) against real servers on 127.0.0.1: PostgreSQL for runs, events
and schedules, moto for S3 compute logs, the ECS run launcher and the QuickBooks token in Secrets Manager. A
golden close through `billing close` is recorded in PostgreSQL, its compute logs land in S3 and it prices to the
cent; a run launched through the EcsRunLauncher starts an ECS task."""

from __future__ import annotations

import json
import shutil
import sys
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

from billing_assets.cli import main
from tests.conftest import GOLDEN, REPO
from tests.servers import create_database, moto_server, postgres_cluster
from tests.test_golden import _actual

CASE = GOLDEN / "01_retainer_rush_rollover"


@pytest.fixture(scope="module")
def servers():
    with postgres_cluster() as pg, moto_server() as aws:
        yield pg, aws


@pytest.fixture
def production(servers, billing_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A billing home of golden case 01 whose DAGSTER_HOME holds deploy/dagster.yaml, every value from env."""
    pg, aws = servers
    home = billing_env(CASE)
    name = f"dagster_{tmp_path.name.lower().replace('-', '_')[:40]}"
    db = create_database(pg, name)
    port = pg.rsplit(":", 1)[1]
    env = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": port, "DAGSTER_PG_USER": "postgres",
           "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": name, "AWS_ENDPOINT_URL": aws, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "BILLING_ECS_TASK_DEFINITION": "billing-run", "BILLING_ECS_CLUSTER": "billing",
           "BILLING_COMPUTE_LOG_BUCKET": "billing-compute-logs"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    boto3.client("s3").create_bucket(Bucket=env["BILLING_COMPUTE_LOG_BUCKET"])
    ecs = boto3.client("ecs")  # the launcher checks its task definition when the instance loads
    ecs.create_cluster(clusterName="billing")
    ecs.register_task_definition(
        family="billing-run", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "run", "image": "billing:latest", "essential": True, "cpu": 256,
                               "memory": 512}])
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir(exist_ok=True)
    shutil.copyfile(REPO / "deploy" / "dagster.yaml", dagster_home / "dagster.yaml")
    return home, db


def test_the_production_instance_is_postgres_ecs_and_s3(production) -> None:
    from dagster import DagsterInstance
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_aws.ecs import EcsRunLauncher
    from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    with DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert isinstance(instance.run_launcher, EcsRunLauncher)
        assert isinstance(instance.compute_log_manager, S3ComputeLogManager)
        assert instance.run_launcher.secrets_tags == ["billing"]
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1


def test_a_golden_close_is_recorded_in_postgres_and_prices_exactly(production, capsys) -> None:
    import psycopg2

    home, db = production
    everything = json.loads((CASE / "expected.json").read_text())
    first = min(key.split("|")[1] for key in everything)  # one month keeps the suite fast; ledgers start here
    expected = {key: want for key, want in everything.items() if key.endswith(first)}
    assert main(["close", "--month", first]) == 0, capsys.readouterr().out
    for key, want in expected.items():
        client, month = key.split("|")
        assert _actual(home / "billing.duckdb", client, month)["total"] == Decimal(want["total"]), key
    logs = boto3.client("s3").list_objects_v2(Bucket="billing-compute-logs", Prefix="dagster-compute-logs/")
    assert logs.get("KeyCount", 0) >= 1  # the steps' stdout/stderr went to S3
    with psycopg2.connect(db) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT status, count(*) FROM runs GROUP BY status")
        statuses = dict(cursor.fetchall())
        cursor.execute("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        (materializations,) = cursor.fetchone()
    assert statuses.get("SUCCESS", 0) >= 1 and set(statuses) == {"SUCCESS"}
    assert materializations >= len(expected) * 5  # five assets per client-month at least


def test_the_ecs_run_launcher_starts_a_task_for_a_run(production) -> None:
    from dagster import DagsterInstance
    from dagster._core.code_pointer import ModuleCodePointer
    from dagster._core.launcher import LaunchRunContext
    from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
    from dagster._core.test_utils import create_run_for_test

    ecs = boto3.client("ecs")
    ec2 = boto3.client("ec2")
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    origin = JobPythonOrigin("approve_invoices", RepositoryPythonOrigin(
        sys.executable, ModuleCodePointer("billing_assets.definitions", "defs", str(REPO))))
    with DagsterInstance.get() as instance:
        run = create_run_for_test(instance, job_name="approve_invoices", job_code_origin=origin)
        launcher = instance.run_launcher
        launcher.run_task_kwargs["networkConfiguration"] = {
            "awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "DISABLED"}}
        launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
        tags = instance.get_run_by_id(run.run_id).tags
    (task_arn,) = ecs.list_tasks(cluster="billing")["taskArns"]
    assert tags["ecs/task_arn"] == task_arn
    task = ecs.describe_tasks(cluster="billing", tasks=[task_arn])["tasks"][0]
    command = task["overrides"]["containerOverrides"][0]["command"]
    assert command[:6] == [sys.executable, "-m", "dagster", "api", "execute_run", command[5]]
    assert run.run_id in command[5] and "approve_invoices" in command[5]


def test_quickbooks_tokens_rotate_in_secrets_manager_across_closes(servers, qbo_home, monkeypatch) -> None:
    """QBO_TOKEN_STORE=secretsmanager:<name> on ECS: a close through the QuickBooks emulator keeps the rotated
    refresh token in Secrets Manager (moto on loopback), and the next close, an hour later, refreshes from it."""
    _, aws = servers
    home, emulator = qbo_home
    for name, value in {"AWS_ENDPOINT_URL": aws, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                        "QBO_TOKEN_STORE": "secretsmanager:billing/qbo-tokens"}.items():
        monkeypatch.setenv(name, value)
    secrets = boto3.client("secretsmanager")
    seed = emulator.refresh_token

    assert main(["close", "--month", "2026-08", "--push", "qbo"]) == 0
    stored = json.loads(secrets.get_secret_value(SecretId="billing/qbo-tokens")["SecretString"])
    assert stored["refresh_token"] == emulator.refresh_token != seed  # rotated, and the new one kept
    assert len(emulator.invoices) == 1
    assert not list(home.rglob("qbo_tokens.json")), "no token file beside the billing home"

    emulator.expire_access_tokens()
    assert main(["close", "--month", "2026-09", "--push", "qbo"]) == 0
    rotated = json.loads(secrets.get_secret_value(SecretId="billing/qbo-tokens")["SecretString"])
    assert rotated["refresh_token"] == emulator.refresh_token != stored["refresh_token"]
    assert len(emulator.invoices) == 2
    assert stored["refresh_token"] in emulator.retired_refresh_tokens  # the second close refreshed from it


def test_the_image_copies_every_package_the_install_needs() -> None:
    """`pip install ".[deploy]"` in deploy/Dockerfile installs the packages pyproject.toml lists from the folders
    copied before it: demo_firm was listed and not copied, so the image did not build."""
    import tomllib

    setup = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {setup["package-dir"].get(p, p.replace(".", "/")).split("/")[0] for p in setup["packages"]}
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    before_install = dockerfile[:dockerfile.index('pip install --no-cache-dir ".[deploy]"')]
    copied = {line.split()[1] for line in before_install.splitlines() if line.startswith("COPY ")}
    assert folders <= copied, f"not copied before the install: {sorted(folders - copied)}"
