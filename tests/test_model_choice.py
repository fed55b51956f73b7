"""The host decides which models learners may pick (glassbox/model/allowed.py and big.py, ui/picker.py
and models.py): the host's list as the picker shows it, links and typed names off the list refused
with nothing loaded, one message for any typed model that cannot be opened, the rule for the
free-text box (workshop, loopback, GLASSBOX_ALLOW_ANY_MODEL), and one big model per process."""

from __future__ import annotations

import gc
import json
import shutil
import weakref
from pathlib import Path

import pytest
from site_helpers import APP, check
from streamlit.testing.v1 import AppTest

from glassbox.errors import GlassboxError
from glassbox.i18n import t
from glassbox.model import allowed, big, loading
from glassbox.model.checkpoints import list_checkpoints
from glassbox.model.info import count_parameters
from glassbox.paths import EMBEDDED_MODEL_DIR

# --- the host's list and the free-text rule (no site) --------------------------------------------


def test_the_hosts_list_is_parsed_into_labels_and_sources(tmp_path):
    folder = tmp_path / "olmoe-taught"
    folder.mkdir()
    text = f"Full OLMoE=allenai/OLMoE-1B-7B-0125-Instruct, {folder}\n\n/srv/a=b/olmoe ,Full OLMoE=/srv/other,{folder}"
    entries = allowed.parse_models(text)
    assert [(e.label, e.source) for e in entries] == [
        ("Full OLMoE", "allenai/OLMoE-1B-7B-0125-Instruct"),
        ("olmoe-taught", str(folder)),  # a folder by its name, never its path
        ("olmoe", "/srv/a=b/olmoe"),  # an "=" after a slash is part of the path
        ("Full OLMoE (2)", "/srv/other"),  # a label twice gets a number; a source twice is listed once
    ]
    assert allowed.shown_name("allenai/OLMoE-1B-7B-0125-Instruct") == "allenai/OLMoE-1B-7B-0125-Instruct"
    assert allowed.parse_models("") == () and allowed.parse_models(" , \n") == ()


@pytest.mark.parametrize(
    ("environ", "address", "expected"),
    [
        ({}, "127.0.0.1", True),  # ./run site as shipped: only the person at the machine reaches it
        ({}, "localhost", True),
        ({}, "::1", True),
        ({}, "0.0.0.0", False),  # a site for the room: the host's list only...
        ({}, "192.168.1.20", False),
        ({}, None, False),  # no address: Streamlit serves every interface
        ({}, "glassbox.example.org", False),
        ({"GLASSBOX_ALLOW_ANY_MODEL": "1"}, "0.0.0.0", True),  # ...unless the host says so
        ({"GLASSBOX_ALLOW_ANY_MODEL": "0"}, "127.0.0.1", False),
        ({"GLASSBOX_ALLOW_ANY_MODEL": "maybe"}, "0.0.0.0", False),
        ({"GLASSBOX_REPLICA": "1"}, "127.0.0.1", False),  # a workshop replica, on loopback behind nginx
        ({"GLASSBOX_REPLICA": "1", "GLASSBOX_ALLOW_ANY_MODEL": "1"}, "127.0.0.1", False),  # never there
    ],
)
def test_who_may_type_any_model(environ, address, expected):
    assert allowed.any_model_allowed(environ, address) is expected


def test_workshop_replicas_never_offer_a_typed_model(tmp_path, monkeypatch):
    """The environment `./run workshop` gives each replica turns the box off, even when the host asked for it."""
    from glassbox.workshop import serve

    monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "1")
    started = {}
    monkeypatch.setattr(serve, "_spawn", lambda cmd, env=None, log=None: started.update(cmd=cmd, env=env))
    serve.start_replica(serve.Replica(1, 9999), tmp_path, serve.replica_env("key"))
    assert started["cmd"][started["cmd"].index("--server.address") + 1] == "127.0.0.1"
    assert allowed.any_model_allowed(started["env"], "127.0.0.1") is False


