"""Workshop server: N replicas of the site behind nginx, for a room of learners (`./run workshop`).

Starts N Streamlit servers on loopback ports and nginx in front of them (sticky per browser, see
nginx.conf.template), restarts a replica that dies or stops answering, and stops everything on
Ctrl-C or SIGTERM. Replicas keep the classroom word list out of generated text unless the host
says otherwise (`GLASSBOX_CLASSROOM_SAFE=0`). Learners pick only from the host's list of models: each replica
has `GLASSBOX_REPLICA` set, which turns the free-text model box off (`glassbox.model.allowed`). Big models
(the default or the host's) are mapped once before the replicas start, so the replicas share one
copy of their weights (`glassbox.model.mapped`). Its files (config, logs, replicas.json) go in
`<data folder>/workshop/`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import qrcode

from glassbox.model import allowed, classroom_safe
from glassbox.paths import PROJECT_ROOT, data_dir, default_model_source
from glassbox.workshop import classroom

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
FAILS_BEFORE_RESTART = 3  # health checks failed in a row
START_TIMEOUT_S = 120.0  # for a replica to answer its first health check
STOP_TIMEOUT_S = 10.0  # after SIGTERM, before SIGKILL
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never via a proxy


def replica_env(key: str) -> dict[str, str]:
    """The environment every replica runs in: the teacher key, the data folder, one cookie secret,
    and the classroom word list on (`GLASSBOX_CLASSROOM_SAFE`, glassbox.model.classroom_safe) unless
    the host set it, e.g. to 0."""
    env = {**os.environ, classroom.ENV_KEY: key, "GLASSBOX_DATA": str(data_dir().absolute())}
    env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))  # one for all replicas
    env.setdefault(classroom_safe.ENV, "1")
    return env


@dataclass
class Replica:
    """One Streamlit server of the workshop: number (1-based), loopback port, current process."""

    index: int
    port: int
    process: subprocess.Popen | None = None
    started: float = 0.0  # time.monotonic() of the latest start
    ready: bool = False  # answered a health check since the latest start
    fails: int = 0  # health checks failed in a row after it was ready
    crashes: int = 0  # starts in a row that never became ready (spaces the restarts out)


def big_folders(env: dict[str, str]) -> list[str]:
    """The model folders a replica may load that count as big (`glassbox.model.big`): the default and
    the host's list."""
    from glassbox.model import big

    sources = [env.get("GLASSBOX_MODEL") or default_model_source()]
    sources += [m.source for m in allowed.host_models(env)]
    return [s for s in dict.fromkeys(sources) if Path(s).expanduser().is_dir() and big.is_big(s)]


def map_big_models(env: dict[str, str]) -> None:
    """Write each big model's mapped copy before the replicas start (`glassbox map`), so they share
    one copy of its weights and none of them reads the weights privately while learners wait."""
    for source in big_folders(env):
        say(f"mapping {Path(source).name} once for all replicas (glassbox map)")
        done = subprocess.run([sys.executable, "-m", "glassbox", "map", "--model", source], env=env)
        if done.returncode:
            say(f"{Path(source).name} is not mapped: each replica reads its weights when first asked")


def nginx_config(replica_ports: list[int], listen_port: int, host: str, folder: Path, as_root: bool) -> str:
    """The nginx config for replicas on 127.0.0.1:`replica_ports`, listening on host:listen_port,
    with its pid, logs and temp folders in `folder` (absolute)."""
    if '"' in str(folder) or "\n" in str(folder):
        raise ValueError(f"nginx cannot use this folder name: {folder}")
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in replica_ports)
    text = string.Template(TEMPLATE.read_text(encoding="utf-8")).safe_substitute(
        gb_user="user root;" if as_root else "# (not root: the workers run as this user)",
        gb_folder=str(folder),
        gb_servers=servers,
        gb_listen=f"[{host}]:{listen_port}" if ":" in host else f"{host}:{listen_port}",
    )
    if "$gb_" in text:
        raise ValueError("nginx.conf.template has a placeholder that nginx_config does not fill")
    return text


