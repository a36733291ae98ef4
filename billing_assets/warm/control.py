"""`billing server start|stop|status`."""

from __future__ import annotations

import os
import sys
import time

from billing_assets.warm.client import STARTING_WAIT, _server_command, server_env, spawn_server
from billing_assets.warm.paths import _lock_held, code_version, locate, server_dir
from billing_assets.warm.protocol import request

READY_WAIT = 180.0  # `billing server start` waits this long for the server to answer


def server_command(action: str, idle_timeout: float | None = None, foreground: bool = False) -> int:
    paths = locate(create=True)
    if paths is None:
        print(f"billing: no usable server directory {server_dir()} (must be ours, mode 0700, short path)",
              file=sys.stderr)
        return 1
    if action == "status":
        status = request(paths, {"op": "status"})
        if status is None:
            state = "starting (preloading)" if _lock_held(paths.lock) else "not running"
            print(f"billing server: {state} (socket {paths.sock})")
            return 1
        _print_status(status)
        return 0
    if action == "stop":
        reply = request(paths, {"op": "stop"})
        deadline = time.monotonic() + STARTING_WAIT
        while reply is None and _lock_held(paths.lock) and time.monotonic() < deadline:  # still preloading
            time.sleep(0.1)
            reply = request(paths, {"op": "stop"})
        if reply is None:
            print(f"billing server: not running (socket {paths.sock})")
            return 0
        deadline = time.monotonic() + 10
        while _lock_held(paths.lock) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _lock_held(paths.lock):
            print(f"billing server: stopping after the command it runs (pid {reply.get('pid')})")
        else:
            print(f"billing server: stopped (pid {reply.get('pid')})")
        return 0
    # start
    status = request(paths, {"op": "status"})
    if status is not None:
        if status.get("code_version") == code_version():
            _print_status(status)
            return 0
        request(paths, {"op": "stop"})
        deadline = time.monotonic() + 10
        while _lock_held(paths.lock) and time.monotonic() < deadline:
            time.sleep(0.05)
    if foreground:
        command = _server_command(idle_timeout)
        os.execve(command[0], command, server_env(dict(os.environ)))
    process = spawn_server(paths, idle_timeout)
    deadline = time.monotonic() + READY_WAIT
    while time.monotonic() < deadline:
        status = request(paths, {"op": "status"})
        if status is not None:
            _print_status(status)
            return 0
        if process.poll() is not None and not _lock_held(paths.lock):
            break
        time.sleep(0.1)
    print(f"billing: the server did not start; see {paths.log}", file=sys.stderr)
    return 1


def _describe_running(running: dict | None) -> str:
    if not running:
        return "nothing"
    return (f"pid {running['pid']}: billing {' '.join(running['argv'])} (in {running['cwd']}, for "
            f"{time.time() - running['since']:.0f} s)")


def _print_status(status: dict) -> None:
    match = "match" if status.get("code_version") == code_version() else "STALE (the code changed since it started)"
    print(f"socket:        {status.get('socket')}\n"
          f"pid:           {status.get('pid')}\n"
          f"uptime:        {status.get('uptime', 0):.0f} s (idle timeout {status.get('idle_timeout'):.0f} s)\n"
          f"code version:  {status.get('code_version')} ({match})\n"
          f"requests:      {status.get('requests')} served, {status.get('refused')} refused, "
          f"{status.get('queued', 0)} queued\n"
          f"running:       {_describe_running(status.get('running'))}\n"
          f"preload:       {status.get('preload_seconds', 0):.1f} s, {status.get('modules')} modules\n"
          f"log:           {status.get('log')}")
