"""Hardening, command line: the adversarial input set (tests/adversarial.py) through every CLI
command. Each command that reads user text exits 0, or 2 with one clear line on stderr: never a
traceback, never raw terminal control characters in a readable report. Run in-process through
`glassbox.cli.main` (undecodable argv bytes in a real subprocess: only a real process gets those).
Also: the hosted infini-gram service down, and a missing corpus index.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from adversarial import (  # noqa: F401 - one_torch_thread: an autouse fixture
    ALL,
    CONTROL,
    HTML_INJECTION,
    INVALID_UTF8,
    LONE_SURROGATE,
    MD_ESCAPED,
    PATH_TRICKS,
    TEXT_INPUTS,
    TOO_LONG,
    message_pattern,
    one_torch_thread,
)
from cli_helpers import cli

APP = Path(__file__).resolve().parent.parent / "app.py"


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tiny_model_dir, tiny_lm, site_data_dir):
    """The CLI pointed at the tiny model and the fixture index; the tiny model is opened once."""
    import glassbox.model.loading as model_module

    real_load = model_module.load_model

    def load_model(source, device=None):
        return tiny_lm if str(source) == str(tiny_model_dir) else real_load(source, device=device)

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSBOX_MODEL", str(tiny_model_dir))
        mp.setenv("GLASSBOX_DATA", str(site_data_dir))
        mp.setattr(model_module, "load_model", load_model)
        yield


def problems_with(argv: list[str], code: int, out: str, err: str) -> list[str]:
    """What is wrong with one CLI outcome (empty when it is fine)."""
    found = []
    label = " ".join(a[:30] for a in argv)
    if code not in (0, 2):
        found.append(f"{label!r}: exit status {code}")
    if "Traceback" in err:
        found.append(f"{label!r}: traceback on stderr")
    if code == 2 and not (err.startswith("glassbox: ") and err.count("\n") == 1):
        found.append(f"{label!r}: refusal is not one 'glassbox: ' line: {err[:200]!r}")
    if code == 0 and not out.strip():
        found.append(f"{label!r}: succeeded with no output")
    if code == 0 and "--json" in argv:
        try:
            json.loads(out)
        except ValueError:
            found.append(f"{label!r}: --json output is not JSON")
    if CONTROL.search(err) or ("--json" not in argv and CONTROL.search(out)):
        found.append(f"{label!r}: raw control characters reach the terminal")
    return found


TEXT_COMMANDS = {
    "inspect": ["--top", "3"],
    "generate": ["--max-new-tokens", "4", "--seed", "1"],
    "trace": ["--max-docs", "2"],
    "novelty": [],
    "count": [],
    "ngram": ["--top", "3"],
}


@pytest.mark.parametrize("command", list(TEXT_COMMANDS))
def test_cli_text_commands_survive_every_input(cli_env, capsys, command):
    problems, outcomes = [], {}
    for name, text in ALL.items():
        for as_json in (False, True):
            argv = [command, text, *TEXT_COMMANDS[command], *(["--json"] if as_json else [])]
            code, out, err = cli(capsys, argv)
            problems += problems_with(argv, code, out, err)
            outcomes[name, as_json] = (code, err)
    assert not problems, "\n".join(problems)
    for as_json in (False, True):
        if command != "ngram":  # the ∞-gram answer after no context is the unigram distribution
            for name in ("empty", "whitespace"):
                code, err = outcomes[name, as_json]
                assert code == 2 and "empty" in err, (name, err)
        code, err = outcomes["lone_surrogate", as_json]
        assert code == 2 and message_pattern("text_not_unicode", "en").search(err), err
        if command in ("inspect", "generate", "trace", "novelty"):  # these read a bounded number of tokens
            for name in ("long_100k", "long_word"):
                code, err = outcomes[name, as_json]
                refusal = "trace_too_long" if command in ("trace", "novelty") else "text_too_long"
                assert code == 2 and message_pattern(refusal, "en").search(err), (name, err)
        for name in ("mixed_scripts", "emoji", "html", "markdown", "right_to_left", "zero_width"):
            assert outcomes[name, as_json][0] == 0, (name, outcomes[name, as_json][1])


@pytest.mark.parametrize("command", ["inspect", "generate", "trace", "novelty"])
def test_cli_text_from_stdin_and_files(cli_env, capsys, tmp_path, command):
    extra = TEXT_COMMANDS[command]
    problems = []
    bad = tmp_path / "bad.txt"
    for data in (INVALID_UTF8, LONE_SURROGATE.encode("utf-8", "surrogatepass")):
        bad.write_bytes(data)
        for argv, stdin in (([command, "-", *extra], data), ([command, "--file", str(bad), *extra], None)):
            code, out, err = cli(capsys, argv, stdin)
            problems += problems_with(argv, code, out, err)
            assert code == 2 and "UTF-8" in err, (argv, err)
    for name in ("nul_controls", "mixed_scripts", "html", "long_100k"):
        good = tmp_path / f"{name}.txt"
        good.write_text(ALL[name], encoding="utf-8")
        runs = (([command, "-", *extra], ALL[name].encode()), ([command, "--file", str(good), *extra], None))
        for argv, stdin in runs:
            code, out, err = cli(capsys, argv, stdin)
            problems += problems_with(argv, code, out, err)
            assert (code == 2) == (name == "long_100k"), (argv, err)
    assert not problems, "\n".join(problems)


def test_cli_names_and_paths_survive_every_input(cli_env, capsys, tmp_path):
    """Every input, and some path tricks, as a model name (`info`, `inspect`), a text file, an index
    folder and a corpus source list: a clear line (not a huge one), or the default when left empty."""
    problems = []
    dest = tmp_path / "corpus" / "corpus.jsonl"
    for name, text in {**ALL, **{f"path{i}": p for i, p in enumerate(PATH_TRICKS)}}.items():
        runs = (
            ["info", "--model", text],
            ["inspect", "hello", "--model", text, "--json"],
            ["inspect", "--file", text, "--top", "2"],
            ["trace", "the cat sat", "--index", text],
            ["build", "corpus", "--sources", text, "--dest", str(dest)],
        )
        for argv in runs:
            code, out, err = cli(capsys, argv)
            problems += problems_with(argv, code, out, err)
            if code == 2 and len(err) > 1200:
                problems.append(f"{name} {argv[0]}: the message repeats a huge name ({len(err)} characters)")
            if name == "empty" and argv[0] in ("info", "trace") and code != 0:  # empty: the default model, index
                problems.append(f"{name} {argv[0]}: the default was not used: {err}")
    assert not problems, "\n".join(problems)
    assert not dest.exists()  # no unknown source started a build


@pytest.mark.slow
def test_cli_undecodable_argument_in_a_real_process(tiny_model_dir, site_data_dir):
    """Only a real process gets argv bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    env = {"GLASSBOX_MODEL": str(tiny_model_dir), "GLASSBOX_DATA": str(site_data_dir), "HF_HUB_OFFLINE": "1",
           "PATH": "/usr/bin:/bin", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "glassbox", "count", b"caf\xe9 \xff"],  # count: the quickest to start
        capture_output=True, timeout=300, env=env,
    )  # fmt: skip
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert message_pattern("text_not_unicode", "en").search(err), err


