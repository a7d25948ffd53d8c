"""The layers of docs/architecture.md, checked on the source: pages -> ui -> recommender, never
upward, no import cycle, recommender/ free of Streamlit, modules of a readable size."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support.paths import ROOT

LIBRARY, UI, PAGES = ROOT / "recommender", ROOT / "ui", ROOT / "pages"
MAX_LINES = 400
# Over MAX_LINES on purpose, each with its reason (docs/architecture.md says so too).
LONG_MODULES: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports when it runs, at the top or inside a function (relative ones
    resolved; ``if TYPE_CHECKING:`` imports left out)."""
    package = module_name(path).split(".") if path.name == "__init__.py" else module_name(path).split(".")[:-1]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree)  # `if TYPE_CHECKING:` imports never run
                   if isinstance(block, ast.If) and getattr(block.test, "id", "") == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from . import state`
    return found


def sources(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def test_the_library_imports_no_streamlit_ui_or_pages():
    for path in sources(LIBRARY):
        bad = {m for m in imports(path) if m.split(".")[0] in ("streamlit", "ui", "pages", "plotly")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_ui_never_imports_a_page_and_pages_import_only_downward():
    for path in sources(UI):
        assert not {m for m in imports(path) if m.split(".")[0] == "pages"}, path.name
    for path in [*sources(PAGES), ROOT / "app.py"]:
        ours = {m.split(".")[0] for m in imports(path)} & {"pages", "ui", "recommender", "bench", "tests"}
        assert ours <= {"ui", "recommender"}, f"{path.relative_to(ROOT)} imports {sorted(ours)}"


def test_no_import_cycle_in_the_library_or_ui():
    files = {module_name(p): p for p in [*sources(LIBRARY), *sources(UI)]}
    graph = {name: {m for m in imports(path) if m in files and m != name} for name, path in files.items()}
    # A package's __init__ re-exporting its modules is not a cycle of theirs.
    graph = {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(dep):], dep]))
            if dep not in state:
                visit(dep, [*trail, dep])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_library_modules_stay_readable():
    long = {str(p.relative_to(ROOT)): n for p in sources(LIBRARY)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert set(long) <= set(LONG_MODULES), f"modules over {MAX_LINES} lines: {long}"


def test_the_page_list_is_explicit_and_every_page_file_is_in_it():
    from ui import pages

    assert {page.path for page in pages.PAGES} == {f"pages/{p.name}" for p in PAGES.glob("*.py")}
    assert "glob" not in (ROOT / "app.py").read_text(encoding="utf-8")
