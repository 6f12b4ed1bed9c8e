"""Translation catalogues: which exist, how they are extracted, and what is missing from them.

`make messages-update` and the catalogue test call the same `extract`, so the test sees exactly
what a developer's makemessages would produce.
"""

import ast
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LANGUAGE = "zh_Hans"
# Top-level folders that never hold user-facing strings of the product.
NOT_SOURCE = {".venv", "var", "tests", "scripts", "bench", "docs", "static", ".git", ".ci", "node_modules"}
# The project catalogue (LOCALE_PATHS) holds the project package and the shared root templates.
PROJECT_SOURCES = {"futures_crm", "templates"}


@dataclass(frozen=True)
class Catalogue:
    name: str  # the app label, or "futures_crm" for the project catalogue
    workdir: Path  # where makemessages runs
    po: Path
    ignore: tuple = ()


def catalogues(root: Path) -> list[Catalogue]:
    """The project catalogue and one per top-level app that has a `locale/` folder."""
    found = []
    top = sorted(p for p in root.iterdir() if p.is_dir() and p.name not in NOT_SOURCE and not p.name.startswith("."))
    project_ignore = tuple(p.name for p in top if p.name not in PROJECT_SOURCES) + tuple(sorted(NOT_SOURCE))
    for path in top:
        if not (path / "locale").is_dir():
            continue
        po = path / "locale" / LANGUAGE / "LC_MESSAGES" / "django.po"
        if path.name == "futures_crm":
            found.append(Catalogue("futures_crm", root, po, project_ignore))
        else:
            found.append(Catalogue(path.name, path, po))
    return found


def extract(root: Path, catalogue: Catalogue) -> None:
    """Run makemessages for one catalogue (merging into its existing .po, as Django does)."""
    # -P: the app folder must not shadow the standard library (clients/selectors.py vs selectors).
    cmd = [sys.executable, "-P", "-m", "django", "makemessages", "-l", LANGUAGE, "--no-location", "-v", "0"]
    cmd += [f"--ignore={name}" for name in catalogue.ignore] + ["--ignore=locale"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "futures_crm.settings", "DEBUG": "1", "PYTHONPATH": str(root)}
    subprocess.run(cmd, cwd=catalogue.workdir, env=env, check=True)  # noqa: S603


@dataclass
class Entry:
    msgid: str
    msgstrs: list
    fuzzy: bool


def parse_po(path: Path) -> list[Entry]:
    """The live (non-obsolete) entries of a .po file, header excluded."""
    entries, current, field, flags = [], None, None, ""

    def close():
        if current is not None and current["msgid"] != "":
            strs = [v for k, v in sorted(current.items()) if k.startswith("msgstr")]
            entries.append(Entry(current["msgid"], strs, "fuzzy" in current.get("flags", "")))

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~") or not line:
            continue
        if line.startswith("#,"):
            flags = line
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt") or (line.startswith("msgid ") and (current is None or field != "msgctxt")):
            close()
            current, flags = {"flags": flags}, ""
        keyword, _sep, rest = line.partition(" ")
        if line.startswith('"'):
            current[field] += ast.literal_eval(line)
            continue
        field = keyword
        current[field] = ast.literal_eval(rest)
    close()
    return entries


def problems(po: Path) -> list[str]:
    """Untranslated and fuzzy entries of one catalogue, one line each."""
    out = []
    for entry in parse_po(po):
        if entry.fuzzy:
            out.append(f"{po}: fuzzy: {entry.msgid!r}")
        elif any(not s for s in entry.msgstrs):
            out.append(f"{po}: untranslated: {entry.msgid!r}")
    return out


if __name__ == "__main__":
    base = Path(__file__).resolve().parent.parent
    for cat in catalogues(base):
        extract(base, cat)
        for problem in problems(cat.po):
            print(problem)
