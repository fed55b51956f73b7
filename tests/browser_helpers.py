"""What the browser tests (and the benches that drive a real site) share: starting the site as
`./run site` starts it, a copy of its scripts to run, the server's last logged error, and what a
learner must never see on a page."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-artifacts" / "screenshots"
MOJIBAKE = re.compile(r"[ÃÂ][\x80-\xbf]|ì[\x80-\xbf]|ë[\x80-\xbf]|\ufffd|Ġ")
RAW_HTML = re.compile(r"</?(span|div|b|br|p|style|script)\b[^>]*>|&(lt|gt|amp|quot|#\d+);")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def snapshot_site(dest: Path) -> Path:
    """A copy of the site's scripts (app.py, pages/, ui/, .streamlit/) taken now.

    Streamlit reads page scripts from disk on every run; running a copy keeps a page that someone
    is editing meanwhile from mixing old and new code within one test. `glassbox` itself is
    imported from the checkout (PYTHONPATH), once, when the server starts.
    """
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "app.py", dest / "app.py")
    for folder in ("pages", "ui", ".streamlit"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def start_site(
    model_dir: Path, data_dir: Path, port: int, log: Path, script: str = "app.py", cwd: Path = ROOT
) -> subprocess.Popen:
    """`streamlit run app.py` (or `script`) in `cwd` on 127.0.0.1:port, with the given model and data folders."""
    env = {
        **os.environ,
        "GLASSBOX_MODEL": str(model_dir),
        "GLASSBOX_DATA": str(data_dir),
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    flags = {
        "server.headless": "true",
        "server.port": str(port),
        "server.address": "127.0.0.1",
        "browser.gatherUsageStats": "false",
        "server.fileWatcherType": "none",  # no reruns when files change mid-test
    }
    options = [f"--{k}={v}" for k, v in flags.items()]
    if script == "app.py":  # the site starts as `./run site` starts it
        cmd = [sys.executable, "-m", "ui.launch", *options]
    else:
        cmd = [sys.executable, "-m", "streamlit", "run", script, *options]
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def server_errors(log: Path) -> str:
    """The last error the server logged (Streamlit shows learners only a redacted box)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))
    errors = [line.strip(" │") for line in text.splitlines() if re.match(r"\s*\w*(Error|Exception)\b", line)]
    return errors[-1] if errors else text[-1500:]


def visible_problems(page) -> list[str]:
    """What a learner must never see: exceptions, error boxes, raw markup, mojibake."""
    problems = []
    for box in page.locator('[data-testid="stException"]').all():
        problems.append("exception: " + box.inner_text()[:500])
    for box in page.locator('[data-testid="stAlertContentError"]').all():
        problems.append("error message: " + box.inner_text()[:300])
    for box in page.locator('[role="dialog"]').all():
        problems.append("dialog: " + box.inner_text()[:300])  # e.g. Streamlit's "Page not found"
    text = page.locator('[data-testid="stMain"]').inner_text()
    problems += [f"raw HTML on screen: {m.group(0)!r}" for m in RAW_HTML.finditer(text)]
    problems += [f"mojibake on screen: {m.group(0)!r}" for m in MOJIBAKE.finditer(text)]
    return problems


def chromium_browser():
    """Headless Chromium (Debian's) for a module's `browser` fixture: `yield from chromium_browser()`."""
    from playwright.sync_api import sync_playwright

    from ui.browser import CHROMIUM, LAUNCH_ARGS

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def key_class(key: str | None) -> str:
    """The CSS class Streamlit gives the container of the widget with this key."""
    return ".st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key or "none")


def scroll_to_top(page, wait_ms: int = 500) -> None:
    """Back to the top of the window and of every scrolled box, as a learner sees a page (or a
    presenter a part) when it opens."""
    page.evaluate("() => { window.scrollTo(0, 0); document.querySelectorAll('*').forEach(e => { "
                  "if (e.scrollTop) e.scrollTop = 0; }); }")  # fmt: skip
    page.wait_for_timeout(wait_ms)


def serve_site(model_dir: Path, data_dir: Path, work: Path):
    """For a module's `site` fixture: `yield from serve_site(...)` skips (saying so loudly) without
    Chromium, else runs the site on a copy of its scripts in `work` and yields (base URL, log)
    until the module is done."""
    import pytest

    from ui.browser import CHROMIUM, wait_healthy

    if not CHROMIUM.exists():
        message = (
            f"!!! BROWSER TEST NOT RUN: no Chromium at {CHROMIUM}. "
            "Install it: apt-get install -y chromium fonts-noto-cjk (not `playwright install`). !!!"
        )
        print("\n" + message, file=sys.stderr)
        pytest.skip(message)
    port = free_port()
    log = work / "streamlit.log"
    server = start_site(model_dir, data_dir, port, log, cwd=snapshot_site(work / "app"))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, server, log)
        yield base, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


def accessibility_barriers(page) -> list[str]:
    """axe-core's critical and serious violations on the page as it is now (rule, element, why)."""
    from axe_playwright_python.sync_playwright import Axe

    found = []
    for rule in Axe().run(page).response["violations"]:
        if rule["impact"] in ("critical", "serious"):
            for node in rule["nodes"][:3]:
                found.append(f"{rule['id']} at {node['target']}: {node.get('failureSummary', '')[:160]}")
    return found



def screenshot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main section, so the window grows to fit it."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight ?? 0")
    page.set_viewport_size({"width": 1400, "height": max(1600, min(int(height) + 80, 14_000))})
    page.wait_for_timeout(800)  # charts redraw for the new size
    page.screenshot(path=str(path), full_page=True)
