"""The workshop server (glassbox/workshop/serve.py): its nginx config, and a real run.

The config test runs the real `nginx -t` on the generated config. The slow test starts the
supervisor with 2 replicas on the tiny test model, talks to the site through nginx, and checks:
a browser without the route cookie gets one; requests with one cookie reach one replica (nginx
names the replica in X-Glassbox-Replica); the websocket upgrades through nginx; when the
replica a learner is on is killed, that learner's requests keep answering 200 (from the other
replica) and the supervisor starts it again; a replica that hangs (SIGSTOP) is restarted after 3
failed health checks; SIGTERM leaves no replica or nginx process behind. nginx missing is a
failure, not a skip: `./run tests` installs it.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from browser_helpers import free_port
from workshop_helpers import start_workshop

from glassbox.workshop import serve

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def nginx_binary() -> str:
    found = serve.find_nginx()
    assert found, "nginx is not installed: apt-get install -y nginx (`./run tests` installs it)"
    return found


def test_config_passes_nginx_t(tmp_path):
    nginx = nginx_binary()
    (tmp_path / "tmp").mkdir()
    conf = tmp_path / "nginx.conf"
    text = serve.nginx_config([free_port(), free_port()], free_port(), "127.0.0.1", tmp_path, os.geteuid() == 0)
    conf.write_text(text, encoding="utf-8")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 0, f"nginx -t rejected the generated config:\n{result.stderr}\n{text}"


def test_config_contents(tmp_path):
    text = serve.nginx_config([9001, 9002, 9003], 8501, "0.0.0.0", tmp_path, as_root=False)
    for port in (9001, 9002, 9003):
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" in text
    for line in ("daemon off;", "listen 0.0.0.0:8501;", "hash $glassbox_route consistent;",
                 "proxy_next_upstream error timeout http_502 http_503;", "client_max_body_size 2m;",
                 f'pid "{tmp_path}/nginx.pid";'):
        assert line in text
    assert "user root;" not in text.splitlines() and "$gb_" not in text
    assert "user root;" in serve.nginx_config([9001], 8501, "0.0.0.0", tmp_path, as_root=True).splitlines()
    assert "listen [::]:8501;" in serve.nginx_config([9001], 8501, "::", tmp_path, as_root=False)


def test_lan_address():
    assert isinstance(ipaddress.ip_address(serve.lan_address()), ipaddress.IPv4Address)


def get(url: str, cookie: str | None = None) -> tuple[int, dict[str, list[str]], str]:
    """(status, headers as lists, body) of a GET; an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url, headers={"Cookie": f"glassbox_route={cookie}"} if cookie else {})
    try:
        reply = NO_PROXY.open(request, timeout=5)
    except urllib.error.HTTPError as e:
        reply = e
    with reply:
        headers: dict[str, list[str]] = {}
        for k, v in reply.headers.items():
            headers.setdefault(k.lower(), []).append(v)
        return reply.status, headers, reply.read().decode(errors="replace")


def route_cookie(headers: dict[str, list[str]]) -> str | None:
    for value in headers.get("set-cookie", []):
        if value.startswith("glassbox_route="):
            return value.split(";", 1)[0].split("=", 1)[1]
    return None


def websocket_status(port: int, cookie: str) -> str:
    """The status line nginx answers a websocket handshake for /_stcore/stream with."""
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                   f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                   f"Sec-WebSocket-Protocol: streamlit\r\nOrigin: http://127.0.0.1:{port}\r\n"
                   f"Cookie: glassbox_route={cookie}\r\n\r\n").encode())
        return s.recv(4096).decode(errors="replace").split("\r\n", 1)[0]


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            pass
    return found


