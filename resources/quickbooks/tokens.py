"""OAuth token state, its stores (a private JSON file or an AWS Secrets Manager secret) and the manager that
refreshes under the store lock and saves a rotated refresh token before using it."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from resources.quickbooks.errors import QboAuthError

log = logging.getLogger(__name__)

ACCESS_SKEW = 300.0  # refresh an access token this many seconds before it expires


@dataclass
class TokenState:
    """What the token store holds. `seed_sha256` fingerprints the QBO_REFRESH_TOKEN it started from."""

    refresh_token: str
    access_token: str | None = None
    access_expires_at: float = 0.0  # epoch seconds
    refresh_expires_at: float | None = None
    seed_sha256: str | None = None
    updated_at: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_text(cls, text: str) -> TokenState:
        """Parse a stored state; a bare token string (a hand-made secret) is a refresh token."""
        text = text.strip()
        if not text.startswith("{"):
            return cls(refresh_token=text)
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class TokenStore(Protocol):
    def load(self) -> TokenState | None: ...

    def save(self, state: TokenState) -> None: ...

    def lock(self) -> contextlib.AbstractContextManager[None]: ...


class FileTokenStore:
    """A JSON file (mode 0600) replaced atomically; an fcntl lock on `<path>.lock` (0600) serialises refreshes
    across processes on this host. Missing folders are created 0700; with `private_dir` (the default store in
    the billing home's `secrets/`) an existing folder is made 0700 too."""

    def __init__(self, path: str | os.PathLike[str], private_dir: bool = False):
        self.path = Path(path)
        self.private_dir = private_dir
        self._thread_lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        with self._thread_lock:
            if self._depth:  # re-entered by this thread: flock on a second fd would deadlock
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            make_private_dir(self.path.parent, tighten=self.private_dir)
            with os.fdopen(os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600), "r+") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                self._depth = 1
                try:
                    yield
                finally:
                    self._depth = 0
                    fcntl.flock(handle, fcntl.LOCK_UN)

    def load(self) -> TokenState | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        if stat.S_IMODE(self.path.stat().st_mode) & 0o077:  # a hand-made seed file readable by others
            log.warning("QuickBooks token file %s was readable by others; made it 0600", self.path)
            os.chmod(self.path, 0o600)
        return TokenState.from_text(text) if text.strip() else None

    def save(self, state: TokenState) -> None:
        make_private_dir(self.path.parent, tighten=self.private_dir)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(state.to_json())
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.path.parent)


def make_private_dir(directory: Path, tighten: bool = False) -> None:
    """Create missing folders of `directory` with mode 0700 whatever the umask; with `tighten` an existing
    `directory` is made 0700 as well (never its parents: they may be shared)."""
    missing = [p for p in (directory, *directory.parents) if not p.exists()]
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process created it meanwhile
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)
    if tighten and stat.S_IMODE(directory.stat().st_mode) != 0o700:
        os.chmod(directory, 0o700)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class SecretsManagerTokenStore:
    """The token state as the SecretString of an AWS Secrets Manager secret (boto3). `put_secret_value`
    replaces the value atomically. The lock is process-local: Secrets Manager has none, and Intuit keeps
    the previous refresh token valid for about a day, so a cross-host race costs one extra refresh.
    Pass `client` to reuse one (e.g. dagster-aws `SecretsManagerResource.get_client()`)."""

    def __init__(self, secret_id: str, client: Any = None, region_name: str | None = None):
        self.secret_id = secret_id
        self._client = client
        self.region_name = region_name or _arn_region(secret_id)
        self._lock = threading.RLock()

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("secretsmanager", region_name=self.region_name)
        return self._client

    def lock(self) -> contextlib.AbstractContextManager[None]:
        return self._lock

    def load(self) -> TokenState | None:
        try:
            answer = self.client.get_secret_value(SecretId=self.secret_id)
        except Exception as exc:
            if _aws_code(exc) == "ResourceNotFoundException":
                return None
            raise
        text = answer.get("SecretString") or ""
        return TokenState.from_text(text) if text.strip() else None

    def save(self, state: TokenState) -> None:
        try:
            self.client.put_secret_value(SecretId=self.secret_id, SecretString=state.to_json())
        except Exception as exc:
            if _aws_code(exc) != "ResourceNotFoundException" or self.secret_id.startswith("arn:"):
                raise
            self.client.create_secret(Name=self.secret_id, SecretString=state.to_json())


