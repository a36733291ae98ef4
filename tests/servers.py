"""Real servers on 127.0.0.1 for the tests: a PostgreSQL cluster of its own (Debian's server binaries, started
as the `postgres` user when the tests run as root) and a moto server for the AWS APIs (S3, ECS, Secrets
Manager). Each stops when its fixture ends."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_bin() -> Path:
    """The folder of initdb/pg_ctl: PATH first, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not versions:
        raise RuntimeError("PostgreSQL server binaries not found: `apt-get install postgresql` (make test does)")
    return Path(versions[-1]).parent


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its binaries as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """A fresh cluster in a new folder under the system temp dir (pytest's are private to root, and the server
    runs as `postgres`) on a free loopback port, trust auth; yields the server's URL without a database name
    (see `create_database`). The folder is removed afterwards."""
    bindir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="billing-pg-"))
    data, sockets = root / "pgdata", root / "pgsock"
    for folder in (data, sockets):
        folder.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for folder in (data, sockets):
            shutil.chown(folder, "postgres")
    subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                 "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    port = free_port()
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "pg.log"), "-w",
                                 "-o", f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off",
                                 "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    import psycopg2

    conn = psycopg2.connect(server_url + "/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return f"{server_url}/{name}"


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's server on a free loopback port; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
