"""QuickBooks tokens and auth against the loopback emulator (tests/emulators/qbo_server.py): refresh-token rotation
across runs, 401 refreshes, the sink's QBO_* settings, the file and Secrets Manager token stores, token endpoint
faults, and private token files."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

import boto3
import pytest
import requests
from botocore.stub import Stubber
from dagster import DagsterInvalidConfigError

from billing_assets.definitions import build_sink
from resources.quickbooks.errors import QboAuthError
from resources.quickbooks.invoices import QuickBooksPusher
from resources.quickbooks.tokens import FileTokenStore, SecretsManagerTokenStore, TokenState, token_store_for
from tests.emulators.qbo_server import DEFAULT_REFRESH_TOKEN, QboEmulator
from tests.qbo_helpers import FAST, make_draft, make_pusher


@pytest.fixture
def emu():
    with QboEmulator() as emulator:
        yield emulator


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "secrets" / "qbo_tokens.json"


# --- tokens -------------------------------------------------------------------------------------------

def refresh_with(emu: QboEmulator, token: str) -> requests.Response:
    return requests.post(emu.token_url, auth=(emu.client_id, emu.client_secret), timeout=5,
                         data={"grant_type": "refresh_token", "refresh_token": token})


def test_token_rotation_across_runs(emu, store):
    first = make_pusher(emu, store).upsert(make_draft())  # run 1: RT-initial -> RT-1, persisted
    saved = FileTokenStore(store).load()
    assert saved.refresh_token == emu.refresh_token != DEFAULT_REFRESH_TOKEN
    assert refresh_with(emu, DEFAULT_REFRESH_TOKEN).json() == {"error": "invalid_grant"}  # old one is dead
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    assert not [p for p in store.parent.iterdir() if p.name.endswith(".tmp")]

    emu.expire_access_tokens()  # an hour later
    second = make_pusher(emu, store).upsert(make_draft(hours="2"), first.record())  # run 2: 401 -> refresh
    assert second.status == "updated"
    rotated = FileTokenStore(store).load()
    assert rotated.refresh_token == emu.refresh_token != saved.refresh_token
    assert len(emu.token_requests) == 3  # run 1, our invalid_grant probe, run 2

    third = make_pusher(emu, store).upsert(make_draft(hours="2"), second.record())  # run 3: token reused
    assert third.status == "unchanged" and len(emu.token_requests) == 3


def test_401_mid_run_refreshes_once_and_retries(emu, store):
    pusher = make_pusher(emu, store)
    pusher.upsert(make_draft())
    emu.inject("401", path="/query")
    assert pusher.upsert(make_draft("globex", "Globex")).status == "created"
    assert len(emu.token_requests) == 2 and FileTokenStore(store).load().refresh_token == emu.refresh_token
    emu.inject("401", path="/query", times=2)
    with pytest.raises(QboAuthError):
        pusher.upsert(make_draft("initech", "Initech"))


def test_rejected_refresh_token_is_an_auth_error(emu, store):
    FileTokenStore(store).save(TokenState(refresh_token="RT-revoked"))
    with pytest.raises(QboAuthError, match="re-authorize"):
        make_pusher(emu, store, refresh_token=None).upsert(make_draft())


def test_new_env_refresh_token_replaces_the_stored_one(emu, store):
    make_pusher(emu, store).upsert(make_draft())
    emu.refresh_token = "RT-after-reauthorization"  # the operator re-connected the app
    emu.expire_access_tokens()
    result = make_pusher(emu, store, refresh_token="RT-after-reauthorization").upsert(make_draft("globex", "G"))
    assert result.status == "created"
    assert FileTokenStore(store).load().seed_sha256 == hashlib.sha256(b"RT-after-reauthorization").hexdigest()


def test_sink_resource_settings_and_transport_rules(emu, tmp_path, monkeypatch):
    env = {"QBO_CLIENT_ID": emu.client_id, "QBO_CLIENT_SECRET": emu.client_secret,
           "QBO_REFRESH_TOKEN": DEFAULT_REFRESH_TOKEN, "QBO_REALM_ID": emu.realm_id,
           "QBO_ENVIRONMENT": "sandbox", "QBO_BASE_URL": emu.base_url, "QBO_DISCOVERY_URL": emu.discovery_url,
           "QBO_TOKEN_STORE": str(tmp_path / "tokens.json"), "BILLING_PUSH": "qbo",
           "BILLING_HOME": str(tmp_path / "home")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)

    def pusher_from_env() -> QuickBooksPusher:
        return build_sink(str(tmp_path / "home")).process_config_and_initialize()._build()

    pusher = pusher_from_env()
    pusher.retry = FAST
    assert pusher.upsert(make_draft()).status == "created"
    assert pusher.qb.api_url == emu.base_url and pusher.qb.sandbox
    assert "OAUTHLIB_INSECURE_TRANSPORT" not in os.environ
    monkeypatch.setenv("QBO_BASE_URL", "http://quickbooks.example.com/v3")
    with pytest.raises(ValueError, match="loopback"):
        pusher_from_env()
    monkeypatch.setenv("QBO_BASE_URL", emu.base_url)
    monkeypatch.setenv("QBO_DISCOVERY_URL", "http://10.0.0.5/.well-known/x")
    with pytest.raises(ValueError, match="loopback"):
        pusher_from_env()
    monkeypatch.setenv("QBO_DISCOVERY_URL", emu.discovery_url)
    monkeypatch.setenv("QBO_ENVIRONMENT", "staging")
    with pytest.raises(ValueError, match="QBO_ENVIRONMENT"):
        pusher_from_env()
    monkeypatch.setenv("QBO_ENVIRONMENT", "production")
    monkeypatch.setenv("QBO_BASE_URL", "")
    production = pusher_from_env()
    assert production.base_url is None and production.environment == "production"
    monkeypatch.delenv("QBO_REALM_ID")
    with pytest.raises(DagsterInvalidConfigError, match="QBO_REALM_ID"):
        pusher_from_env()


def test_file_token_store_is_atomic_and_serialised(tmp_path):
    store = FileTokenStore(tmp_path / "t.json")
    assert store.load() is None
    store.save(TokenState(refresh_token="0"))

    def bump():
        for _ in range(20):
            with store.lock(), store.lock():  # re-entrant within a thread
                store.save(TokenState(refresh_token=str(int(store.load().refresh_token) + 1)))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.load().refresh_token == "80"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json", "t.json.lock"]


def test_secrets_manager_store(monkeypatch):
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:qbo-tokens-AbCdEf"
    assert isinstance(token_store_for(arn), SecretsManagerTokenStore)
    assert token_store_for(arn).region_name == "eu-west-1"
    named = token_store_for("secretsmanager:billing/qbo")
    assert isinstance(named, SecretsManagerTokenStore) and named.secret_id == "billing/qbo"
    assert isinstance(token_store_for(None, "/srv/billing"), FileTokenStore)

    client = boto3.client("secretsmanager", region_name="eu-west-1", aws_access_key_id="x",
                          aws_secret_access_key="y")
    store = SecretsManagerTokenStore(arn, client=client)
    state = TokenState(refresh_token="RT-9", access_token="AT", access_expires_at=1.0)
    with Stubber(client) as stub:
        stub.add_client_error("get_secret_value", service_error_code="ResourceNotFoundException",
                              expected_params={"SecretId": arn})
        stub.add_response("put_secret_value", {"ARN": arn, "VersionId": "v" * 32},
                          {"SecretId": arn, "SecretString": state.to_json()})
        stub.add_response("get_secret_value", {"ARN": arn, "SecretString": state.to_json()}, {"SecretId": arn})
        stub.add_response("get_secret_value", {"ARN": arn, "SecretString": "RT-hand-made"}, {"SecretId": arn})
        assert store.load() is None
        store.save(state)
        assert store.load() == state
        assert store.load().refresh_token == "RT-hand-made"
        stub.assert_no_pending_responses()


# --- token endpoint faults ----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["500", "503", "hang"])
def test_token_endpoint_faults_are_retried_and_the_rotation_saved(emu, store, kind):
    emu.inject(kind, path="/oauth2/", seconds=1.0)
    result = make_pusher(emu, store).upsert(make_draft())
    assert result.status == "created" and len(emu.invoices) == 1
    assert [r.fault for r in emu.requests if r.path.startswith("/oauth2/")] == [kind, None]
    assert FileTokenStore(store).load().refresh_token == emu.refresh_token


# --- private secrets ----------------------------------------------------------------------------------

def test_token_store_files_are_private_whatever_the_umask(emu, tmp_path):
    home = tmp_path / "home"
    (home / "secrets").mkdir(parents=True, mode=0o755)
    os.chmod(home / "secrets", 0o755)  # a world-readable folder made by hand
    old = os.umask(0)
    try:
        store = token_store_for(None, str(home))
        assert isinstance(store, FileTokenStore) and store.path == home / "secrets" / "qbo_tokens.json"
        make_pusher(emu, store).upsert(make_draft())
        make_pusher(emu, store).upsert(make_draft("globex", "Globex"))
        emu.expire_access_tokens()
        make_pusher(emu, store).upsert(make_draft("initech", "Initech"))  # a second save keeps the mode
        fresh = token_store_for(None, str(tmp_path / "new_home"))
        fresh.save(TokenState(refresh_token="RT-x"))
        seeded = tmp_path / "by_hand" / "tokens.json"
        seeded.parent.mkdir()
        seeded.write_text("RT-hand-made")
        os.chmod(seeded, 0o644)
        assert FileTokenStore(seeded).load().refresh_token == "RT-hand-made"
    finally:
        os.umask(old)

    def mode(path: Path) -> int:
        return stat.S_IMODE(os.stat(path).st_mode)

    assert len(emu.token_requests) == 2
    assert mode(home / "secrets") == 0o700
    assert mode(store.path) == 0o600 and mode(Path(f"{store.path}.lock")) == 0o600
    assert mode(tmp_path / "new_home") == 0o700 and mode(tmp_path / "new_home" / "secrets") == 0o700
    assert mode(fresh.path) == 0o600
    assert mode(seeded) == 0o600 and mode(seeded.parent) == 0o777, "an explicit path's existing folder is kept"
