"""``using_language``: a language for one context (a request's thread), not the process."""

from __future__ import annotations

import threading

from fieldkit.i18n import _, current_language, is_right_to_left, ngettext, using_language


def test_the_context_language_applies_inside_only() -> None:
    assert _("Sign in") == "Sign in"
    with using_language("fr") as code:
        assert code == "fr" and current_language() == "fr"
        assert _("Sign in") == "Se connecter"
        with using_language("ar"):
            assert _("Sign in") == "تسجيل الدخول" and is_right_to_left()
        assert _("Sign in") == "Se connecter"
    assert _("Sign in") == "Sign in" and current_language() == "en"
    with using_language("xx") as code:  # unsupported: English
        assert code == "en" and _("Sign in") == "Sign in"


def test_another_thread_keeps_the_process_language() -> None:
    seen: list[str] = []
    inside = threading.Event()
    done = threading.Event()

    def other() -> None:
        inside.wait(10)
        seen.append(_("Sign in"))
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with using_language("fr"):
        inside.set()
        done.wait(10)
        assert ngettext("{n} record", "{n} records", 2) != ""
    thread.join()
    assert seen == ["Sign in"]
