"""What the browser tests share besides fixtures."""

from __future__ import annotations


def answer_dialogs(tab) -> None:
    """Accept every confirm() the page asks (as the person pressing 确定 would) and record its
    question on ``tab.dialogs_seen``, so a test can check that a money step asked first."""
    tab.dialogs_seen = []

    def answer(dialog) -> None:
        tab.dialogs_seen.append(dialog.message)
        dialog.accept()

    tab.on("dialog", answer)
