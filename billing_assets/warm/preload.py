"""The server's preload: import everything the commands need (without touching any billing home) and record the
environment variables those imports read and set."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from billing_assets.warm.log import _log

PRELOAD = ("billing_assets.cli", "billing_assets.close", "billing_assets.definitions", "billing_assets.checks",
           "billing_assets.validate", "billing_assets.approve", "billing_assets.gate", "demo_firm")
OPTIONAL_PRELOAD = ("great_expectations",)
# Imported lazily by a close after everything above and the probe (seen in the children's log lines).
EXTRA_PRELOAD = ("encodings.utf_8_sig", "multiprocessing.synchronize", "pandas.core.methods.to_dict",
                 "dagster._core.definitions.repository_definition.repository_data_builder")
OWN_PACKAGES = ("billing_assets", "resources", "sensors", "billing_sql")
# This package (billing_assets.warm): the running server itself, never preloaded (its __main__ runs as __main__).
WARM_PACKAGE = __name__.rpartition(".")[0]
# Our functions that read the environment when called, and are called again by every command: reads made
# inside them while the server imports (e.g. the module-level `defs = build_defs()`) are not import-time state
# the commands use.
PER_CALL_BUILDERS = frozenset({"build_defs", "build_resources", "build_late_entries_sensor"})
# Read by the interpreter or by .pth files before any of our code runs.
STARTUP_ENV = frozenset({"LANG", "LANGUAGE", "COLOREDLOGS_AUTO_INSTALL", "SETUPTOOLS_USE_DISTUTILS"})
# Read at import time only to find executables that import-time code runs (platform.architecture() runs `file`):
# a request may differ in them (an activated venv changes PATH).
IMPORT_TIME_IRRELEVANT = frozenset({"PATH"})


class _EnvReads:
    """Records the environment variables read (one by one, not by copying all of os.environ) and written while
    installed."""

    SKIP = ("<frozen os>", "<frozen _collections_abc>", os.__file__, getattr(__import__("_collections_abc"),
                                                                             "__file__", "<none>"))

    def __init__(self, root: Path) -> None:
        self.root = str(root) + os.sep
        self.reads: dict[str, str] = {}  # name -> where (file:line)
        self.written: set[str] = set()
        self._bulk: set[tuple] = set()
        self._saved = None

    def _caller(self):
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename in self.SKIP:
            frame = frame.f_back
        return frame

    def _per_call(self, frame) -> bool:
        while frame is not None:
            if frame.f_code.co_name in PER_CALL_BUILDERS and frame.f_code.co_filename.startswith(self.root):
                return True
            frame = frame.f_back
        return False

    def install(self) -> _EnvReads:
        cls = type(os.environ)
        getitem, iterate, setitem, delitem = cls.__getitem__, cls.__iter__, cls.__setitem__, cls.__delitem__
        self._saved = (cls, getitem, iterate, setitem, delitem)
        tracker = self

        def tracked_getitem(env, key):
            frame = tracker._caller()
            name = os.fsdecode(key) if isinstance(key, bytes) else key
            if frame is not None and (id(frame), frame.f_lasti, frame.f_code) not in tracker._bulk \
                    and name not in tracker.reads and not tracker._per_call(frame):
                tracker.reads[name] = f"{frame.f_code.co_filename}:{frame.f_lineno}"
            return getitem(env, key)

        def tracked_iter(env):
            frame = tracker._caller()
            if frame is not None:  # dict(os.environ), os.environ.copy(): every key follows from this call site
                tracker._bulk.add((id(frame), frame.f_lasti, frame.f_code))
            return iterate(env)

        def tracked_setitem(env, key, value):
            tracker.written.add(os.fsdecode(key) if isinstance(key, bytes) else key)
            return setitem(env, key, value)

        def tracked_delitem(env, key):
            tracker.written.add(os.fsdecode(key) if isinstance(key, bytes) else key)
            return delitem(env, key)

        cls.__getitem__, cls.__iter__, cls.__setitem__, cls.__delitem__ = (tracked_getitem, tracked_iter,
                                                                           tracked_setitem, tracked_delitem)
        return self

    def uninstall(self) -> None:
        cls, getitem, iterate, setitem, delitem = self._saved
        cls.__getitem__, cls.__iter__, cls.__setitem__, cls.__delitem__ = getitem, iterate, setitem, delitem
        self._bulk.clear()


def _sensitive(name: str) -> bool:
    return name.startswith(("PYTHON", "LC_")) or name in STARTUP_ENV


def _effective_env(env: dict[str, str]) -> dict[str, str]:
    """The environment as the CLI has it when its imports run (prepare_environment sets this default first)."""
    env = dict(env)
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    return env


def _probe(root: Path) -> list[str]:
    """In a forked child: create a DagsterInstance from the repo's dagster.yaml on a throwaway DAGSTER_HOME and run
    a one-op job in process on it; the names of the modules that imported, in import order. (Run again after the
    preload, it imports nothing new; each request child logs what it still imports.)"""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            import shutil
            import tempfile

            before = set(sys.modules)
            home = tempfile.mkdtemp(prefix="billing-warm-probe-")
            try:
                shutil.copyfile(root / "dagster.yaml", os.path.join(home, "dagster.yaml"))
                os.environ["DAGSTER_HOME"] = home
                os.environ["BILLING_HOME"] = os.path.join(home, "billing_home")
                from dagster import DagsterInstance, job, op

                @op
                def probe_op() -> int:
                    return 1

                @job
                def probe_job() -> None:
                    probe_op()

                with DagsterInstance.get() as instance:
                    instance.get_dynamic_partitions("client")
                    probe_job.execute_in_process(instance=instance, raise_on_error=False, run_config={
                        "loggers": {"console": {"config": {"log_level": "WARNING"}}}})
            finally:
                shutil.rmtree(home, ignore_errors=True)
            new = [name for name in sys.modules if name not in before]
            os.write(write_fd, json.dumps(new).encode())
        except BaseException as exc:  # the probe only informs the preload
            _log(f"probe failed: {exc!r}")
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks = []
    while chunk := os.read(read_fd, 65536):
        chunks.append(chunk)
    os.close(read_fd)
    os.waitpid(pid, 0)
    try:
        return json.loads(b"".join(chunks) or b"[]")
    except ValueError:
        return []


def _is_warm_module(name: str) -> bool:
    """This package or one of its modules: the running server itself, never imported again."""
    return name == WARM_PACKAGE or name.startswith(WARM_PACKAGE + ".")


def _own_modules() -> list[str]:
    import importlib
    import pkgutil

    names = []
    for package in OWN_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not _is_warm_module(info.name) and not info.name.endswith("__main__"):
                names.append(info.name)
    return names


def _import_all(names: Iterable[str]) -> list[str]:
    import importlib

    failed = []
    for name in names:
        if name in sys.modules or name == "__main__":
            continue
        try:
            importlib.import_module(name)
        except (Exception, SystemExit) as exc:  # a module we cannot preload is imported by the child if used
            failed.append(f"{name} ({type(exc).__name__})")
    return failed


def _warm_gx() -> list[str]:
    """Build the Great Expectations context and suite once (about 0.4 s a command otherwise): in memory, no
    threads, no billing home; every child inherits them."""
    try:
        from billing_assets.expectations import warm_up

        warm_up()
    except Exception as exc:  # without it each child builds its own
        return [f"great_expectations warm-up ({type(exc).__name__})"]
    return []


def preload(root: Path) -> dict:
    """Import everything the commands need, without touching any billing home; what was imported and read."""
    import gc
    import warnings

    started = time.monotonic()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    tracker = _EnvReads(root).install()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            failed = _import_all(PRELOAD)
            for name in OPTIONAL_PRELOAD:
                _import_all([name])
            failed += _import_all(_own_modules())
            discovered = _probe(root)
            failed += _import_all(discovered)
            failed += _import_all(EXTRA_PRELOAD)
            failed += _warm_gx()
    finally:
        tracker.uninstall()
    gc.collect()
    gc.freeze()  # the children never scan (and so never copy) the preloaded objects' pages in a collection
    # What importing did to os.environ (e.g. a module-level os.environ.setdefault): a fresh process has it after
    # the same imports, so every child re-applies it over the client's environment.
    writes = {name: os.environ.get(name) for name in sorted(tracker.written)}
    return {"seconds": time.monotonic() - started, "failed": failed, "probe_imported": len(discovered),
            "env_reads": tracker.reads, "env_writes": writes}