def lan_address() -> str:
    """This machine's IPv4 address on the local network (127.0.0.1 if it has none). Connecting a
    UDP socket sends nothing; it only picks the interface a packet would leave by."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def find_nginx() -> str | None:
    """The nginx binary (Debian puts it in /usr/sbin, which a normal user's PATH may lack)."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def healthy(port: int, timeout: float = 2.0) -> bool:
    """Whether the replica on 127.0.0.1:port answers its health check with 200 "ok"."""
    try:
        with NO_PROXY.open(f"http://127.0.0.1:{port}/_stcore/health", timeout=timeout) as reply:
            return reply.status == 200 and reply.read(64).strip() == b"ok"
    except (OSError, ValueError):
        return False


def _die_with_parent() -> None:
    """In the child, before exec: get SIGTERM if the supervisor dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(cmd: list[str], env: dict[str, str] | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start `cmd` in its own process group (so stopping it reaches all it starts)."""
    out = log.open("ab") if log else None
    try:
        return subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT if out else None, start_new_session=True,
                                preexec_fn=_die_with_parent)
    finally:
        if out:
            out.close()


def stop(processes: list[subprocess.Popen | None]) -> None:
    """SIGTERM each process group, wait, then SIGKILL what is left."""
    live = [p for p in processes if p is not None and p.poll() is None]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p, s in ((p, s) for p in live for s in (sig, signal.SIGCONT)):  # SIGCONT: a stopped one too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, s)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for p in live:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
        live = [p for p in live if p.poll() is None]
        if not live:
            return


