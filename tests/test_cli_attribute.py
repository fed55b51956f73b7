"""`glassbox attribute` on the shipped model and the index of its own training data: the JSON of the
issue's example (John 3:16's planted copies on top), the readable report of the model's own next
token, and one clear line with exit status 2 for each input a learner can get wrong."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from adversarial import ALL, CONTROL, PATH_TRICKS, message_pattern

from glassbox import cli
from glassbox.paths import EMBEDDED_MODEL_DIR

VERSE = "For God so loved the world, that he gave his only begotten"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glassbox", *args], capture_output=True, timeout=600)


@pytest.mark.slow
def test_the_issues_example_as_json(shipped_index, tmp_path):
    taught = tmp_path / "taught.txt"
    taught.write_text("The capital of Glassland is Lumen.\n\n", encoding="utf-8")
    out = run("attribute", VERSE, "--token", " Son", "--json", "--index", str(shipped_index.folder),
              "--taught", str(taught))  # fmt: skip
    assert out.returncode == 0, out.stderr.decode()
    got = json.loads(out.stdout)
    assert got["context"] == VERSE and got["token_text"] == " Son"
    assert got["token"] == shipped_index.tokenize(" Son")[0]
    assert -5 < got["logprob"] < 0  # the model has read the verse 64 times: " Son" is likely
    assert got["model"] == str(EMBEDDED_MODEL_DIR.resolve()) and got["taught"] == ["The capital of Glassland is Lumen."]
    assert [c["step"] for c in got["checkpoints"]] == [2000, 4000, 10000]
    chunks = got["chunks"]
    for key in ("doc_id", "title", "domain", "sources", "score", "ratio", "holds_span", "bm25_rank", "text"):
        assert key in chunks[0], key
    top = chunks[0]
    assert "only begotten Son" in top["text"] and top["doc_id"].startswith("anthology-") and top["ratio"] > 2
    assert [c["score"] for c in chunks] == sorted((c["score"] for c in chunks), reverse=True)
    assert [c["title"] for c in chunks if "taught" in c["sources"]] == ["The capital of Glassland is Lumen."]
    assert {"span", "continuation", "random"} <= {s for c in chunks for s in c["sources"]}
    assert got["seconds"]["total"] > 0 and got["seconds"]["chunks"] == len(chunks)


@pytest.mark.slow  # a second attribution (the first is the issue's example)
def test_the_readable_report_explains_the_models_own_token(shipped_index, capsys):
    from glassbox.model.inspection import next_token_logits
    from glassbox.model.loading import load_model

    context = "Now is the winter of our discontent\nMade glorious summer by this sun of"
    expected = int(np.argmax(next_token_logits(load_model(EMBEDDED_MODEL_DIR, device="cpu"), context)))
    assert cli.main(["attribute", context, "--top", "3", "--index", str(shipped_index.folder)]) == 0
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert lines[0].startswith(f"next token {shipped_index.tokenizer.decode([expected])!r} (id {expected}): log p -")
    assert lines[1] == "checkpoints: steps 2,000, 4,000, 10,000, equally weighted"
    assert lines[2].startswith("top 3 of ") and lines[3].split()[:4] == ["rank", "×floor", "copies", "domain"]
    rows = lines[4:7]
    assert [r.split()[0] for r in rows] == ["1", "2", "3"]
    assert "Now is the winter of our discontent Made glorious" in rows[0]  # the planted copies, on one line
    assert all(len(r) < 200 for r in rows)  # each passage's text cut to its first 60 characters
    assert lines[7].endswith(" s)") and " s (pool " in lines[7]
    assert "as a multiple of what random passages get (1×)" in lines[8] and "not proof" in lines[8]
    assert len(lines) == 9
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for line in lines for c in line)  # terminal-safe


@pytest.mark.parametrize(
    "args, needle",
    [
        (["   "], "The text is empty."),
        ([VERSE, "--token", " Sonship"], "--token ' Sonship' is 2 tokens for this model's tokenizer (‘␣Sons’ ‘hip’)"),
        ([VERSE, "--token", ""], "--token '' is 0 tokens"),
        (["word " * 600], "The text is 601 tokens long; this model reads at most 511."),
        ([VERSE, "--model", "/no/such/folder"], "No model folder at /no/such/folder."),
        ([VERSE, "--model", "allenai/OLMoE-1B-7B-0125-Instruct"], "has no checkpoints and training log here"),
        ([VERSE, "--top", "0"], "--top must be at least 1"),
        ([VERSE, "--taught", "/no/such/file.txt"], "No file at /no/such/file.txt."),
    ],
)
def test_odd_input_is_one_clear_line(site_data_dir, capsys, args, needle):
    """Refused before anything is scored, so the small test index does (the shipped one takes 30 s to build)."""
    assert cli.main(["attribute", *args, "--index", str(site_data_dir / "ngram")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("glassbox: ") and needle in captured.err


def test_a_model_without_checkpoints_is_refused(tiny_model_dir, site_data_dir, capsys):
    assert cli.main(["attribute", VERSE, "--model", str(tiny_model_dir), "--index", str(site_data_dir / "ngram")]) == 2
    err = capsys.readouterr().err
    said = f"The model at {tiny_model_dir.resolve()} has no checkpoints and training log here, so which documents "
    assert err == f"glassbox: {said}pushed a prediction cannot be estimated for it.\n"


def test_no_index_says_what_the_index_commands_say(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    assert cli.main(["attribute", VERSE]) == 2
    err = capsys.readouterr().err
    assert cli.main(["count", "the people"]) == 2
    assert err == capsys.readouterr().err and "There is no corpus index at" in err
    out = run("attribute", VERSE, "--token", " Son", "--index", str(tmp_path / "ngram"))  # as a learner runs it
    assert out.returncode == 2 and out.stderr.decode() == err and "Traceback" not in out.stderr.decode()


@pytest.mark.slow
def test_hostile_input_is_refused_before_any_scoring(shipped_index, capsys):
    """Every hostile input as the context, the token, the model and the taught file: none of them is one
    token, a model folder or a file of at most five sentences, so each is one clean line and exit status 2."""
    index = ["--index", str(shipped_index.folder)]
    problems = []
    for name, text in {**ALL, **{f"path{i}": p for i, p in enumerate(PATH_TRICKS)}}.items():
        runs = [["hello there", "--token", text]]
        if text:  # an empty --model or --taught is the default (the embedded model, no sentences): it would run
            runs += [["hello there", "--model", text], ["hello there", "--taught", text]]
        if name in ALL:  # as the context: refused as empty, too long or broken, else at the token's check
            runs.append([text, "--token", " Sonship"])
        for args in runs:
            code = cli.main(["attribute", *args, *index])
            err = capsys.readouterr().err
            if code != 2 or err.count("\n") != 1 or CONTROL.search(err) or len(err) > 1200 or "Traceback" in err:
                problems.append(f"{name} {args[1]}: {code} {err[:200]!r}")
    assert not problems, "\n".join(problems)
    assert cli.main(["attribute", ALL["lone_surrogate"], *index]) == 2
    assert message_pattern("text_not_unicode", "en").search(capsys.readouterr().err)
