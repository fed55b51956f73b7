"""Starting the workshop supervisor (`python -m glassbox.workshop.serve`, as `./run workshop`
does) for a test: N replicas of the site on the test model, behind nginx, in a data folder of
the test's own, and waiting until it answers through nginx."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from browser_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Workshop:
    supervisor: subprocess.Popen
    port: int
    folder: Path  # <data>/workshop: replicas.json, the store, the replicas' logs
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_workshop(model_dir: Path, site_data_dir: Path, tmp_path: Path, replicas: int = 2,
                   timeout: float = 90) -> Workshop:
    """The supervisor with `replicas` replicas; returns once the site answers through nginx and
    the banner is printed. The test data's entries are linked into a data folder of this run."""
    data = tmp_path / "data"
    data.mkdir()
    for entry in site_data_dir.iterdir():
        (data / entry.name).symlink_to(entry)
    port, log = free_port(), tmp_path / "serve.log"
    env = {**os.environ, "GLASSBOX_MODEL": str(model_dir), "GLASSBOX_DATA": str(data), "HF_HUB_OFFLINE": "1",
           "GLASSBOX_TEACHER_KEY": "test-teacher-key",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    cmd = [sys.executable, "-m", "glassbox.workshop.serve", "--replicas", str(replicas), "--port", str(port),
           "--host", "127.0.0.1"]
    supervisor = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                  start_new_session=True)
    workshop = Workshop(supervisor, port, data / "workshop", log)
    started = time.monotonic()
    while True:
        if supervisor.poll() is not None:
            raise AssertionError(f"the supervisor exited with {supervisor.returncode}:\n{log.read_text()}")
        if time.monotonic() - started > timeout:
            stop_workshop(workshop)
            raise AssertionError(f"no health answer through nginx in {timeout:.0f} s:\n{log.read_text()}")
        try:
            with NO_PROXY.open(f"{workshop.base}/_stcore/health", timeout=5) as reply:
                if reply.status == 200 and "Ctrl-C stops" in log.read_text():
                    print(f"up through nginx after {time.monotonic() - started:.1f} s")
                    return workshop
        except OSError:
            pass
        time.sleep(0.3)


def stop_workshop(workshop: Workshop) -> None:
    """SIGKILL whatever of the workshop still runs (a test that stops it cleanly does so itself)."""
    if workshop.supervisor.poll() is None:
        os.killpg(workshop.supervisor.pid, signal.SIGKILL)
        workshop.supervisor.wait(timeout=10)
