"""Load the learner's code from whichever tree is being graded or served.

Scaffolding never copies the learner's files: it puts the lesson folder and the chosen
exercise folder (``exercises/NN-slug`` or ``solutions/NN-slug``) at the front of
``sys.path`` and imports the learner's modules by name. When that import fails, the
learner gets the file and line and the next thing to do, not a traceback from our code.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import traceback
from pathlib import Path

from .paths import relative



_import_lock = threading.RLock()  # request threads may ask for the module at the same moment


class LearnerCodeError(Exception):
    """The learner's module could not be loaded; ``str()`` is a message for the learner."""


def activate(lesson_dir: Path, exercise_dir: Path) -> None:
    """Make ``import <learner module>`` load from ``exercise_dir`` and scaffolding from ``lesson_dir``."""
    for folder in (lesson_dir, exercise_dir):  # the exercise folder ends up first
        folder = str(Path(folder).resolve())
        if folder in sys.path:
            sys.path.remove(folder)
        sys.path.insert(0, folder)



def learner_frame(tb, exercise_dir: Path):
    """The innermost traceback frame whose file is inside ``exercise_dir``, or None."""
    root = str(Path(exercise_dir).resolve())
    found = None
    for frame in traceback.extract_tb(tb):
        if str(Path(frame.filename).resolve()).startswith(root + os.sep):
            found = frame
    return found


def describe_frame(frame) -> str:
    where = f"{relative(Path(frame.filename))}, line {frame.lineno}, in {frame.name}"
    if frame.line:
        where += f"\n    {frame.line.strip()}"
    return where


def syntax_error_message(err: SyntaxError) -> str:
    lines = [f"{relative(Path(err.filename or '?'))}, line {err.lineno}: {err.msg}"]
    if err.text:
        text = err.text.rstrip("\n")
        lines.append(f"    {text.strip()}")
        if err.offset:
            indent = len(text) - len(text.lstrip())
            lines.append("    " + " " * max(err.offset - 1 - indent, 0) + "^")
    lines.append("Fix the syntax there, save, and run the checker again.")
    return "\n".join(lines)


def import_learner(name: str, exercise_dir: Path):
    """Import the learner's module ``name`` (a file ``name.py`` in ``exercise_dir``)."""
    path = Path(exercise_dir) / f"{name}.py"
    if not path.exists():
        raise LearnerCodeError(
            f"{relative(path)} is missing. If you deleted or renamed it, restore it with:\n"
            f"    git checkout -- {relative(path)}"
        )
    with _import_lock:
        module = sys.modules.get(name)
        if module is not None and Path(getattr(module, "__file__", "") or "").resolve() == path.resolve():
            return module
        sys.modules.pop(name, None)
        return _import(name, path, exercise_dir)


def _import(name: str, path: Path, exercise_dir: Path):
    try:
        return importlib.import_module(name)
    except SyntaxError as err:
        raise LearnerCodeError(syntax_error_message(err)) from None
    except SystemExit as err:
        raise LearnerCodeError(
            f"{relative(path)} called sys.exit({err.code!r}) while being imported:\n{_where(err, path, exercise_dir)}\n"
            "A module the server imports must not exit; remove that call."
        ) from None
    except Exception as err:  # noqa: BLE001 - any import-time failure is the learner's to see
        raise LearnerCodeError(
            f"importing {relative(path)} failed with {type(err).__name__}: {err}\n{_where(err, path, exercise_dir)}\n"
            "Fix the code at that line (it runs as soon as the file is imported), then run the checker again."
        ) from None


def _where(err: BaseException, path: Path, exercise_dir: Path) -> str:
    """The learner's line that raised ``err``, or just their file when none of its frames is theirs."""
    frame = learner_frame(err.__traceback__, exercise_dir)
    return describe_frame(frame) if frame else relative(path)


# -- stubs: "not written yet", known from the source ------------------------------------------------
def unwritten_message(function: str, path: Path) -> str:
    """What a learner reads about a function still raising ``NotImplementedError`` (one wording everywhere)."""
    return (f"{function}() in {relative(Path(path))} is not written yet (it still raises NotImplementedError).\n"
            "Replace the TODO with your code, save, and run the checker again.")


def _is_stub_node(definition) -> bool:
    """A ``def`` whose body, after its docstring, is one ``raise NotImplementedError(...)``."""
    import ast

    body = definition.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def is_stub(function) -> bool:
    """True when the learner's ``function`` (or method) is still the stub as handed out.

    Read from its file (``stubs_in``), without calling it, so a check can say "not written yet"
    before it starts the servers or sets up the framework the function would need.
    """
    import inspect

    try:
        source = inspect.getsourcefile(function)
    except TypeError:  # a built-in: nothing of the learner's
        return False
    return source is not None and getattr(function, "__qualname__", "") in (stubs_in(Path(source)) or ())


def stubs_in(path: Path) -> set[str] | None:
    """The names of the stubs in the learner's file ``path`` (``"name"``, or ``"Class.name"`` for a
    method), read without importing it; ``None`` when it cannot be read or parsed (importing it
    then says why)."""
    import ast

    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, SyntaxError):
        return None
    found = set()
    for node in tree.body:
        functions = [(node.name, node)] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
        if isinstance(node, ast.ClassDef):
            functions = [(f"{node.name}.{item.name}", item) for item in node.body
                         if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
        found.update(name for name, definition in functions if _is_stub_node(definition))
    return found