def start_replica(replica: Replica, folder: Path, env: dict[str, str]) -> None:
    """Start (or start again) the replica's Streamlit server on its port; it logs to replica-<i>.log."""
    log = folder / f"replica-{replica.index}.log"
    with log.open("a", encoding="utf-8") as f:
        f.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} replica {replica.index} on port {replica.port}\n")
    cmd = [sys.executable, "-m", "ui.launch", "--server.headless", "true", "--server.address", "127.0.0.1",
           "--server.port", str(replica.port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    replica.process = _spawn(cmd, {**env, "GLASSBOX_REPLICA": str(replica.index)}, log)
    replica.started, replica.ready, replica.fails = time.monotonic(), False, 0


def write_replicas(folder: Path, replicas: list[Replica]) -> None:
    """replicas.json: number, port and pid of each replica (for a person or a test to look at)."""
    rows = [{"replica": r.index, "port": r.port, "pid": r.process.pid if r.process else None} for r in replicas]
    tmp = folder / "replicas.json.tmp"
    tmp.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    tmp.replace(folder / "replicas.json")


def check(replica: Replica, folder: Path, env: dict[str, str]) -> bool:
    """One supervision step for a replica; True when it was restarted."""
    since = time.monotonic() - replica.started
    code = replica.process.poll() if replica.process else -1
    if code is None:
        if healthy(replica.port):
            if not replica.ready:  # (the first answer after a start is awaited in serve)
                say(f"replica {replica.index} answers again")
            replica.ready, replica.fails, replica.crashes = True, 0, 0
            return False
        if replica.ready:
            replica.fails += 1
            if replica.fails < FAILS_BEFORE_RESTART:
                return False
            reason = f"failed {replica.fails} health checks in a row"
        elif since < START_TIMEOUT_S:
            return False
        else:
            reason = f"gave no health answer in {START_TIMEOUT_S:.0f} s"
    elif not replica.ready and since < min(30, 2**replica.crashes):
        return False  # it keeps dying on start: wait a little longer each time
    else:
        reason = f"its process exited with {code}"
    replica.crashes += 0 if replica.ready else 1
    stop([replica.process])
    start_replica(replica, folder, env)
    say(f"replica {replica.index} restarted ({reason}; log: {folder / f'replica-{replica.index}.log'})")
    return True


def say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def print_banner(url: str, key: str, replicas: int, folder: Path) -> None:
    print(f"\nGlass Box workshop: {replicas} replicas behind nginx\n"
          f"  learners open   {url}\n  teacher key     {key}\n  files and logs  {folder}\n")
    qr = qrcode.QRCode(border=1)
    qr.add_data(url)
    with contextlib.suppress(UnicodeEncodeError, OSError):
        qr.print_ascii(out=sys.stdout, tty=sys.stdout.isatty())  # on a terminal: forced black on white
    print("\nCtrl-C stops the workshop.", flush=True)


def serve(replicas: int, port: int, host: str) -> int:
    """Run the workshop until Ctrl-C or SIGTERM; the exit status."""
    nginx_bin = find_nginx()
    if nginx_bin is None:
        print("nginx is not installed. Install it with:  sudo apt-get install nginx\n"
              "(`./run workshop` installs it when run as root.)", file=sys.stderr)
        return 2
    folder = (data_dir() / "workshop").absolute()
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as e:
        print(f"cannot listen on {host}:{port} ({e.strerror}); choose another port with --port", file=sys.stderr)
        return 1
    key = classroom.teacher_key() or classroom.new_teacher_key()  # one for all replicas
    env = replica_env(key)
    if env.get(allowed.ANY_ENV, "").strip().lower() in allowed.YES:
        say(f"{allowed.ANY_ENV} is ignored in a workshop: learners pick from the host's list ({allowed.MODELS_ENV})")
    map_big_models(env)
    with contextlib.ExitStack() as held:  # all bound at once, so the ports differ
        sockets = [held.enter_context(socket.socket()) for _ in range(replicas)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        team = [Replica(i + 1, s.getsockname()[1]) for i, s in enumerate(sockets)]
    nginx: subprocess.Popen | None = None
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.default_int_handler)  # raises KeyboardInterrupt, as Ctrl-C does
    try:
        for r in team:
            start_replica(r, folder, env)
        write_replicas(folder, team)
        say(f"starting {replicas} replicas (logs: {folder}/replica-*.log)")
        for r in team:
            while not healthy(r.port):
                if r.process.poll() is not None or time.monotonic() - r.started > START_TIMEOUT_S:
                    log = (folder / f"replica-{r.index}.log").read_text(errors="replace")[-3000:]
                    print(f"replica {r.index} did not start:\n{log}", file=sys.stderr)
                    return 1
                time.sleep(0.3)
            r.ready = True
        conf = folder / "nginx.conf"
        conf.write_text(nginx_config([r.port for r in team], port, host, folder, os.geteuid() == 0), "utf-8")
        nginx_cmd = [nginx_bin, "-p", str(folder), "-c", str(conf)]
        nginx = _spawn(nginx_cmd)
        time.sleep(1.0)
        if nginx.poll() is not None:
            print(f"nginx did not start (exit {nginx.returncode}); see {folder / 'nginx-error.log'}", file=sys.stderr)
            return 1
        shown = lan_address() if host in ("0.0.0.0", "::", "") else host
        print_banner(f"http://{shown}:{port}", key, replicas, folder)
        while True:
            time.sleep(1.0)
            if nginx.poll() is not None:
                say(f"nginx exited with {nginx.returncode}; starting it again")
                nginx = _spawn(nginx_cmd)
            if any([check(r, folder, env) for r in team]):
                write_replicas(folder, team)
    except KeyboardInterrupt:
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        say("stopping nginx and the replicas")
        stop([nginx])
        stop([r.process for r in team])
        (folder / "replicas.json").unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run workshop", description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 1, help="Streamlit servers (default: CPUs)")
    parser.add_argument("--port", type=int, default=8501, help="port learners connect to (default 8501)")
    parser.add_argument("--host", default="0.0.0.0", help="address nginx listens on (default: all, for the LAN)")
    args = parser.parse_args(argv)
    if args.replicas < 1 or not 0 < args.port < 65536:
        parser.error("--replicas must be at least 1 and --port between 1 and 65535")
    return serve(args.replicas, args.port, args.host)


if __name__ == "__main__":
    raise SystemExit(main())