def test_a_model_off_the_list_is_refused_before_anything_is_read():
    listed = allowed.parse_models("/srv/olmoe")
    with pytest.raises(GlassboxError) as err:
        allowed.check_offered("/no/such/olmoe", listed, any_model=False)
    assert err.value.code == "model_not_offered" and "/no/such" not in err.value.message("en")
    allowed.check_offered("/srv/olmoe", listed, any_model=False)
    allowed.check_offered("/no/such/olmoe", listed, any_model=True)
    checkpoint = next(c.path for c in list_checkpoints())  # the embedded model's checkpoints are offered too
    allowed.check_offered(checkpoint, (), any_model=False)


# --- how big a model is, and the one slot for a big model ------------------------------------------


def test_parameters_from_the_config_match_the_weights(tiny_model_dir):
    for folder in (tiny_model_dir, EMBEDDED_MODEL_DIR):
        assert big.source_parameters(str(folder)) == count_parameters(folder), folder
    full = dict(hidden_size=2048, num_hidden_layers=16, vocab_size=50304, num_attention_heads=16,
                num_key_value_heads=16, num_experts=64, intermediate_size=1024, tie_word_embeddings=False)  # fmt: skip
    assert 6.8e9 < big.config_parameters(full) < 7.0e9  # OLMoE-1B-7B: 6.9 billion
    assert not big.is_big(str(EMBEDDED_MODEL_DIR)) and big.is_big(str(EMBEDDED_MODEL_DIR), limit=1_000_000)


def test_sizes_unknown_or_unreadable(tmp_path):
    assert big.source_parameters("someone/not-in-the-hub-cache") is None and big.is_big("someone/not-in-the-hub-cache")
    (tmp_path / "config.json").write_text("not json")
    assert big.source_parameters(str(tmp_path)) == 0  # the loader refuses it before reading weights
    assert big.source_parameters(str(tmp_path / "missing")) == 0


class Weights:
    """A stand-in for a loaded model (something a weak reference can follow)."""


def test_one_big_model_replaces_the_other():
    slot = big.OneBig()
    loads = []

    def load(name):
        loads.append(name)
        return Weights()

    first = slot.get("a", lambda: load("a"))
    gone = weakref.ref(first)
    assert slot.get("a", lambda: load("again")) is first and loads == ["a"]
    del first
    second = slot.get("b", lambda: load("b"))
    gc.collect()
    assert gone() is None and slot.held == "b" and loads == ["a", "b"]  # a was let go before b was read
    assert isinstance(second, Weights)


def test_a_big_default_model_stays_and_refuses_another_big_one():
    slot = big.OneBig()
    default = slot.get("default", Weights, keep=True)
    with pytest.raises(GlassboxError) as err:
        slot.get("other", Weights)
    assert err.value.code == "model_one_big" and slot.get("default", Weights) is default


# --- on the site -----------------------------------------------------------------------------------


