"""Every catalogue is complete: nothing untranslated or fuzzy, nothing in the code missing, .mo up to date."""

import gettext
import shutil
from pathlib import Path

import pytest

from futures_crm.i18n import catalogues, extract, parse_po, problems

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = catalogues(ROOT)
COPY_IGNORE = shutil.ignore_patterns(".venv", "var", ".git", "__pycache__", "*.pyc", "node_modules", "test-artifacts")


def test_the_project_and_the_client_archive_have_catalogues():
    assert {"futures_crm", "clients"} <= {c.name for c in CATALOGUES}


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_catalogue_has_no_untranslated_or_fuzzy_entry(catalogue):
    assert problems(catalogue.po) == []


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_every_string_in_the_code_is_in_the_catalogue(catalogue, tmp_path):
    # makemessages on a copy merges new strings in as untranslated entries, so they show up as problems.
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=COPY_IGNORE)
    copied = next(c for c in catalogues(copy) if c.name == catalogue.name)
    extract(copy, copied)
    assert [p.replace(str(copy), "") for p in problems(copied.po)] == []


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda c: c.name)
def test_compiled_catalogue_matches_the_po(catalogue):
    mo = catalogue.po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `make messages`"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [e.msgid for e in parse_po(catalogue.po) if compiled.gettext(e.msgid) != e.msgstrs[0]
             and len(e.msgstrs) == 1]
    assert stale == [], "the .mo is older than the .po: run `make messages` and commit the .mo"
