"""The servers a workshop bench measures, and how it measures them (for bench_workshop*.py).

`Farm` runs `./run workshop` as a host would (glassbox.workshop.serve: N replicas behind nginx,
supervised) on a free loopback port, in a data folder of its own: the real data folder's entries
linked in, plus a fresh `workshop/` folder, so the SQLite store, the logs and replicas.json of a
bench run never mix with a real workshop's. `Direct` is one plain site server without nginx, for
comparison. Both give the process tree's resident memory and CPU time, sampled from /proc.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Self

from browser_helpers import server_errors  # the bench scripts put tests/ on sys.path

ROOT = Path(__file__).resolve().parent.parent
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TEACHER_KEY = "bench-teacher-key-0123"  # the run's own; printed nowhere else


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def family(pid: int) -> set[int]:
    """`pid` and all its descendants (live now)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        found.add(current)
        todo += [child for child, parent in parents.items() if parent == current and child not in found]
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants, in MB (0 when it is gone)."""
    pages = 0
    for member in family(pid):
        try:
            pages += int((Path("/proc") / str(member) / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds used so far by process `pid` (without its children)."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of `pid` and its live descendants (a replica killed mid-run takes its share along)."""
    return sum(cpu_seconds(member) for member in family(pid))


class RssSampler(threading.Thread):
    """Samples a process tree's memory every `every` seconds until stopped; keeps the peak."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak = pid, every, 0.0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, tree_rss_mb(self.pid))
            self.done.wait(self.every)


def _health(port: int) -> bool:
    try:
        with NO_PROXY.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _site_env(model: Path, data: Path, store: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment a bench's server runs in: this model, data folder and store, offline."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, **extra, "GLASSBOX_MODEL": str(model), "GLASSBOX_DATA": str(data),
            "GLASSBOX_STORE": str(store), "HF_HUB_OFFLINE": "1", "PYTHONPATH": path}


class _Server:
    """What both kinds of server share: a process started in its own session, its log, stopping."""

    log: Path
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def _launch(self, cmd: list[str], ready: Callable[[], bool], what: str, timeout: float) -> None:
        self.process = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log.open("wb"),
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        started = time.monotonic()
        while not ready():
            if self.process.poll() is not None or time.monotonic() - started > timeout:
                raise RuntimeError(f"{what} did not start:\n{self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)

    def start(self, timeout: float = 240.0) -> None:
        raise NotImplementedError

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def supervisor_log(self) -> str:
        return self.log.read_text(errors="replace")

    def logs(self) -> list[Path]:
        raise NotImplementedError

    def last_error(self, limit: int = 400) -> str:
        """The last error any of its Streamlit processes logged ("" when none did)."""
        found = [server_errors(log) for log in self.logs()]
        return next((text[:limit] for text in found if "Error" in text or "Exception" in text), "")

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class Farm(_Server):
    """`replicas` Streamlit replicas behind nginx, started by the workshop supervisor in `work`."""

    def __init__(self, replicas: int, work: Path, model: Path, data: Path, env: dict[str, str] | None = None) -> None:
        self.replicas, self.work = replicas, work
        self.data = work / "data"
        self.data.mkdir(parents=True)
        for entry in Path(data).iterdir():
            if entry.name != "workshop":
                (self.data / entry.name).symlink_to(entry.absolute())
        self.folder = self.data / "workshop"
        self.store_path = self.folder / "glassbox.sqlite3"
        self.port = free_port()
        self.log = work / "supervisor.log"
        self.env = _site_env(model, self.data, self.store_path, {"GLASSBOX_TEACHER_KEY": TEACHER_KEY, **(env or {})})

    def start(self, timeout: float = 240.0) -> None:
        cmd = [sys.executable, "-m", "glassbox.workshop.serve", "--replicas", str(self.replicas),
               "--port", str(self.port), "--host", "127.0.0.1"]
        self._launch(cmd, lambda: "Ctrl-C stops" in self.supervisor_log() and _health(self.port), "the workshop",
                     timeout)

    def replica_rows(self) -> list[dict]:
        """replicas.json: [{replica, port, pid}] as the supervisor wrote it last."""
        return json.loads((self.folder / "replicas.json").read_text(encoding="utf-8"))

    def replica_ports(self) -> list[int]:
        return [row["port"] for row in self.replica_rows()]

    def kill(self, address: str) -> dict:
        """SIGKILL the replica at `address` ("127.0.0.1:port"), as a crash would; its row."""
        row = next(r for r in self.replica_rows() if f"127.0.0.1:{r['port']}" == address)
        os.kill(row["pid"], signal.SIGKILL)
        return row

    def logs(self) -> list[Path]:
        return sorted(self.folder.glob("replica-*.log"))


class Direct(_Server):
    """One plain site server (`ui.launch`, no nginx) on a free port, with its own store file."""

    def __init__(self, work: Path, model: Path, data: Path, env: dict[str, str] | None = None) -> None:
        self.work, self.port, self.log = work, free_port(), work / "streamlit.log"
        self.env = _site_env(model, data, work / "glassbox.sqlite3", env or {})

    def start(self, timeout: float = 240.0) -> None:
        cmd = [sys.executable, "-m", "ui.launch", "--server.headless", "true", "--server.port", str(self.port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
        self._launch(cmd, lambda: _health(self.port), "the site", timeout)

    def replica_ports(self) -> list[int]:
        return [self.port]

    def logs(self) -> list[Path]:
        return [self.log]