@pytest.fixture
def loads(monkeypatch):
    """Every model the site loads from now on (the real loader, recorded)."""
    seen: list[str] = []
    real = loading.load_model

    def recording(source, *args, **kwargs):
        seen.append(str(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(loading, "load_model", recording)
    return seen


def picked(loads: list[str], default: Path) -> list[str]:
    """The models loaded besides the default one (which the site warms up in the background)."""
    return [source for source in loads if source != str(default)]


def copy_model(source: Path, folder: Path) -> Path:
    """A model folder of its own (a source no cache has seen), from the files of `source`."""
    folder.mkdir(parents=True)
    for f in source.iterdir():
        if f.is_file():
            shutil.copy(f, folder / f.name)
    return folder


def run_app(lang: str = "en", state: dict | None = None, page: str = "", **params: str) -> AppTest:
    """A session's first run (on `page`, one that runs the model, else Home, which only reads its folder)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params.update({"lang": lang, **params})
    for key, value in (state or {}).items():
        at.session_state[key] = value
    at.run()
    return at.switch_page(f"pages/{page}.py").run() if page else at


def typed_option(at: AppTest, lang: str = "en") -> bool:
    """Whether the picker offers "Another OLMoE…" (AppTest lists the options as shown)."""
    return t("frame.model_other", lang) in at.sidebar.selectbox(key="frame.model_choice").options


def model_box(at: AppTest) -> list:
    return [box for box in at.sidebar.text_input if box.key == "frame.model_other"]


def link_warnings(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning if w.icon == "🔗")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_link_naming_a_model_off_the_list_is_refused(site, monkeypatch, tmp_path, tiny_model_dir, loads, lang):
    monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "0")
    off_list = copy_model(tiny_model_dir, tmp_path / "off-list")
    for value in (str(off_list), t("frame.model_other", lang), "Full OLMoE"):  # a path, the box, another server's label
        at = run_app(lang, **{"frame.model_choice": value, "frame.model_other": str(off_list)})
        check(at)
        assert at.sidebar.selectbox(key="frame.model_choice").value == "embedded" and not typed_option(at, lang), value
        assert not model_box(at), value  # no box to type a model into
        reason = t("frame.model_off_list", lang, options="@").split("@")[0]
        assert reason in link_warnings(at), (value, link_warnings(at))
    assert str(off_list) not in loads


def test_a_typed_model_is_refused_where_the_host_did_not_allow_it(site, monkeypatch, tmp_path, tiny_model_dir, loads):
    """Not allowed: a typed name kept in the session (as a lesson or an old tab might) is not used,
    and asking the site's cache for it directly is refused before anything is read."""
    import ui

    monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "0")
    off_list = copy_model(tiny_model_dir, tmp_path / "typed")
    at = run_app(state={"frame.model_choice": "other", "frame.model_other": str(off_list)})
    check(at)
    assert at.sidebar.selectbox(key="frame.model_choice").value == "embedded" and not model_box(at)
    with pytest.raises(GlassboxError) as err:
        ui.cached_model(str(off_list))
    assert err.value.code == "model_not_offered"
    assert str(off_list) not in loads
    monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "1")  # the same folder, where the host allows it: loaded
    assert ui.cached_model(str(off_list)).info.layers == 2 and picked(loads, tiny_model_dir) == [str(off_list)]


def test_a_non_loopback_site_offers_no_box_unless_the_host_says_so(site, monkeypatch):
    from streamlit import config

    monkeypatch.delenv("GLASSBOX_ALLOW_ANY_MODEL", raising=False)
    before = config.get_option("server.address")
    try:
        config.set_option("server.address", "0.0.0.0")
        assert not typed_option(run_app())
        monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "1")
        assert typed_option(run_app())
    finally:
        config.set_option("server.address", before)
    monkeypatch.delenv("GLASSBOX_ALLOW_ANY_MODEL")
    assert typed_option(run_app())  # loopback, as shipped


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_typed_paths_get_one_message_whether_or_not_they_exist(site, monkeypatch, tmp_path, capsys, lang):
    monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "1")
    empty = tmp_path / "exists-without-config"
    empty.mkdir()
    (empty / "weights.safetensors").write_bytes(b"")
    shown = {}
    for name, path in {"missing": tmp_path / "no-such-folder", "no_config": empty}.items():
        at = run_app(lang, state={"frame.model_choice": "other"})
        at.sidebar.text_input(key="frame.model_other").input(str(path)).run()
        assert not at.exception
        shown[name] = [e.value.replace("\\", "") for e in at.sidebar.error]  # (Markdown escapes)
        assert t("frame.fallback", lang) in " ".join(c.value for c in at.sidebar.caption)
    assert shown["missing"] == shown["no_config"] == [t("error.model_not_openable", lang)]
    log = capsys.readouterr().err
    assert "model_folder_missing" in log and "model_unreadable" in log  # the reasons, for the host only


