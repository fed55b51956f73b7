"""The layout the README promises: a small core with no Streamlit and no import cycles, pages/
holding exactly the registered pages, and the site's helpers in ui/."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from glassbox import site

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "glassbox"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_at_load(path: Path) -> set[str]:
    """The glassbox modules a module imports when it is loaded (module level, not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("glassbox"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("glassbox"))
    return found


def test_the_core_has_at_most_twelve_top_level_modules():
    assert len(list(CORE.glob("*.py"))) <= 12


def test_the_core_never_imports_streamlit():
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert not any(name.split(".")[0] == "streamlit" for name in names), path


def test_no_import_cycles_in_the_core():
    modules = {module_name(p): p for p in CORE.rglob("*.py")}
    graph = {name: {m for m in imports_at_load(path) if m in modules and m != name} for name, path in modules.items()}
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        assert name not in trail, " -> ".join((*trail, name))
        if name in done:
            return
        for other in graph[name]:
            visit(other, (*trail, name))
        done.add(name)

    for name in graph:
        visit(name, ())
    assert "glassbox.cli" in graph and graph["glassbox.cli"]  # the check reads real imports


def test_pages_holds_exactly_the_registered_pages():
    files = sorted(p.name for p in (ROOT / "pages").iterdir() if p.name != "__pycache__")
    assert files == sorted(Path(page.file).name for page in site.PAGES)
    assert (ROOT / "ui" / "__init__.py").is_file() and (ROOT / "ui" / "views").is_dir()


def markdown_links(path: Path) -> list[str]:
    """The relative link targets of a Markdown file (web addresses and in-page anchors left out)."""
    targets = re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8"))
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]


def test_the_docs_link_only_to_files_that_exist_and_come_in_both_languages():
    docs = sorted((ROOT / "docs").glob("*.md"))
    broken = [f"{path.name}: {target}" for path in [ROOT / "README.md", *docs] for target in markdown_links(path)
              if not (path.parent / target).exists()]
    assert not broken, broken
    english = {p.name for p in docs if not p.name.endswith(".ko.md")}
    assert {p.name for p in docs} == english | {name.replace(".md", ".ko.md") for name in english}
    assert "docs/workshop-at-scale.md" in markdown_links(ROOT / "README.md")  # the check reads real links
    assert "workshop-at-scale.ko.md" in markdown_links(ROOT / "docs" / "workshop-at-scale.md")


def test_no_test_file_or_bench_imports_a_test_file():
    importers = [*sorted((ROOT / "tests").glob("*.py")), *sorted((ROOT / "bench").glob("*.py"))]
    found = []
    for path in importers:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            found += [f"{path.name}: {name}" for name in names if name.split(".")[0].startswith("test_")]
    assert not found, "shared helpers go in conftest.py or a *_helpers module: " + ", ".join(found)
    assert any(p.name == "browser_helpers.py" for p in importers)  # the check reads the real folders


def test_the_url_is_kept_by_streamlits_binding_not_by_hand():
    """The shareable widgets are bound to the URL (`bind=`), at least one per kind of control
    (text, slider, number, choice); only the frame's own parameters (language, presenter mode,
    step, locks, class code) are written to `st.query_params` by hand."""
    site_files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    bound, written = [], []
    for path in site_files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if any(k.arg == "bind" for k in node.keywords):
                    bound.append(node.func.attr)
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del):
                if ast.unparse(node.value) == "st.query_params":
                    written.append(ast.unparse(node.slice))
    assert len(bound) >= 5, bound
    assert {"text_area", "text_input", "slider", "number_input", "selectbox", "select_slider"} <= set(bound), bound
    assert set(written) <= {"'lang'", "'present'", "'step'", "'lock'", "'class'", "name"}, written


def imports_anywhere(path: Path, prefixes: tuple[str, ...]) -> set[str]:
    """The modules a module imports anywhere in it, inside functions too (imported late or not, an
    import from each side is a circle in the design)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(prefixes):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(prefixes))
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another in a circle (Tarjan's strongly connected parts)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(name: str) -> None:
        order[name] = low[name] = len(order)
        stack.append(name)
        for other in graph[name]:
            if other not in order:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in stack:
                low[name] = min(low[name], order[other])
        if low[name] == order[name]:
            group = []
            while True:
                other = stack.pop()
                group.append(other)
                if other == name:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for name in graph:
        if name not in order:
            visit(name)
    return found


def test_the_core_and_the_site_helpers_import_one_way_even_inside_functions():
    modules = {module_name(p): p for folder in (CORE, ROOT / "ui") for p in folder.rglob("*.py")}
    graph = {name: {m for m in imports_anywhere(path, ("glassbox", "ui")) if m in modules and m != name}
             for name, path in modules.items()}  # fmt: skip
    assert circles(graph) == []
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # it can find one
