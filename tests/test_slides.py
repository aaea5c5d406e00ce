"""The talk's slides: built with one command, and working in a browser with the network cut off.

The deck is built once per module with ``python slides/build.py`` (HTML + PDF handout), then
opened from file:// in headless Chromium with the network cut two ways (the context is offline,
and every request that is not file:// or loopback is aborted and recorded).
"""

from __future__ import annotations

import http.server
import importlib.util
import os
import re
import struct
import subprocess
import sys
import threading
import zlib
from functools import partial
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SLIDES = REPO / "slides"
BUILD = SLIDES / "build"
TALK = SLIDES / "talk.md"

sys.path.insert(0, str(REPO))


def load_build_module():
    spec = importlib.util.spec_from_file_location("slides_build", SLIDES / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


slides_build = load_build_module()


# --------------------------------------------------------------------------------------------
# helpers: the source, PNG and PDF, without third-party packages
# --------------------------------------------------------------------------------------------

def source_slide_count(text: str) -> int:
    """Slides in talk.md, counted independently of build.py: `---` lines outside code fences."""
    text = re.sub(r"\A\s*<!--.*?-->", "", text, count=1, flags=re.S)  # the format comment on top
    count, in_fence, has_content = 0, False, False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence and re.fullmatch(r"---\s*", line):
            count += has_content
            has_content = False
        elif line.strip():
            has_content = True
    return count + has_content


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes) into rows of pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            up_left = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, bpp, rows


def colour_stats(png: bytes) -> tuple[int, float]:
    """(distinct colours, share of pixels that differ from the most common colour)."""
    width, bpp, rows = png_pixels(png)
    counts: dict[bytes, int] = {}
    for row in rows:
        for x in range(0, width * bpp, bpp):
            pixel = row[x:x + 3]
            counts[pixel] = counts.get(pixel, 0) + 1
    total = sum(counts.values())
    return len(counts), 1 - max(counts.values()) / total


def pdf_page_count(data: bytes) -> int:
    """Count /Type /Page objects; cross-check with the page tree's /Count."""
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    if counts:
        assert max(counts) == pages, f"page objects ({pages}) and the page tree /Count ({max(counts)}) disagree"
    return pages


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deck():
    """Build the deck once, exactly as a person would: `python slides/build.py`."""
    result = subprocess.run([sys.executable, str(SLIDES / "build.py")], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"build failed:\n{result.stdout}\n{result.stderr}"
    return {
        "html": BUILD / "index.html",
        "pdf": BUILD / "handout.pdf",
        "slides": source_slide_count(TALK.read_text(encoding="utf-8")),
        "log": result.stdout,
    }


@pytest.fixture(scope="module")
def browser():
    from workshop.browser import find_chromium
    executable = find_chromium()
    if executable is None:
        message = "no Chromium/Chrome found: apt-get install chromium (or set WORKSHOP_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=slides_build.BROWSER_ARGS,
                                    headless=True)
        yield browser
        browser.close()


