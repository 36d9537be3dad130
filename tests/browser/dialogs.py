"""What the browser tests share besides fixtures."""

from __future__ import annotations


def answer_dialogs(tab) -> None:
    """Accept every confirm() the page asks (as the person pressing 确定 would) and record its
    question on ``tab.dialogs_seen``, so a test can check that a money step asked first.

    Once per tab: a second call used to add a second listener, which recorded each question twice
    (and tried to accept it twice), so one click looked like two dialogs.
    """
    if hasattr(tab, "dialogs_seen"):
        return
    tab.dialogs_seen = []

    def answer(dialog) -> None:
        tab.dialogs_seen.append(dialog.message)
        dialog.accept()

    tab.on("dialog", answer)


def asks_once(tab, click) -> str:
    """Run ``click()`` (a press of a data-confirm button that leads to a new page) and return the
    one question it asked; fails if it asked none or more than one."""
    before = len(tab.dialogs_seen)
    click()
    tab.wait_for_load_state()
    asked = tab.dialogs_seen[before:]
    assert len(asked) == 1, f"one click asked {len(asked)} questions: {asked}"
    return asked[0]
