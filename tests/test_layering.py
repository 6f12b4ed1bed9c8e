"""No app imports an app above it: futures_crm ← clients ← privacy, referrals, service ← segmentation.

A lower app that needs something from a higher one offers a hook the higher app fills from its
AppConfig.ready() (clients.panels, clients.list_filters, service.selectors.register_my_day_section),
or an interface the higher app calls (referrals.selectors.orphaned_client_ids).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYER = {"futures_crm": 0, "clients": 1, "privacy": 2, "referrals": 2, "service": 2, "segmentation": 3}
# The root URLconf is where the project mounts every app's pages; it belongs to no layer.
# The demo command likewise runs every app's demo steps in the order their records depend on each other.
COMPOSITION_ROOT = {"futures_crm/urls.py", "futures_crm/management/commands/demo_data.py"}
# Calls that import by name: a higher app named in a string is an import all the same.
IMPORTING_CALLS = {"import_module", "import_string", "get_model"}


def modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" not in relative and relative not in COMPOSITION_ROOT:
            yield relative, path


def imported_apps(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import and every import-by-name call with a literal."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {(node.lineno, alias.name.split(".")[0]) for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in IMPORTING_CALLS and isinstance(node.args[0].value, str):
                found.add((node.lineno, node.args[0].value.split(".")[0]))
    return found


@pytest.mark.parametrize("app", LAYER)
def test_no_app_imports_an_app_above_it(app):
    upward = [f"{relative}:{line} imports {target}"
              for relative, path in modules(app)
              for line, target in sorted(imported_apps(path))
              if LAYER.get(target, -1) > LAYER[app]]
    assert upward == []


def test_the_check_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import segmentation.models\n"
                      "from service.models import Task\n"
                      "from . import selectors\n"
                      "def f():\n"
                      "    from referrals.selectors import orphaned_client_ids\n"
                      "    return apps.get_model('segmentation', 'Policy'), import_module('service.views')\n",
                      encoding="utf-8")
    assert {target for _line, target in imported_apps(sample)} == {"segmentation", "service", "referrals"}
