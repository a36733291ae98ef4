"""Resources: one abstract resource per concern, one subclass per variant, chosen by environment in
`build_resources`, secrets as EnvVar resolved when a run starts; and the resources package stays small and acyclic."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from dagster import DagsterInvalidConfigError, Definitions, EnvVar

from billing_assets.definitions import build_defs
from resources.invoice_sink import InvoiceSink, OutboxSink
from resources.notify import LogNotifier, Notifier, WebhookNotifier
from resources.quickbooks.sink import QuickBooksSink
from resources.timesource import CsvTimeSource, HarvestTimeSource, TimeSource

REPO = Path(__file__).resolve().parent.parent
HARVEST = {"HARVEST_ACCESS_TOKEN": "hv-token-1", "HARVEST_ACCOUNT_ID": "4242"}
QBO = {"QBO_CLIENT_ID": "app-id", "QBO_CLIENT_SECRET": "app-secret", "QBO_REALM_ID": "9130",
       "QBO_REFRESH_TOKEN": "RT-0"}
ALL_SETTINGS = ("BILLING_SOURCE", "BILLING_PUSH", "BILLING_ALERT_WEBHOOK", "HARVEST_BASE_URL", "QBO_ENVIRONMENT",
                "QBO_BASE_URL", "QBO_DISCOVERY_URL", "QBO_TOKEN_STORE", "QBO_TIMEOUT", *HARVEST, *QBO)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ALL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BILLING_HOME", str(tmp_path / "home"))
    return monkeypatch


def resolved(defs: Definitions, key: str):
    """The resource as a run gets it: config processed, EnvVar secrets read from the environment now."""
    return defs.resources[key].process_config_and_initialize()


def test_default_variants_are_the_local_twins(env, tmp_path: Path) -> None:
    defs = build_defs()
    Definitions.validate_loadable(defs)
    source, sink = resolved(defs, "time_source"), resolved(defs, "sink")
    assert type(source) is CsvTimeSource and isinstance(source, TimeSource) and source.kind == "csv"
    assert type(sink) is OutboxSink and isinstance(sink, InvoiceSink) and sink.kind == "outbox"
    assert sink.home == source.home == str(tmp_path / "home")
    notifier = resolved(defs, "notifier")
    assert type(notifier) is LogNotifier and isinstance(notifier, Notifier)
    assert notifier.log_path == str(tmp_path / "home" / "alerts.log")


def test_webhook_notifier_keeps_its_url_secret(env) -> None:
    env.setenv("BILLING_ALERT_WEBHOOK", "https://hooks.example/T000/B000/s3cret")
    defs = build_defs()
    raw = defs.resources["notifier"]
    assert isinstance(raw.webhook_url, EnvVar) and "s3cret" not in raw.model_dump_json()
    notifier = resolved(defs, "notifier")
    assert type(notifier) is WebhookNotifier and notifier.webhook_url == "https://hooks.example/T000/B000/s3cret"
    env.delenv("BILLING_ALERT_WEBHOOK")
    with pytest.raises(DagsterInvalidConfigError, match="BILLING_ALERT_WEBHOOK"):
        resolved(defs, "notifier")


def test_harvest_variant_reads_its_secrets_at_run_time(env) -> None:
    env.setenv("BILLING_SOURCE", "harvest")
    env.setenv("HARVEST_BASE_URL", "http://127.0.0.1:9/v2")
    defs = build_defs()  # built before the secrets exist: they are read when a run starts
    Definitions.validate_loadable(defs)
    raw = defs.resources["time_source"]
    assert isinstance(raw.access_token, EnvVar) and raw.access_token.env_var_name == "HARVEST_ACCESS_TOKEN"
    with pytest.raises(DagsterInvalidConfigError, match="HARVEST_ACCESS_TOKEN"):
        resolved(defs, "time_source")
    for name, value in HARVEST.items():
        env.setenv(name, value)
    source = resolved(defs, "time_source")
    assert type(source) is HarvestTimeSource and not source.full_history
    assert (source.access_token, source.account_id, source.base_url) == ("hv-token-1", "4242", "http://127.0.0.1:9/v2")
    with source.client() as client:
        assert client.base_url == "http://127.0.0.1:9/v2" and client.account_id == "4242"


def test_qbo_variant_reads_its_secrets_at_run_time(env, tmp_path: Path) -> None:
    env.setenv("BILLING_PUSH", "qbo")
    env.setenv("QBO_TOKEN_STORE", str(tmp_path / "tokens.json"))
    env.setenv("QBO_TIMEOUT", "7.5")
    defs = build_defs()
    Definitions.validate_loadable(defs)
    raw = defs.resources["sink"]
    assert {getattr(raw, f).env_var_name for f in ("client_id", "client_secret", "realm_id", "refresh_token")} \
        == set(QBO), "every QuickBooks secret is an EnvVar, never a value in the definitions"
    assert "app-secret" not in raw.model_dump_json()
    for name, value in QBO.items():
        env.setenv(name, value)
    sink = resolved(defs, "sink")
    assert type(sink) is QuickBooksSink and sink.kind == "qbo"
    pusher = sink.pusher()
    assert (pusher.client_id, pusher.client_secret, pusher.realm_id, pusher.refresh_token) == \
        ("app-id", "app-secret", "9130", "RT-0")
    assert pusher.timeout == 7.5 and pusher.token_store.path == tmp_path / "tokens.json"
    assert sink.pusher() is pusher, "one pusher per configuration and thread"
    env.setenv("QBO_CLIENT_SECRET", "rotated-secret")
    assert resolved(defs, "sink").pusher().client_secret == "rotated-secret", "the secret is part of the key"
    env.delenv("QBO_REFRESH_TOKEN")
    with pytest.raises(DagsterInvalidConfigError, match="QBO_REFRESH_TOKEN"):
        resolved(defs, "sink")


def test_unknown_variant_names_the_variable(env) -> None:
    env.setenv("BILLING_PUSH", "email")
    with pytest.raises(ValueError, match="BILLING_PUSH must be outbox or qbo, got 'email'"):
        build_defs()
    env.setenv("BILLING_PUSH", "outbox")
    env.setenv("BILLING_SOURCE", "toggl")
    with pytest.raises(ValueError, match="BILLING_SOURCE must be csv or harvest"):
        build_defs()


def _imports(path: Path, package: str) -> set[str]:
    """Modules of `package` that `path` imports (at any level, lazy imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
            [a.name for a in node.names] if isinstance(node, ast.Import) else []
        found |= {n for n in names if n == package or n.startswith(package + ".")}
    return found


def test_resources_are_small_and_have_no_import_cycle() -> None:
    files = {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
             for p in (REPO / "resources").rglob("*.py")}
    assert {name: len(p.read_text().splitlines()) for name, p in files.items()
            if len(p.read_text().splitlines()) > 600} == {}
    graph = {name: {m for m in _imports(p, "resources") if m in files and m != name} for name, p in files.items()}
    assert not any(n.startswith("billing_assets") and n.split(".")[1] != "core"
                   for p in files.values() for n in _imports(p, "billing_assets")), \
        "resources import only the pure core, never an asset module"

    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return path
                if nxt not in path:
                    stack.append((nxt, [*path, nxt]))
        return None

    assert {name: cycle_from(name) for name in graph if cycle_from(name)} == {}


@pytest.mark.parametrize(("name", "value", "said"), [
    ("BILLING_SOURCE", "s3", "billing: BILLING_SOURCE must be csv or harvest, got 's3'"),
    ("BILLING_PUSH", "xero", "billing: BILLING_PUSH must be outbox or qbo, got 'xero'"),
    ("BILLING_HOME", "s3://billing-exports/firm", "billing: BILLING_HOME must be a folder on this machine, got the "
     "URL 's3://billing-exports/firm' (exports are read from its timesheets/ and expenses/ folders, or from Harvest)"),
    ("BILLING_DB", "mysql://u@h/db", "billing: BILLING_DB must be a DuckDB file path or a postgresql:// URL, got "
     "mysql://..."),
    ("BILLING_FIRST_MONTH", "2018/10", "billing: BILLING_FIRST_MONTH must be a YYYY-MM month, got '2018/10'"),
])
def test_a_setting_no_resource_can_be_built_from_is_one_line_before_anything_runs(
        billing_env, monkeypatch, capsys, name: str, value: str, said: str) -> None:
    """`BILLING_SOURCE=s3` passed `validate` and ended the close in a traceback; `BILLING_HOME=s3://...` was read as
    an empty local folder: "0 problems" and an exit-0 close that priced nothing."""
    from billing_assets.cli import main

    billing_env()
    monkeypatch.setenv(name, value)
    for command in (["validate"], ["close", "--month", "2026-09"]):
        assert main(command) == 2
        assert capsys.readouterr().err.strip() == said
