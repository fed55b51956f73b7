"""The layout the README promises: a small core with no Streamlit and no import cycles, pages/
holding exactly the registered pages, and the site's helpers in ui/."""

from __future__ import annotations

import ast
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