def replicas_file(folder: Path) -> list[dict]:
    return json.loads((folder / "replicas.json").read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_workshop_run(tiny_model_dir, site_data_dir, tmp_path):
    nginx_binary()
    workshop = start_workshop(tiny_model_dir, site_data_dir, tmp_path)
    supervisor, port, folder, log, base = (workshop.supervisor, workshop.port, workshop.folder, workshop.log,
                                           workshop.base)
    seen_pids: set[int] = set()
    try:
        out = log.read_text()
        assert "test-teacher-key" in out and base in out, out
        rows = replicas_file(folder)
        addresses = {f"127.0.0.1:{r['port']}" for r in rows}
        seen_pids |= {r["pid"] for r in rows}
        assert len(addresses) == 2

        # sticky: the first answer hands out a cookie; that cookie keeps to the replica that gave it
        status, headers, body = get(f"{base}/_stcore/health")
        cookie = route_cookie(headers)
        assert status == 200 and body == "ok" and cookie, headers
        first = headers["x-glassbox-replica"][0]
        assert first in addresses
        for _ in range(6):
            status, headers, _ = get(f"{base}/_stcore/health", cookie)
            assert status == 200 and headers["x-glassbox-replica"] == [first], headers
            assert route_cookie(headers) is None, "a browser with the cookie was sent a new one"
        spread = {get(f"{base}/_stcore/health", f"learner-{i}")[1]["x-glassbox-replica"][0] for i in range(20)}
        assert spread == addresses, f"20 learners all landed on {spread}"
        assert websocket_status(port, cookie).startswith("HTTP/1.1 101"), "the websocket did not upgrade"

        # the learner's replica dies: their requests go on being answered, and it comes back
        victim = next(r for r in rows if f"127.0.0.1:{r['port']}" == first)
        os.kill(victim["pid"], signal.SIGKILL)
        killed_at = time.monotonic()
        problems, answered_by = [], set()
        while time.monotonic() - killed_at < 10:
            try:
                status, headers, _ = get(f"{base}/_stcore/health", cookie)
                answered_by.add(headers.get("x-glassbox-replica", ["?"])[-1].split(", ")[-1])
                if status != 200:
                    problems.append(f"{status} from {headers.get('x-glassbox-replica')}")
            except OSError as e:
                problems.append(repr(e))
            time.sleep(0.25)
        assert not problems, f"requests failed after a replica died: {problems[:5]}"
        assert answered_by - {first}, "no request was answered by the other replica while this one was down"
        while not (serve.healthy(victim["port"]) and f"replica {victim['replica']} restarted" in log.read_text()):
            assert time.monotonic() - killed_at < 60, f"replica not restarted in 60 s:\n{log.read_text()}"
            assert supervisor.poll() is None, log.read_text()
            time.sleep(0.5)
        print(f"replica back after {time.monotonic() - killed_at:.1f} s")
        rows = replicas_file(folder)
        new_pid = next(r["pid"] for r in rows if r["replica"] == victim["replica"])
        assert new_pid != victim["pid"] and running(new_pid)
        seen_pids |= {r["pid"] for r in rows}

        # the other replica hangs (SIGSTOP): it fails its health checks and is restarted
        hung = next(r for r in rows if r["replica"] != victim["replica"])
        os.kill(hung["pid"], signal.SIGSTOP)
        stopped_at = time.monotonic()
        expected = f"replica {hung['replica']} restarted (failed 3 health checks"
        while not (expected in log.read_text() and serve.healthy(hung["port"])):
            assert time.monotonic() - stopped_at < 60, f"hung replica not restarted in 60 s:\n{log.read_text()}"
            time.sleep(0.5)
        print(f"hung replica back after {time.monotonic() - stopped_at:.1f} s")
        assert not running(hung["pid"])
        rows = replicas_file(folder)
        seen_pids |= {r["pid"] for r in rows}

        # SIGTERM: nginx (master and workers) and every replica stop, the port is free
        nginx_master = int((folder / "nginx.pid").read_text())
        seen_pids |= {nginx_master, *children(nginx_master)}
        assert len(seen_pids) >= 7  # 2 + 2 replicas, nginx master and at least one worker
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=40) == 0, log.read_text()
        left = [pid for pid in seen_pids if running(pid)]
        assert not left, f"processes left after SIGTERM: {left}"
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "nginx still listens"
    finally:
        if supervisor.poll() is None:
            os.killpg(supervisor.pid, signal.SIGKILL)
        for pid in seen_pids:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
