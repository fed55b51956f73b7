"""Driving the site in Debian's headless Chromium (Playwright): the launch flags this machine's
closed network needs, and `settle`, which waits until the run an action started has finished.
Used by the browser test and by the offline pack (`python -m ui.offline`).
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# True once the app is connected, its script is "notRunning", and enough polls in a row saw neither a
# state change nor a change to the page: 6 (≥ 0.6 s) once this wait has seen the script run, 12
# (≥ 1.2 s) while it has not (a rerun that an action asks for may start a moment later, and an
# action may start none). A busy browser may still be drawing a long page after the script ended;
# counting polls rather than milliseconds keeps a stalled main thread from looking like a quiet page.
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (!window.__gbObserver) {
    window.__gbQuiet = 0;
    window.__gbObserver = new MutationObserver(() => { window.__gbQuiet = 0; });
    window.__gbObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
  }
  const script = app.getAttribute('data-test-script-state');
  const state = script + '/' + app.getAttribute('data-test-connection-state');
  if (script !== 'notRunning') window.__gbRan = true;
  if (state !== window.__gbState) { window.__gbState = state; window.__gbQuiet = 0; }
  window.__gbQuiet += 1;
  return state === 'notRunning/CONNECTED' && window.__gbQuiet >= (window.__gbRan ? 6 : 12);
}"""


def settle(page, timeout_ms: int = 180_000) -> None:
    """Wait until the script run that the last action started has finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # quiet polls count from this call: a count left over from the last one would let a run that
    # has not started yet (a slow server) pass for finished
    page.evaluate("() => { window.__gbQuiet = 0; window.__gbRan = false; }")
    try:
        page.wait_for_function(SETTLED_JS, polling=100, timeout=timeout_ms)
    except PlaywrightTimeout:
        seen = page.evaluate("() => [window.__gbState, window.__gbQuiet, window.__gbRan]")
        raise TimeoutError(
            f"the page did not settle in {timeout_ms / 1000:.0f} s (state, quiet polls: {seen})"
        ) from None


def wait_healthy(base: str, server: subprocess.Popen, log: Path | None = None, timeout: float = 120) -> None:
    """Wait until the site at `base` answers its health check; RuntimeError (with the end of `log`)
    if the server exits first or does not answer in time."""
    def tail() -> str:
        return log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the site exited with {server.returncode}:\n{tail()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"no health answer in {timeout:.0f} s:\n{tail()}")
