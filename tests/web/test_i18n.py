"""Both languages are complete: every message has a translation, the compiled catalogues match
the sources, and pages come out in Chinese by default and in English on request."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "vshop" / "locale"
_ENTRY = re.compile(
    r'^(?:msgctxt (".*?")\n)?msgid (".*?"(?:\n".*?")*)\n(msgid_plural .*\n)?'
    r'((?:msgstr(?:\[\d\])? ".*"(?:\n".*")*\n?)+)',
    re.M,
)


def _entries(language: str, *, plurals: bool = True) -> list[tuple[str | None, str, str]]:
    """(context or None, msgid, msgstr) of each entry."""
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text()
    assert "#, fuzzy" not in text, f"{language}: fuzzy entries are not used by Django"
    result = []
    for msgctxt, msgid, plural, msgstrs in _ENTRY.findall(text):
        if plural and not plurals:
            continue
        ident = "".join(re.findall(r'"(.*)"', msgid))
        translated = "".join(re.findall(r'"(.*)"', msgstrs))
        context = "".join(re.findall(r'"(.*)"', msgctxt)) if msgctxt else None
        if ident:
            result.append((context, ident, translated))
    return result


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_every_message_is_translated(language):
    entries = _entries(language)

    missing = [msgid for _context, msgid, msgstr in entries if not msgstr]

    assert len(entries) > 300
    assert missing == []


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogue_matches_its_source(language):
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)

    stale = [
        msgid
        for context, msgid, msgstr in _entries(language, plurals=False)
        # escaped entries are compared by msgfmt itself; the plain ones suffice here
        if "\\" not in msgid + msgstr
        and (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]

    assert stale == [], (
        "run: cd src/vshop && ../../.venv/bin/python ../../manage.py compilemessages"
    )


@pytest.mark.django_db
def test_pages_are_in_chinese_by_default_and_english_on_request(client, settings, shop):
    settings.LANGUAGE_CODE = "zh-hans"

    chinese = client.get("/accounts/login/").content.decode()
    english = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "登录" in chinese and "Log in" not in chinese
    assert "Log in" in english


@pytest.mark.django_db
def test_domain_errors_speak_the_visitors_language(client, settings):
    settings.LANGUAGE_CODE = "zh-hans"

    response = client.post(
        "/api/accounts/login",
        {"identifier": "nobody@example.com", "password": "x"},
        content_type="application/json",
    )

    assert response.status_code == 401
    assert re.search(r"[\u4e00-\u9fff]", response.json()["message"])
