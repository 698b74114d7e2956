"""GUI tests run in English, as the app does on a system with no other language chosen: the English translation
(its plural forms: "1 conversation", "2 conversations") is installed for every test (when missing), like ``make_application`` does at start.
A test that wants Korean installs it and puts English back (tests/gui/test_i18n.py's ``korean`` fixture)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _english_interface(qapp):
    from llmdesk.gui import i18n

    i18n.install_translation("en", qapp)  # each test: a small file, and no test depends on another's state
    yield
