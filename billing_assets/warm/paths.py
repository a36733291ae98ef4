"""Where a server lives (socket, lock, log), which server a checkout and interpreter use, and the code and
interpreter state a client and its server must share."""

from __future__ import annotations

import hashlib
import os
import stat
import sys
from pathlib import Path


def source_root() -> Path:
    return Path(__file__).resolve().parents[2]  # billing_assets/warm/paths.py -> the checkout


def server_key(root: Path | None = None) -> str:
    """One server per interpreter, environment (venv) and checkout."""
    ident = "\0".join((os.path.realpath(sys.executable), os.path.realpath(sys.prefix), str(root or source_root())))
    return hashlib.sha1(ident.encode()).hexdigest()[:12]


class Paths:
    """The socket, lock and log file of one server (no dataclass: the client imports only what it needs)."""

    def __init__(self, directory: Path, key: str) -> None:
        self.dir = directory
        self.key = key

    @property
    def sock(self) -> Path:
        return self.dir / f"{self.key}.sock"

    @property
    def lock(self) -> Path:
        return self.dir / f"{self.key}.lock"

    @property
    def log(self) -> Path:
        return self.dir / f"{self.key}.log"


def server_dir() -> Path:
    explicit = os.environ.get("BILLING_SERVER_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_RUNTIME_DIR") or "/tmp") / f"billing-server-{os.getuid()}"


def locate(create: bool) -> Paths | None:
    """The socket directory, created 0700 when asked; None when it is missing, unsafe or its path too long."""
    directory = server_dir()
    if create:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            return None
    try:
        info = directory.lstat()
    except OSError:
        return None
    # Requests carry the whole environment (API keys included): only a private directory of ours will do.
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    paths = Paths(directory, server_key())
    if len(os.fsencode(paths.sock)) >= 100:  # sun_path holds 108 bytes
        return None
    return paths


def code_version(root: Path | None = None) -> str:
    """A hash over (path, mtime, size) of the code a command runs, and the site-packages directories' mtimes."""
    import sysconfig

    root = root or source_root()
    digest = hashlib.sha1()
    for top in ("billing_assets", "resources", "sensors", "sql"):
        for folder, dirs, files in os.walk(root / top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".sql", ".yaml", ".yml")):
                    path = os.path.join(folder, name)
                    try:
                        info = os.stat(path)
                    except OSError:
                        continue
                    digest.update(f"{os.path.relpath(path, root)}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
    paths = sysconfig.get_paths()
    for name in (str(root / "dagster.yaml"), paths["purelib"], paths["platlib"]):
        try:
            info = os.stat(name)
            digest.update(f"{name}\0{info.st_mtime_ns}\0{info.st_size}\n".encode())
        except OSError:
            digest.update(f"{name}\0missing\n".encode())
    return digest.hexdigest()[:16]


def interpreter_state() -> dict:
    """What must match between a client's interpreter and the server's for a child to behave like the client."""
    flags = {name: getattr(sys.flags, name) for name in dir(sys.flags)
             if not name.startswith("_") and name not in ("count", "index", "n_fields", "n_sequence_fields",
                                                           "n_unnamed_fields", "safe_path")}
    return {"flags": flags, "warnoptions": list(sys.warnoptions), "xoptions": sorted(map(str, sys._xoptions)),
            "prefix": os.path.realpath(sys.prefix)}


def _try_lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on `path`, or None when another process holds it."""
    import fcntl

    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _lock_held(path: Path) -> bool:
    fd = _try_lock(path)
    if fd is None:
        return True
    os.close(fd)
    return False
