"""Imports point one way through the flow, as the README's layout says.

format <- git <- repository <- similarity <- lint <- site <- export <- site.mkdocs <- cli: a module
imports only from its own layer and the layers before it; nothing imports the
CLI; the site's core does not import MkDocs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import PROJECT

PACKAGE = PROJECT / "tools" / "postmortem_kit"
LAYERS = [
    ("postmortem_kit.schema",),  # data: the taxonomy and the JSON Schema
    ("postmortem_kit.format",),
    ("postmortem_kit.git",),
    ("postmortem_kit.repository",),
    ("postmortem_kit.similarity",),
    ("postmortem_kit.lint",),
    ("postmortem_kit.site", "postmortem_kit.sanitize"),
    ("postmortem_kit.export",),
    ("postmortem_kit.site.mkdocs", "postmortem_kit.mkdocs_plugin"),
    ("postmortem_kit.cli",),
]


def layer(module: str) -> int:
    """The index of the most specific layer `module` is in."""
    best, length = -1, 0
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS and to the README's layout"
    return best


def imports(source: str, module: str) -> set[str]:
    """The modules `source` imports, anywhere in it (lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the package
                base = ".".join([*module.split(".")[: -node.level], *filter(None, [base])])
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def wrong_imports(module: str, source: str) -> list[str]:
    own = layer(module)
    wrong = []
    for imported in sorted(imports(source, module)):
        top = imported.split(".")[0]
        if top == "mkdocs" and own != layer("postmortem_kit.site.mkdocs"):
            wrong.append(f"{module} imports {imported}: only the MkDocs adapter imports MkDocs")
        if top != "postmortem_kit" or imported == "postmortem_kit":
            continue
        if _is_module(imported) and layer(imported) > own:
            wrong.append(f"{module} imports {imported}, a later layer")
        elif layer(imported) == layer("postmortem_kit.cli") and own != layer(imported):
            wrong.append(f"{module} imports the CLI")
    return wrong


def _is_module(name: str) -> bool:
    """Whether `name` is a module or package of ours (not a name imported from one)."""
    path = PROJECT / "tools" / Path(*name.split("."))
    return (
        path.with_suffix(".py").is_file()
        or (path / "__init__.py").is_file()
        or (name == "postmortem_kit.schema")
    )


def our_modules() -> dict[str, str]:
    """Every module of the package but its top `__init__`, which imports nothing."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path.read_text(encoding="utf-8")
    assert imports(modules.pop("postmortem_kit"), "postmortem_kit") <= {"__future__"}
    return modules


def test_imports_point_one_way() -> None:
    modules = our_modules()
    assert len(modules) > 30
    wrong = [problem for name, source in modules.items() for problem in wrong_imports(name, source)]
    assert wrong == []


def test_a_wrong_import_is_caught() -> None:
    lazy_cli = "def f():\n    from postmortem_kit.cli import main\n"
    assert wrong_imports("postmortem_kit.format.read", "from postmortem_kit.lint import runner\n")
    assert wrong_imports("postmortem_kit.site.pages", lazy_cli)
    assert wrong_imports("postmortem_kit.site.pages", "import mkdocs.plugins\n")
    assert wrong_imports("postmortem_kit.lint.runner", "from postmortem_kit.site import pages\n")
    assert wrong_imports("postmortem_kit.format.read", "from .. import lint\n")
    assert wrong_imports("postmortem_kit.lint.runner", "from mkdocs import utils\n")
    assert not wrong_imports("postmortem_kit.site.mkdocs.plugin", "import mkdocs.plugins\n")
    assert not wrong_imports(
        "postmortem_kit.lint.runner", "from postmortem_kit.git import history\n"
    )


def test_old_import_paths_still_work() -> None:
    from importlib.metadata import entry_points

    from postmortem_kit.mkdocs_plugin import PostmortemsPlugin
    from postmortem_kit.sanitize import clean_html
    from postmortem_kit.site.mkdocs import plugin
    from postmortem_kit.site.sanitize import clean_html as sanitiser

    assert PostmortemsPlugin is plugin.PostmortemsPlugin
    assert clean_html is sanitiser
    (entry,) = entry_points(group="mkdocs.plugins", name="postmortems")
    assert entry.load() is PostmortemsPlugin
