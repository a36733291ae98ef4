"""The client-server protocol: newline-delimited JSON over the server's Unix socket, and one-shot requests."""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
from collections.abc import Sequence

from billing_assets.warm.paths import Paths, _try_lock

MAX_MESSAGE = 16 * 1024 * 1024
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)  # a client forwards these to its child


class Channel:
    """Newline-delimited JSON over a Unix stream socket; the first message may carry file descriptors."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""
        self.fds: list[int] = []

    def send(self, message: dict, fds: Sequence[int] = ()) -> None:
        data = (json.dumps(message) + "\n").encode()
        if fds:
            sent = socket.send_fds(self.sock, [data], list(fds))
            data = data[sent:]
        if data:
            self.sock.sendall(data)

    def receive(self, with_fds: bool = False) -> dict:
        while b"\n" not in self.buffer:
            if with_fds:
                chunk, fds, _flags, _addr = socket.recv_fds(self.sock, 65536, 3, socket.MSG_CMSG_CLOEXEC)
                self.fds.extend(fds)
            else:
                chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += chunk
            if len(self.buffer) > MAX_MESSAGE:
                raise ValueError("message too long")
        line, _, self.buffer = self.buffer.partition(b"\n")
        return json.loads(line)

    def receive_available(self) -> list[dict]:
        """The complete messages after one read (the socket is readable); EOFError when the peer closed."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        self.buffer += chunk
        messages = []
        while b"\n" in self.buffer:
            line, _, self.buffer = self.buffer.partition(b"\n")
            messages.append(json.loads(line))
        return messages


def _peer_uid(sock: socket.socket) -> int:
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _connect(paths: Paths, timeout: float | None = 5.0) -> socket.socket | None:
    """A connection to a live server of ours; None if there is none (a dead socket file is removed)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(paths.sock))
    except (FileNotFoundError, ConnectionRefusedError):
        sock.close()
        _remove_dead_socket(paths)
        return None
    except OSError:
        sock.close()
        return None
    if _peer_uid(sock) != os.getuid():
        sock.close()
        return None
    return sock


def _remove_dead_socket(paths: Paths) -> None:
    """No listener answered: with the server lock free no server is alive or starting, so the file is dead."""
    if not paths.sock.exists():
        return
    fd = _try_lock(paths.lock)
    if fd is None:
        return
    try:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(os.fspath(paths.sock))
        except OSError:
            paths.sock.unlink(missing_ok=True)
        finally:
            probe.close()
    finally:
        os.close(fd)


def request(paths: Paths, message: dict, timeout: float = 10.0) -> dict | None:
    """One status/stop request; None when no server answers."""
    sock = _connect(paths, timeout)
    if sock is None:
        return None
    with sock:
        channel = Channel(sock)
        try:
            channel.send(message)
            return channel.receive()
        except (OSError, EOFError, ValueError):
            return None
