#!/usr/bin/env python3
"""Build the talk "WebSockets: intro to messaging" as offline reveal.js slides and a PDF handout.

    python slides/build.py            # slides/build/index.html + slides/build/handout.pdf
    python slides/build.py --no-pdf   # HTML only (no browser needed)
    python slides/build.py --open     # ... and open the deck in the default browser

Steps:

1. ``npm ci`` the pinned front-end assets (slides/package-lock.json) into slides/node_modules,
   skipped when they are already installed from the same lock file.
2. Read slides/talk.md, expand its directives (code snippets pulled from the solutions with
   ``ast``, lesson links, the numbers table from slides/numbers.toml) and write the notebook
   nbconvert needs (slides/build/talk.ipynb, one Markdown cell per slide plus a notes cell).
3. Run nbconvert's SlidesExporter with slides/templates/offline_reveal (a reveal template
   without CDN-only parts) and local asset URLs.
4. Copy only the assets the page loads into slides/build/assets/ and the diagrams into
   slides/build/diagrams/, then check that the page refers to nothing outside the folder.
5. Print the deck to slides/build/handout.pdf (one page per slide) with headless Chromium.

The source format of talk.md is described at the top of that file.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
import webbrowser
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TALK = HERE / "talk.md"
NUMBERS = HERE / "numbers.toml"
DIAGRAMS = HERE / "diagrams"
TEMPLATES = HERE / "templates"
NODE_MODULES = HERE / "node_modules"
BUILD = HERE / "build"
LOCK_STAMP = NODE_MODULES / ".slides-lock.sha256"

DECK_WIDTH = 1280
DECK_HEIGHT = 720
MAX_SNIPPET_LINES = 24

# What the page loads, copied from node_modules (source -> destination under build/assets/).
ASSETS = {
    "reveal.js/dist/reveal.js": "reveal.js/dist/reveal.js",
    "reveal.js/dist/reveal.css": "reveal.js/dist/reveal.css",
    "reveal.js/dist/theme/white.css": "reveal.js/dist/theme/white.css",
    "reveal.js/dist/theme/fonts/source-sans-pro": "reveal.js/dist/theme/fonts/source-sans-pro",
    "reveal.js/plugin/notes/notes.js": "reveal.js/plugin/notes/notes.js",
    "reveal.js/LICENSE": "reveal.js/LICENSE",
    "requirejs/require.js": "require.js",
    "jquery/dist/jquery.min.js": "jquery.min.js",
    # MathJax 2 with the one combined configuration nbconvert asks for, the Safe extension
    # and the CommonHTML output with its web fonts (only fetched if a slide has math).
    "mathjax/MathJax.js": "mathjax/MathJax.js",
    "mathjax/config/TeX-AMS_CHTML-full.js": "mathjax/config/TeX-AMS_CHTML-full.js",
    "mathjax/config/Safe.js": "mathjax/config/Safe.js",
    "mathjax/extensions": "mathjax/extensions",
    "mathjax/jax/output/CommonHTML": "mathjax/jax/output/CommonHTML",
    "mathjax/jax/input/TeX": "mathjax/jax/input/TeX",
    "mathjax/jax/element": "mathjax/jax/element",
    "mathjax/fonts/HTML-CSS/TeX/woff": "mathjax/fonts/HTML-CSS/TeX/woff",
    "mathjax/LICENSE": "mathjax/LICENSE",
}


class BuildError(Exception):
    """A problem the person building the slides must fix; the message says how."""


def say(message: str) -> None:
    print(f"[slides] {message}", flush=True)


# --------------------------------------------------------------------------------------------
# 1. Front-end assets
# --------------------------------------------------------------------------------------------

def npm_assets(force: bool = False) -> None:
    lock = HERE / "package-lock.json"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if not force and LOCK_STAMP.exists() and LOCK_STAMP.read_text().strip() == digest:
        say("front-end assets already installed from package-lock.json (npm ci skipped)")
        return
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            "npm was not found. The slides need reveal.js, require.js, jQuery and MathJax from npm.\n"
            "  Install Node.js (which brings npm): sudo apt-get install nodejs npm   (Debian/Ubuntu)\n"
            "  or brew install node (macOS), or see https://nodejs.org/ . Then run this again."
        )
    say("npm ci (reveal.js 5, require.js, jQuery 2, MathJax 2 from slides/package-lock.json)")
    cmd = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"]
    result = subprocess.run(cmd, cwd=HERE)
    if result.returncode != 0:
        raise BuildError(
            f"`{' '.join(cmd[:2])}` failed in {HERE} (exit {result.returncode}). It needs the npm "
            "registry once; after that the build works offline."
        )
    LOCK_STAMP.write_text(digest + "\n")


# --------------------------------------------------------------------------------------------
# 2. The source: talk.md -> slides
# --------------------------------------------------------------------------------------------

SLIDE_SEPARATOR = re.compile(r"^---\s*$")
NOTES_MARKER = re.compile(r"^Notes?:\s*$")
SLIDE_ATTRS = re.compile(r"^<!--\s*slide:(.*?)-->\s*$")
DIRECTIVE = re.compile(r"^<!--\s*(snippet|lesson|numbers):\s*(.*?)\s*-->\s*$")
IMAGE_REF = re.compile(r"""(?:\]\(|src=["'])(diagrams/[^)"'\s]+)""")


@dataclass
class Slide:
    number: int  # 1-based, in source order
    line: int  # line of talk.md where it starts
    body: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        for text in self.body:
            if text.startswith("#"):
                return text.lstrip("#").strip()
        return f"slide {self.number}"


def strip_front_comment(lines: list[str]) -> tuple[list[str], int]:
    """Drop the HTML comment at the very top of talk.md (the format description)."""
    if lines and lines[0].lstrip().startswith("<!--"):
        for i, text in enumerate(lines):
            if "-->" in text:
                return lines[i + 1:], i + 1
    return lines, 0


def parse_talk(text: str) -> list[Slide]:
    lines, offset = strip_front_comment(text.splitlines())
    slides: list[Slide] = []
    current = Slide(number=1, line=offset + 1)
    in_notes = False
    in_fence = False
    for index, text_line in enumerate(lines, start=offset + 1):
        if text_line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and SLIDE_SEPARATOR.match(text_line):
            slides.append(current)
            current = Slide(number=len(slides) + 1, line=index + 1)
            in_notes = False
            continue
        if not in_fence and NOTES_MARKER.match(text_line):
            in_notes = True
            continue
        attrs = SLIDE_ATTRS.match(text_line)
        if attrs and not in_fence:
            for key, value in re.findall(r'([\w-]+)="([^"]*)"', attrs.group(1)):
                current.data[key] = value
            continue
        (current.notes if in_notes else current.body).append(text_line)
    slides.append(current)
    slides = [s for s in slides if any(t.strip() for t in s.body)]
    for number, slide in enumerate(slides, start=1):
        slide.number = number
    return slides


# ----- snippets ------------------------------------------------------------------------------

def find_definition(tree: ast.Module, dotted: str) -> ast.AST | None:
    """The function, class or assignment called ``dotted`` ("name" or "Class.method")."""
    scope: list[ast.stmt] = tree.body
    node: ast.AST | None = None
    for part in dotted.split("."):
        node = None
        for candidate in scope:
            if isinstance(candidate, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if candidate.name == part:
                    node = candidate
            elif isinstance(candidate, (ast.Assign, ast.AnnAssign)):
                targets = candidate.targets if isinstance(candidate, ast.Assign) else [candidate.target]
                if any(isinstance(t, ast.Name) and t.id == part for t in targets):
                    node = candidate
        if node is None:
            return None
        scope = getattr(node, "body", [])
    return node


def defined_names(tree: ast.Module) -> list[str]:
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def extract_snippet(spec: str, repo: Path = REPO) -> tuple[str, str, int]:
    """Source of ``path::name`` (options after it: ``nodoc``). Returns (code, path, first line).

    Raises BuildError when the file or the name does not exist, so that a slide never shows
    code that has drifted away from the solutions.
    """
    words = spec.split()
    if not words or "::" not in words[0]:
        raise BuildError(f"snippet directive {spec!r}: write it as path/to/file.py::function_name [nodoc]")
    options = set(words[1:])
    unknown = options - {"nodoc"}
    if unknown:
        raise BuildError(f"snippet {words[0]}: unknown option(s) {sorted(unknown)}; the only option is nodoc")
    rel_path, name = words[0].split("::", 1)
    path = repo / rel_path
    if not path.is_file():
        raise BuildError(
            f"snippet {words[0]}: {rel_path} does not exist. The slide shows code from that file; "
            "write or restore it, or change the directive in slides/talk.md."
        )
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise BuildError(f"snippet {words[0]}: {rel_path} does not parse: {exc}") from exc
    node = find_definition(tree, name)
    if node is None:
        raise BuildError(
            f"snippet {words[0]}: no function, class or assignment {name!r} in {rel_path} "
            f"(it defines: {', '.join(defined_names(tree)) or 'nothing'}). "
            "It was renamed or removed: update slides/talk.md."
        )
    lines = source.splitlines()
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    keep = list(range(first, node.end_lineno + 1))
    body = getattr(node, "body", None)
    if "nodoc" in options and body and isinstance(body[0], ast.Expr) \
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        doc = set(range(body[0].lineno, body[0].end_lineno + 1))
        keep = [n for n in keep if n not in doc]
    code = textwrap.dedent("\n".join(lines[n - 1] for n in keep)).rstrip()
    return code, rel_path, first


def render_snippet(spec: str, where: str) -> str:
    code, rel_path, first = extract_snippet(spec)
    count = code.count("\n") + 1
    if count > MAX_SNIPPET_LINES:
        say(f"warning: {where}: snippet {spec} has {count} lines; more than {MAX_SNIPPET_LINES} "
            "will not fit on a slide (use nodoc, or show a smaller function)")
    name = spec.split()[0].split("::", 1)[1]
    link = f"../../{rel_path}"
    caption = (f'<div class="snippet-source">from <a href="{html.escape(link)}" target="_blank">'
               f"{html.escape(rel_path)}</a> · <code>{html.escape(name)}</code>, line {first}</div>")
    return f"```python\n{code}\n```\n\n{caption}\n"


# ----- lessons -------------------------------------------------------------------------------

def lesson_folder(slug: str, where: str) -> str:
    """The lesson folder for ``NN-slug``: the one on disk if lessons/NN-* exists."""
    match = re.fullmatch(r"(\d\d)-[a-z0-9-]+", slug)
    if not match:
        raise BuildError(f"{where}: lesson directive needs a folder name like 05-redis-sidecar, got {slug!r}")
    on_disk = sorted(p.name for p in (REPO / "lessons").glob(f"{match.group(1)}-*") if p.is_dir())
    if not on_disk:
        say(f"note: {where}: lessons/{slug}/ does not exist yet; linking to it anyway")
        return slug
    if slug not in on_disk:
        say(f"warning: {where}: talk.md says lessons/{slug}/ but the folder is lessons/{on_disk[0]}/; "
            "linking to the folder (update slides/talk.md)")
        return on_disk[0]
    return slug


def lesson_title(folder: str) -> str | None:
    readme = REPO / "lessons" / folder / "README.md"
    if readme.is_file():
        for text in readme.read_text(encoding="utf-8").splitlines():
            if text.startswith("# "):
                return text[2:].strip()
    return None


def render_lesson(slug: str, where: str) -> str:
    folder = lesson_folder(slug, where)
    title = lesson_title(folder)
    label = f"lessons/{folder}/"
    extra = f" — {html.escape(title)}" if title else ""
    return (f'<div class="lesson-link">Hands-on: <a href="../../lessons/{folder}/" target="_blank">'
            f"<code>{html.escape(label)}</code></a>{extra}</div>\n")


# ----- numbers -------------------------------------------------------------------------------

def load_numbers(path: Path = NUMBERS) -> list[dict]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BuildError(f"{path} is missing (it holds the numbers the lessons measured)") from exc
    except tomllib.TOMLDecodeError as exc:
        raise BuildError(f"{path.name} is not valid TOML: {exc}") from exc
    rows = data.get("measurement", [])
    for i, row in enumerate(rows, start=1):
        for key in ("group", "lesson", "what"):
            if not str(row.get(key, "")).strip():
                raise BuildError(f"{path.name}: measurement #{i} has no {key!r}")
        if str(row.get("value", "")).strip() and not str(row.get("measured", "")).strip():
            raise BuildError(f"{path.name}: measurement #{i} ({row['what']}) has a value but no "
                             "'measured' (say where and how it was measured)")
    return rows


def render_numbers(groups: str, where: str) -> str:
    wanted = groups.split()
    rows = [r for r in load_numbers() if not wanted or r["group"] in wanted or wanted == ["all"]]
    if not rows:
        raise BuildError(f"{where}: numbers directive {groups!r} matches no measurement in numbers.toml")
    out = ['<table class="numbers">',
           "<thead><tr><th>approach</th><th>what</th><th>value</th><th>measured</th></tr></thead><tbody>"]
    for row in rows:
        value = str(row.get("value", "")).strip()
        unit = str(row.get("unit", "")).strip()
        if value:
            cell = f"<td class=\"value\">{html.escape(value)} {html.escape(unit)}</td>"
            source = html.escape(str(row["measured"]))
        else:
            cell = '<td class="value pending">to be measured</td>'
            source = f"in lesson {html.escape(str(row['lesson']))}"
        out.append(f"<tr><td>{html.escape(row.get('approach', row['group']))}</td>"
                   f"<td>{html.escape(row['what'])}</td>{cell}<td class=\"source\">{source}</td></tr>")
    out.append("</tbody></table>")
    return "\n".join(out) + "\n"


# ----- putting it together -------------------------------------------------------------------

def expand(lines: list[str], slide: Slide, images: set[str]) -> str:
    out: list[str] = []
    in_fence = False
    for offset, text_line in enumerate(lines):
        if text_line.startswith("```"):
            in_fence = not in_fence
        where = f"talk.md slide {slide.number} ({slide.title!r}, from line {slide.line})"
        match = None if in_fence else DIRECTIVE.match(text_line.strip())
        if match:
            kind, argument = match.groups()
            if kind == "snippet":
                out.append(render_snippet(argument, where))
            elif kind == "lesson":
                out.append(render_lesson(argument, where))
            else:
                out.append(render_numbers(argument, where))
            continue
        for ref in IMAGE_REF.findall(text_line):
            if not (HERE / ref).is_file():
                raise BuildError(f"{where}: image {ref} does not exist")
            images.add(ref)
        out.append(text_line)
    return "\n".join(out).strip() + "\n"


def make_notebook(slides: list[Slide]) -> tuple[dict, set[str]]:
    images: set[str] = set()
    cells = []
    for slide in slides:
        meta: dict = {"slideshow": {"slide_type": "slide"}}
        if slide.data:
            meta["slideshow"]["data"] = dict(slide.data)
        cells.append({"cell_type": "markdown", "id": f"slide-{slide.number:02d}", "metadata": meta,
                      "source": expand(slide.body, slide, images)})
        notes = "\n".join(slide.notes).strip()
        if notes:
            cells.append({"cell_type": "markdown", "id": f"notes-{slide.number:02d}",
                          "metadata": {"slideshow": {"slide_type": "notes"}},
                          "source": expand(slide.notes, slide, images)})
    notebook = {
        "cells": cells,
        "metadata": {
            "title": "WebSockets: intro to messaging",
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return notebook, images


def check_notes(slides: list[Slide]) -> None:
    missing = [f"{s.number} ({s.title})" for s in slides if not "".join(s.notes).strip()]
    if missing:
        raise BuildError("every slide needs speaker notes (a `Note:` line then the notes); missing on "
                         "slide(s): " + ", ".join(missing))


# --------------------------------------------------------------------------------------------
# 3./4. nbconvert and the assets
# --------------------------------------------------------------------------------------------

def convert(notebook_path: Path) -> str:
    import nbformat
    from nbconvert.exporters import SlidesExporter
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.reveal_url_prefix = "assets/reveal.js"
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_transition = "none"
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_width = str(DECK_WIDTH)
    config.SlidesExporter.reveal_height = str(DECK_HEIGHT)
    config.SlidesExporter.require_js_url = "assets/require.js"
    config.SlidesExporter.jquery_url = "assets/jquery.min.js"
    config.SlidesExporter.mathjax_url = "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe"
    config.SlidesExporter.font_awesome_url = ""
    config.SlidesExporter.exclude_input_prompt = True
    config.SlidesExporter.exclude_output_prompt = True
    exporter = SlidesExporter(config=config, template_name="offline_reveal",
                              extra_template_basedirs=[str(TEMPLATES)])
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook_path), as_version=4))
    return body


def copy_assets(images: set[str]) -> None:
    assets = BUILD / "assets"
    for source, target in ASSETS.items():
        src = NODE_MODULES / source
        dst = assets / target
        if not src.exists():
            raise BuildError(f"{src.relative_to(HERE)} is missing: run `npm ci` in slides/ "
                             "(or delete slides/node_modules and build again)")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    shutil.copy2(HERE / "deck.css", assets / "deck.css")
    for ref in sorted(images):
        (BUILD / ref).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(HERE / ref, BUILD / ref)


EXTERNAL_LOAD = re.compile(r"""<(?:script|link|img|iframe|source|video|audio)\b[^>]*?\b(?:src|href)=["']((?:https?:)?//[^"']+)""",
                           re.IGNORECASE)
LOCAL_LOAD = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["'](?!https?:|//|#|data:|mailto:)([^"'?#]+)""",
                        re.IGNORECASE)


def check_offline(page: str) -> None:
    """Everything the page loads must be inside slides/build/."""
    external = sorted(set(EXTERNAL_LOAD.findall(page)))
    if external:
        raise BuildError("the deck would load from the network (it must work offline): " + ", ".join(external))
    missing = sorted({ref for ref in LOCAL_LOAD.findall(page) if not (BUILD / ref).exists()})
    if missing:
        raise BuildError("the deck refers to files that are not in slides/build/: " + ", ".join(missing))


# --------------------------------------------------------------------------------------------
# 5. PDF handout
# --------------------------------------------------------------------------------------------

def find_browser() -> str | None:
    sys.path.insert(0, str(REPO))
    try:
        from workshop.browser import find_chromium
    except ImportError:
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
            if shutil.which(name):
                return shutil.which(name)
        return None
    return find_chromium()


BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage"]

NO_BROWSER = (
    "no Chromium or Chrome was found, so the PDF handout cannot be printed.\n"
    "  Debian/Ubuntu: sudo apt-get install chromium    macOS: brew install --cask chromium\n"
    "  or set WORKSHOP_CHROMIUM=/path/to/chrome, or build the HTML only: python slides/build.py --no-pdf"
)


def print_pdf(html_path: Path, pdf_path: Path, expected_pages: int) -> int:
    executable = find_browser()
    if executable is None:
        raise BuildError(NO_BROWSER)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise BuildError("the PDF is printed through Playwright: pip install playwright "
                         "(no `playwright install` needed, it uses your Chromium)") from exc
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=BROWSER_ARGS, headless=True)
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.goto(html_path.as_uri() + "?print-pdf", wait_until="load")
            page.wait_for_function("window.deckLoadError || (window.Reveal && Reveal.isReady())",
                                   timeout=30_000)
            error = page.evaluate("window.deckLoadError || null")
            if error:
                raise BuildError(f"the deck did not start in Chromium: {error}")
            page.wait_for_function("document.querySelectorAll('.pdf-page').length > 0", timeout=30_000)
            page.evaluate("document.fonts.ready")
            page.wait_for_timeout(300)
            page.pdf(path=str(pdf_path), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()
    pages = count_pdf_pages(pdf_path.read_bytes())
    if pages != expected_pages:
        raise BuildError(f"{pdf_path.name} has {pages} pages for {expected_pages} slides: a slide whose "
                         "content is taller than the slide spills onto a second page; shorten it")
    return pages


def count_pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (Chromium writes them uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


# --------------------------------------------------------------------------------------------

def build(pdf: bool = True, reinstall: bool = False) -> dict:
    started = time.monotonic()
    npm_assets(force=reinstall)
    slides = parse_talk(TALK.read_text(encoding="utf-8"))
    check_notes(slides)
    notebook, images = make_notebook(slides)
    if BUILD.exists():
        shutil.rmtree(BUILD)
    BUILD.mkdir(parents=True)
    notebook_path = BUILD / "talk.ipynb"
    notebook_path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    say(f"{len(slides)} slides from {TALK.relative_to(REPO)} -> {notebook_path.relative_to(REPO)}")
    page = convert(notebook_path)
    html_path = BUILD / "index.html"
    html_path.write_text(page, encoding="utf-8")
    copy_assets(images)
    check_offline(page)
    say(f"wrote {html_path.relative_to(REPO)} (open it from disk; it needs no network)")
    result = {"slides": len(slides), "html": html_path, "pdf": None}
    if pdf:
        pdf_path = BUILD / "handout.pdf"
        pages = print_pdf(html_path, pdf_path, len(slides))
        say(f"wrote {pdf_path.relative_to(REPO)} ({pages} pages)")
        result["pdf"] = pdf_path
    say(f"done in {time.monotonic() - started:.1f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF handout (no browser needed)")
    parser.add_argument("--open", action="store_true", help="open the built deck in the default browser")
    parser.add_argument("--reinstall", action="store_true", help="run npm ci even if assets look current")
    args = parser.parse_args(argv)
    try:
        result = build(pdf=not args.no_pdf, reinstall=args.reinstall)
    except BuildError as exc:
        print(f"[slides] ERROR: {exc}", file=sys.stderr)
        return 1
    if args.open:
        webbrowser.open(result["html"].as_uri())
    return 0


if __name__ == "__main__":
    sys.exit(main())