def test_the_hosts_models_are_offered_by_label_and_load(site, monkeypatch, tmp_path, tiny_model_dir, loads):
    first = copy_model(tiny_model_dir, tmp_path / "deep" / "server" / "path" / "first-olmoe")
    card = first / "glassbox.json"
    card.write_text(json.dumps({**json.loads(card.read_text()), "name": "class-olmoe"}))
    second = copy_model(tiny_model_dir, tmp_path / "second-olmoe")
    monkeypatch.setenv("GLASSBOX_MODELS", f"Class model={first}\n{second}")
    monkeypatch.setenv("GLASSBOX_ALLOW_ANY_MODEL", "0")
    at = run_app(page="tokens")
    picker = at.sidebar.selectbox(key="frame.model_choice")
    assert picker.options[-2:] == ["Class model", "second-olmoe"]  # labels, never a server path
    assert not any(str(tmp_path) in option for option in picker.options)
    picker.set_value("host:Class model").run()
    check(at)
    assert picked(loads, tiny_model_dir) == [str(first)]
    assert "class-olmoe" in " ".join(c.value.replace("\\", "") for c in at.sidebar.caption)  # the model in use
    at = run_app("ko", page="tokens", **{"frame.model_choice": "second-olmoe"})  # a link names it by its label
    check(at)
    assert at.sidebar.selectbox(key="frame.model_choice").value == "host:second-olmoe" and not link_warnings(at)
    assert picked(loads, tiny_model_dir) == [str(first), str(second)]


def test_a_second_big_model_replaces_the_first(site, monkeypatch, tmp_path, tiny_model_dir, loads):
    """With the limit between the test's default model and the embedded one, two copies of the
    embedded model are both big: the second one picked pushes the first out of the process."""
    from ui import models as ui_models

    first = copy_model(EMBEDDED_MODEL_DIR, tmp_path / "big-one")
    second = copy_model(EMBEDDED_MODEL_DIR, tmp_path / "big-two")
    monkeypatch.setattr(big, "BIG_PARAMETERS", big.source_parameters(str(EMBEDDED_MODEL_DIR)))
    monkeypatch.setenv("GLASSBOX_MODELS", f"One={first},Two={second}")
    try:
        at = run_app(page="tokens")
        at.sidebar.selectbox(key="frame.model_choice").set_value("host:One").run()
        check(at)
        held = weakref.ref(ui_models._big.get(str(first), lambda: pytest.fail("loaded again")))
        at.sidebar.selectbox(key="frame.model_choice").set_value("host:Two").run()
        check(at)
        gc.collect()
        assert ui_models.big_model_held() == str(second) and held() is None
        assert picked(loads, tiny_model_dir) == [str(first), str(second)]
    finally:
        with ui_models._big._lock:
            ui_models._big.drop()


def test_the_notebook_names_the_model_without_its_path(site, monkeypatch, tmp_path, tiny_model_dir):
    folder = copy_model(tiny_model_dir, tmp_path / "hidden" / "place" / "notebook-olmoe")
    monkeypatch.setenv("GLASSBOX_MODELS", f"Our model={folder}")
    at = run_app(state={"frame.model_choice": "host:Our model"})
    check(at)
    assert at.session_state["notebook.live"]["model"] == "Our model"  # what the downloads write


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_picker_names_the_default_model_in_use(site, monkeypatch, tiny_model_dir, lang):
    """The first option is the host's default by its name (the tiny test model's card says
    "test-olmoe"), not "Built-in Tiny OLMoE"; with the embedded model it says so."""
    at = run_app(lang)
    check(at)
    first = at.sidebar.selectbox(key="frame.model_choice").options[0]
    assert first == t("frame.model_default", lang, name="test-olmoe")
    monkeypatch.setenv("GLASSBOX_MODEL", str(EMBEDDED_MODEL_DIR))
    at = run_app(lang)
    check(at)
    assert at.sidebar.selectbox(key="frame.model_choice").options[0] == t("frame.model_embedded", lang)
