"""The German catalogue of the dispatcher pages is complete and compiled."""

from pathlib import Path

from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"


def test_every_text_has_a_german_translation():
    lines = (CATALOGUE / "django.po").read_text(encoding="utf-8").splitlines()
    empty = [
        lines[n - 1]
        for n, line in enumerate(lines)
        if line in ('msgstr ""', 'msgstr[0] ""', 'msgstr[1] ""') and lines[n - 1] != 'msgid ""'
    ]
    assert empty == []
    assert (CATALOGUE / "django.mo").exists()


def test_the_compiled_catalogue_is_used():
    with translation.override("de"):
        assert translation.gettext("Same address") == "Gleiche Adresse"
        assert translation.gettext("Review queue") == "Prüfliste"
