"""The CLI prints the same results as the API, and refuses bad input without a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from cli_helpers import cli as in_process

from glassbox import cli
from glassbox.model.generation import generate
from glassbox.model.inspection import inspect_text
from glassbox.model.sampling import Settings


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glassbox", *args], input=stdin, capture_output=True, timeout=300)


def test_inspect_json_matches_api(tiny_lm, tiny_model_dir):
    text = "Call me Ishmael. 안녕 😀"
    out = run("inspect", text, "--json", "--model", str(tiny_model_dir), "--top", "5")
    assert out.returncode == 0, out.stderr.decode()
    got = json.loads(out.stdout)
    api = inspect_text(tiny_lm, text, top_k=5)
    assert got["tokens"] == [t.to_json() for t in api.tokens]
    assert [n["position"] for n in got["next_token"]] == list(range(len(api.tokens)))
    for cli_n, api_n in zip(got["next_token"], api.next_token, strict=True):
        assert [t["id"] for t in cli_n["top"]] == [t.id for t in api_n.top]
        assert np.allclose([t["prob"] for t in cli_n["top"]], [t.prob for t in api_n.top], atol=1e-6)
    assert len(got["routing"]) == api.routing.layers
    for layer, per_token in enumerate(got["routing"]):
        assert len(per_token) == len(api.tokens)
        for t, entry in enumerate(per_token):
            assert entry["experts"] == api.routing.experts[layer, t].tolist()
            assert np.allclose(entry["weights"], api.routing.weights[layer, t], atol=1e-6)
            assert len(entry["probs"]) == 8 and abs(sum(entry["probs"]) - 1) < 1e-5
    assert got["model"] == {**api.model.to_json()}
    for key in ("name", "layers", "experts", "experts_per_token", "vocab_size"):
        assert key in got["model"]


def test_generate_json_matches_api(tiny_lm, tiny_model_dir):
    out = run("generate", "In the beginning", "--json", "--model", str(tiny_model_dir), "--max-new-tokens", "6",
              "--temperature", "0.9", "--top-k", "20", "--top-p", "0.9", "--seed", "5")
    assert out.returncode == 0, out.stderr.decode()
    got = json.loads(out.stdout)
    api = generate(tiny_lm, "In the beginning", max_new_tokens=6, settings=Settings(0.9, 20, 0.9), seed=5)
    assert got["completion"] == api.completion
    assert [s["token"]["id"] for s in got["steps"]] == [s.token.id for s in api.steps]
    assert len(got["steps"][0]["routing"]) == 2 and len(got["steps"][0]["routing"][0]["probs"]) == 8


def test_info_json(tiny_model_dir):
    out = run("info", "--json", "--model", str(tiny_model_dir))
    assert out.returncode == 0, out.stderr.decode()
    info = json.loads(out.stdout)
    assert (info["layers"], info["experts"], info["experts_per_token"], info["vocab_size"]) == (2, 8, 2, 50280)
    for key in ("model_path", "corpus_path", "index_path"):
        assert info[key]
    assert info["training_data"] == "local"  # the fixture's card says so


def test_info_reads_a_folder_without_loading_its_weights(tiny_model_dir, tiny_lm, monkeypatch, capsys):
    import glassbox.model.loading as loading

    def refuse(*args, **kwargs):
        raise AssertionError("info loaded the model")

    monkeypatch.setattr(loading, "load_model", refuse)
    assert cli.main(["info", "--json", "--model", str(tiny_model_dir)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["device"] == "not loaded" and info["parameters"] == tiny_lm.info.parameters
    assert (info["layers"], info["experts"], info["vocab_size"]) == (2, 8, 50280)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["inspect", ""], "empty"),
        (["inspect", "   "], "empty"),
        (["inspect", "word " * 400], "at most"),
        (["generate", "hi", "--top-p", "0"], "top-p"),
        (["inspect", "hi", "--model", "/no/such/folder"], "No model folder"),
    ],
)
def test_bad_input_exits_cleanly(tiny_model_dir, args, needle, capsys):
    if "--model" not in args:
        args = [*args, "--model", str(tiny_model_dir)]
    code, _, err = in_process(capsys, args)
    assert code == 2
    assert needle in err and "Traceback" not in err


def test_invalid_utf8_file(tmp_path, tiny_model_dir, capsys):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine start \xff\xfe broken")
    code, _, err = in_process(capsys, ["inspect", "--file", str(bad), "--model", str(tiny_model_dir)])
    assert code == 2
    assert "UTF-8" in err and "Traceback" not in err
    code, _, err = in_process(capsys, ["inspect", "--file", str(tmp_path / "none.txt"), "--model", str(tiny_model_dir)])
    assert code == 2 and "No file" in err


def test_text_from_stdin(tiny_model_dir):
    out = run("inspect", "-", "--json", "--model", str(tiny_model_dir), stdin=b"From stdin")
    assert out.returncode == 0
    assert "".join(t["text"] for t in json.loads(out.stdout)["tokens"]) == "From␣stdin"


def test_lessons_command_measures_every_claim(tiny_model_dir, site_data_dir, monkeypatch, capsys):
    from glassbox.lessons import load_lessons

    monkeypatch.setenv("GLASSBOX_DATA", str(site_data_dir))
    code = cli.main(["lessons", "--model", str(tiny_model_dir), "--lang", "en,ko", "--json"])
    checks = json.loads(capsys.readouterr().out)
    claims = sum(
        len(s.expect) for lang in ("en", "ko") for le in load_lessons(lang) for s in (*le.steps, *le.predictions)
    )
    assert len(checks) == claims > 0
    assert {c["lang"] for c in checks} == {"en", "ko"}
    tokens = [c for c in checks if c["lesson"] == "tokens"]  # the tokenizer is the real one: these hold
    assert tokens and all(c["holds"] for c in tokens)
    assert code == (0 if all(c["holds"] for c in checks) else 1)