# --- hosted infini-gram service down -----------------------------------------------------------


class _Failing(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(500)
        self.end_headers()


@pytest.fixture
def failing_service():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    server.server_close()  # nothing listens there now: connections are refused
    return url


@pytest.mark.parametrize("server", ["failing_service", "closed_port"])
def test_cli_hosted_service_down(cli_env, capsys, request, server):
    url = request.getfixturevalue(server)
    hosted = ["--hosted", "--url", url]
    for phrase, command in (("the valley", "count"), (HTML_INJECTION, "ngram"), (LONE_SURROGATE, "count")):
        argv = [command, phrase, *hosted]
        code, out, err = cli(capsys, argv)
        assert not problems_with(argv, code, out, err)
        if argv[1] == LONE_SURROGATE:  # refused here, before anything is sent
            assert code == 2 and message_pattern("text_not_unicode", "en").search(err), err
            continue
        assert code == 2 and message_pattern("hosted_unreachable", "en").search(err) and url in err, err
        assert ("HTTP 500" in err) == (server == "failing_service")
    code, out, err = cli(capsys, ["count", "the valley", "--json"])  # the local index still answers
    assert code == 0 and json.loads(out)["count"] >= 1


def test_cli_missing_index(cli_env, capsys, tmp_path):
    for command in (["trace", "the cat"], ["count", "the cat"], ["ngram", "the"], ["novelty", "the cat"]):
        code, out, err = cli(capsys, [*command, "--index", str(tmp_path / "none")])
        assert code == 2 and message_pattern("index_missing", "en").search(err), err
    code, out, err = cli(capsys, ["inspect", "the cat", "--json"])  # the model needs no index
    assert code == 0
