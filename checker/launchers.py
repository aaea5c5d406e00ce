"""Load a lesson's launcher, ``lessons/NN-slug/launch.py``, by its path.

Every lesson's launcher is a file named ``launch.py``; importing it as ``launch`` would let the
first lesson imported in a process shadow the others. Loaded here under a name of its own
(``lesson07_launch``), each stays itself.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def load(lesson_dir: Path):
    """The module ``lesson_dir/launch.py`` (imported once per process)."""
    lesson_dir = Path(lesson_dir)
    name = f"lesson{lesson_dir.name.split('-', 1)[0]}_launch"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, lesson_dir / "launch.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