LOOPBACK = re.compile(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/")


class OpenDeck:
    """A page showing the deck, with every network attempt and failure recorded."""

    def __init__(self, browser, url: str, offline: bool = True):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context(offline=offline, viewport={"width": 1280, "height": 720})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.goto(url, wait_until="load")
        self.page.wait_for_function("window.deckLoadError || (window.Reveal && Reveal.isReady())",
                                    timeout=20_000)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:", "blob:")) or LOOPBACK.match(url):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort("internetdisconnected")

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def opened(deck, browser):
    view = OpenDeck(browser, deck["html"].as_uri())
    yield view
    view.close()


# --------------------------------------------------------------------------------------------
# the build
# --------------------------------------------------------------------------------------------

def test_build_writes_html_pdf_and_only_local_assets(deck):
    assert deck["html"].is_file() and deck["pdf"].is_file()
    page = deck["html"].read_text(encoding="utf-8")
    loads = re.findall(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)=["']([^"']+)""", page)
    assert loads, "the page loads no scripts or styles at all?"
    remote = [u for u in loads if re.match(r"(https?:)?//", u)]
    assert not remote, f"the deck loads from the network: {remote}"
    for ref in loads:
        if not ref.startswith(("data:", "#")):
            assert (BUILD / ref.split("?")[0]).exists(), f"{ref} is referenced but not in slides/build/"
    assert "cdn" not in page.lower().replace("cdnjs.cloudflare.com/ajax/libs/font-awesome", ""), \
        "a CDN URL is left in the page"


def test_source_has_slides_and_notes_for_each():
    slides = slides_build.parse_talk(TALK.read_text(encoding="utf-8"))
    assert len(slides) == source_slide_count(TALK.read_text(encoding="utf-8"))
    assert len(slides) >= 20
    assert [s.number for s in slides if not "".join(s.notes).strip()] == []


def test_snippet_extraction_fails_loudly_on_drift(tmp_path):
    (tmp_path / "mod.py").write_text(
        "import x\n\n@decorator\ndef shown(a):\n    '''Doc.'''\n    return a + 1\n\nclass K:\n"
        "    def m(self):\n        return 2\n")
    code, path, line = slides_build.extract_snippet("mod.py::shown", repo=tmp_path)
    assert code.startswith("@decorator\ndef shown(a):") and "'''Doc.'''" in code and line == 3
    code, _, _ = slides_build.extract_snippet("mod.py::shown nodoc", repo=tmp_path)
    assert "Doc." not in code and code.endswith("return a + 1")
    assert slides_build.extract_snippet("mod.py::K.m", repo=tmp_path)[0] == "def m(self):\n    return 2"
    with pytest.raises(slides_build.BuildError, match=r"no function, class or assignment 'gone'.*shown, K"):
        slides_build.extract_snippet("mod.py::gone", repo=tmp_path)
    with pytest.raises(slides_build.BuildError, match="missing.py does not exist"):
        slides_build.extract_snippet("missing.py::shown", repo=tmp_path)


def test_snippets_on_slides_are_the_solution_code(deck, opened):
    specs = re.findall(r"<!--\s*snippet:\s*(.*?)\s*-->", TALK.read_text(encoding="utf-8"))
    assert specs, "no slide shows code from the solutions"
    shown = opened.page.evaluate(
        "[...document.querySelectorAll('.reveal .slides .highlight pre')].map(e => e.textContent)")
    for spec in specs:
        code = slides_build.extract_snippet(spec)[0]
        assert any(code.strip() == text.strip() for text in shown), f"{spec} is not shown verbatim"


# --------------------------------------------------------------------------------------------
# the deck in a browser, offline
# --------------------------------------------------------------------------------------------

def test_no_request_fails_or_leaves_the_machine(opened):
    assert opened.requests, "no request was recorded at all: the listener is broken"
    assert opened.blocked == [], f"the deck tried to reach the network: {opened.blocked}"
    assert opened.failed == [], f"requests failed: {opened.failed}"
    assert opened.errors == [], f"errors in the page: {opened.errors}"


def test_deck_initialises_with_every_slide(deck, opened):
    page = opened.page
    assert page.evaluate("window.deckLoadError || null") is None
    assert page.evaluate("Reveal.isReady()") is True
    assert page.evaluate("Reveal.getTotalSlides()") == deck["slides"]
    assert page.evaluate("document.querySelectorAll('.reveal .slides > section').length") == deck["slides"]


def test_every_slide_shows_text_that_fits(deck, opened):
    page = opened.page
    problems = []
    for index in range(deck["slides"]):
        info = page.evaluate(
            """(i) => {
                Reveal.slide(i, 0);
                const s = Reveal.getCurrentSlide();
                const text = [...s.childNodes].filter(n => !(n.classList && n.classList.contains('notes')))
                    .map(n => n.innerText || n.textContent || '').join(' ').trim();
                const style = getComputedStyle(s);
                const label = e => `<${e.tagName.toLowerCase()}> ${JSON.stringify((e.textContent || '').trim().slice(0, 40))}`;
                // Past the right margin: any element whose box ends beyond the slide's right edge.
                const edge = s.getBoundingClientRect().right;
                const wide = [...s.querySelectorAll('*')].filter(e => {
                    const r = e.getBoundingClientRect();
                    return r.width > 0 && r.height > 0 && r.right > edge + 1;
                }).map(e => `${label(e)} ends ${Math.round(e.getBoundingClientRect().right - edge)} px past it`);
                // Code blocks clip what does not fit (overflow: hidden): a line cut off at the right.
                const clipped = [...s.querySelectorAll('pre')].filter(e => e.scrollWidth > e.clientWidth + 1)
                    .map(e => `${label(e)} is ${e.scrollWidth - e.clientWidth} px too narrow for its longest line`);
                // Inline code broken over two lines: its boxes start at different heights.
                const broken = [...s.querySelectorAll('code')].filter(e => !e.closest('pre')).filter(e => {
                    const tops = [...e.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top));
                    return new Set(tops).size > 1;
                }).map(label);
                return {index: Reveal.getIndices().h, text: text.length,
                        visible: style.display !== 'none' && style.visibility !== 'hidden',
                        height: s.scrollHeight, limit: Reveal.getConfig().height, wide: wide.concat(clipped), broken,
                        title: (s.querySelector('h1,h2,h3') || {}).textContent || ''};
            }""", index)
        if info["index"] != index:
            problems.append(f"slide {index + 1}: could not navigate there (at {info['index'] + 1})")
        if not info["visible"] or info["text"] < 3:
            problems.append(f"slide {index + 1} {info['title']!r}: no visible text")
        if info["height"] > info["limit"] + 2:
            problems.append(f"slide {index + 1} {info['title']!r}: content is {info['height']} px tall, "
                            f"the slide {info['limit']} px")
        if info["wide"]:
            problems.append(f"slide {index + 1} {info['title']!r}: past the right edge: " + "; ".join(info["wide"][:3]))
        if info["broken"]:
            problems.append(f"slide {index + 1} {info['title']!r}: inline code split over two lines: "
                            + "; ".join(info["broken"][:3]))
    assert not problems, "slides that do not fit:\n" + "\n".join(problems)


def test_every_slide_has_speaker_notes(deck, opened):
    missing = opened.page.evaluate(
        """[...document.querySelectorAll('.reveal .slides > section')]
             .map((s, i) => [i + 1, (s.querySelector('aside.notes') || {}).textContent || ''])
             .filter(([i, t]) => t.trim().length < 40).map(([i]) => i)""")
    assert missing == [], f"slides without speaker notes: {missing}"


def test_diagrams_are_svg_and_load(opened):
    images = opened.page.evaluate(
        "[...document.querySelectorAll('.reveal .slides img')].map(i => [i.getAttribute('src'), i.naturalWidth])")
    diagrams = [src for src, _ in images if src.startswith("diagrams/")]
    for name in ("handshake", "frame", "sidecar", "channels"):
        assert f"diagrams/{name}.svg" in diagrams, f"no slide shows diagrams/{name}.svg"
    assert all(src.endswith(".svg") for src in diagrams)
    assert [src for src, width in images if width == 0] == [], "an image did not load"


def test_screenshots_are_not_blank(deck, opened, tmp_path):
    page = opened.page
    picks = sorted({0, deck["slides"] // 3, (2 * deck["slides"]) // 3, deck["slides"] - 1})
    # and the first slide that shows a diagram
    first_diagram = page.evaluate(
        "[...document.querySelectorAll('.reveal .slides > section')].findIndex(s => s.querySelector('img'))")
    picks = sorted(set(picks) | ({first_diagram} if first_diagram >= 0 else set()))
    for index in picks:
        page.evaluate("(i) => Reveal.slide(i, 0)", index)
        page.wait_for_timeout(100)
        png = page.screenshot()
        (tmp_path / f"slide-{index + 1:02d}.png").write_bytes(png)
        colours, ink = colour_stats(png)
        assert colours >= 16 and ink >= 0.01, f"slide {index + 1} looks blank ({colours} colours, {ink:.1%} ink)"


def test_deck_also_works_from_a_loopback_server(deck, browser):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = partial(Quiet, directory=str(BUILD))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        view = OpenDeck(browser, f"http://127.0.0.1:{server.server_address[1]}/index.html", offline=False)
        try:
            assert view.page.evaluate("window.Reveal && Reveal.isReady()") is True
            assert view.blocked == [] and view.failed == [] and view.errors == []
        finally:
            view.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_pdf_has_one_page_per_slide(deck):
    data = deck["pdf"].read_bytes()
    assert data.startswith(b"%PDF-")
    assert pdf_page_count(data) == deck["slides"]


def test_png_and_pdf_helpers_can_tell():
    """The helpers the tests above rely on notice a blank image and a wrong page count."""
    def png(width, height, pixel):
        raw = b"".join(b"\x00" + pixel * width for _ in range(height))
        chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert colour_stats(png(4, 3, b"\xff\xff\xff")) == (1, 0.0)
    fake = b"%PDF-1.4 << /Type /Pages /Count 2 >> << /Type /Page >> << /Type /Page >>"
    assert pdf_page_count(fake) == 2
    with pytest.raises(AssertionError):
        pdf_page_count(fake + b" << /Type /Page >>")