def _aws_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code", ""))


def _arn_region(secret_id: str) -> str | None:
    parts = secret_id.split(":")
    return parts[3] if secret_id.startswith("arn:") and len(parts) > 3 and parts[3] else None


def token_store_for(value: str | None, billing_home: str | None = None) -> TokenStore:
    """The QBO_TOKEN_STORE setting: `arn:...` or `secretsmanager:<name>` -> Secrets Manager, else a file path
    (default `$BILLING_HOME/secrets/qbo_tokens.json`, or `.billing/qbo_tokens.json`)."""
    value = (value or "").strip()
    if value.startswith("arn:"):
        return SecretsManagerTokenStore(value)
    if value.startswith("secretsmanager:"):
        return SecretsManagerTokenStore(value.removeprefix("secretsmanager:"))
    if value:
        return FileTokenStore(Path(value).expanduser())
    home = Path(billing_home).expanduser() if billing_home else Path(".billing")
    return FileTokenStore(home / "secrets" / "qbo_tokens.json", private_dir=True)


@dataclass(frozen=True)
class TokenGrant:
    """One answer of the token endpoint."""

    access_token: str
    refresh_token: str
    expires_in: float
    refresh_expires_in: float | None = None


class TokenManager:
    """Hands out access tokens; every refresh happens under the store lock and is saved before use."""

    def __init__(self, store: TokenStore, initial_refresh_token: str | None,
                 refresher: Callable[[str], TokenGrant], clock: Callable[[], float] = time.time):
        self.store, self.refresher, self.clock = store, refresher, clock
        self.initial = (initial_refresh_token or "").strip() or None
        self.seed = hashlib.sha256(self.initial.encode()).hexdigest() if self.initial else None

    def access(self) -> TokenState:
        """A state whose access token is valid for at least ACCESS_SKEW seconds."""
        with self.store.lock():
            state = self._current()
            return state if self._fresh(state) else self._refresh(state)

    def after_reject(self, rejected: str | None) -> TokenState:
        """A new access token after QuickBooks rejected `rejected` (unless another process refreshed)."""
        with self.store.lock():
            state = self._current()
            if state.access_token != rejected and self._fresh(state):
                return state
            return self._refresh(state)

    def _fresh(self, state: TokenState) -> bool:
        return bool(state.access_token) and state.access_expires_at - ACCESS_SKEW > self.clock()

    def _current(self) -> TokenState:
        state = self.store.load()
        reauthorized = bool(state and state.seed_sha256 and self.seed and state.seed_sha256 != self.seed)
        if state is not None and not reauthorized:
            return state
        if self.initial is None:
            raise QboAuthError("no QuickBooks refresh token: set QBO_REFRESH_TOKEN (or seed the token store)")
        return TokenState(refresh_token=self.initial, seed_sha256=self.seed)

    def _refresh(self, state: TokenState) -> TokenState:
        grant = self.refresher(state.refresh_token)
        now = self.clock()
        new = TokenState(
            refresh_token=grant.refresh_token or state.refresh_token,
            access_token=grant.access_token,
            access_expires_at=now + float(grant.expires_in or 3600),
            refresh_expires_at=now + grant.refresh_expires_in if grant.refresh_expires_in else None,
            seed_sha256=state.seed_sha256 if state.seed_sha256 else self.seed,
            updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._save(new)
        log.info("QuickBooks tokens refreshed; refresh token %s", "rotated" if
                 new.refresh_token != state.refresh_token else "unchanged")
        return new

    def _save(self, state: TokenState) -> None:
        for attempt in range(3):
            try:
                self.store.save(state)
                return
            except Exception:
                if attempt == 2:
                    log.critical("QuickBooks refresh token rotated but could not be saved; re-authorize if "
                                 "the next run fails with invalid_grant")
                    raise
                time.sleep(0.2 * (attempt + 1))

