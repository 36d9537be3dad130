"""Every module imports on its own, in a fresh interpreter.

An import cycle hides inside one test session (whatever imported first breaks the cycle) but
breaks a user's command: `commerce-brain demo` once failed with "cannot import name 'record'
from partially initialized module 'commerce_brain.store.audit'" while the whole suite passed.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import commerce_brain


def _modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(commerce_brain.__path__, "commerce_brain.")
                  if ".migrations." not in info.name)


def test_every_module_imports_alone_in_a_fresh_interpreter():
    # One interpreter per module would cost ~0.3 s each; instead each module is imported in a
    # fresh child with all commerce_brain modules dropped from sys.modules in between.
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        "for name in sys.argv[1:]:\n"
        "    for loaded in [m for m in sys.modules if m == 'commerce_brain' or m.startswith('commerce_brain.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    modules = _modules()
    assert len(modules) > 50
    done = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_cli_starts_in_a_fresh_interpreter():
    done = subprocess.run([sys.executable, "-m", "commerce_brain.cli", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "plans" in done.stdout and "policy" in done.stdout
