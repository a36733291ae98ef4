"""A warm fork server for the `billing` CLI (the multiprocessing-forkserver / gradle-daemon pattern).

Cold, `billing close` spends most of a small re-close importing dagster, pandas, duckdb, great_expectations and
our modules and loading the modules a DagsterInstance imports lazily. The server does that once, then forks one
child per request; the child takes the client's stdin/stdout/stderr (passed over the socket), environment, cwd,
umask, argv and signal dispositions and runs `billing_assets.cli.main` exactly as a fresh process would.

    python -m billing_assets.warm serve [--idle-timeout SECONDS]    (or: billing server start)

The client half (`run_warm`, called first thing by `cli.main`) only imports the standard library. BILLING_SERVER:
`auto` (default) uses a running server and starts one in the background after a cold run; `off` never does.

One server per interpreter + checkout (the socket name is a hash of sys.executable, sys.prefix and the source
root), not per billing home: every request brings its own environment. A request is refused (the client runs
cold) when the server could not behave like a fresh process: different code on disk (the server answers `stale`
and exits), a thread in the server, or a difference in the environment variables that were read while the
server imported its modules (numpy/pandas/dagster import-time flags, PYTHON*, locale, HOME, ...).

Modules: `paths` (socket/lock/log locations, server key, code version), `protocol` (the socket's messages),
`client` (`run_warm`, `after_cold`, starting a server), `control` (`billing server start|stop|status`) — these
import only the standard library — and, in the server, `preload`, `server`, `child` (the forked request), `log`.
"""

from billing_assets.warm.client import after_cold, run_warm
from billing_assets.warm.control import server_command

__all__ = ["after_cold", "run_warm", "server_command"]
