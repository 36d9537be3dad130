"""``commerce-brain grading …``: 亩均效益 evaluation, re-grading, the leading-50 lists and the
competitive allocation of a pot."""

from __future__ import annotations

import typer

grading_app = typer.Typer(help="Enterprise grading (亩均效益 A/B/C/D), leading lists and competitive allocation.",
                          no_args_is_help=True)
