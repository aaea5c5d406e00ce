"""The workshop's checker: ``python -m checker`` grades the exercises (see README.md).

``python -m`` puts the current folder first on ``sys.path``, so a learner's ``tomllib.py`` or
``json.py`` there would be imported in place of the standard library's. The checker never needs
the current folder: it is replaced by the repository root before anything else is imported
(``python -P`` does the same for the processes the checker starts).
"""

import os as _os
import sys as _sys

_ROOT = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _sys.path and _sys.path[0] in ("", _os.getcwd()) and _os.path.abspath(_sys.path[0] or ".") != _ROOT:
    _sys.path[0] = _ROOT

