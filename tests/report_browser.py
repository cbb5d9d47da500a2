"""Headless Chromium for the report's tests: the page's DOM after the browser ran it, its width, a screenshot.

Chromium is driven by its command line only (``--dump-dom``, ``--screenshot``), no driver: the flags are those
that work on a machine with no network (no background connections, a new profile each time). Without a
chromium binary the tests skip, saying why; with ``LOSSPROOF_REQUIRE_CHROMIUM=1`` (set by .ci/run, which
installs it) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

VIEWPORT = (1400, 1000)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--disable-extensions", "--mute-audio")
# Generous: a cold start of Chromium on a busy 2-core machine takes seconds, a 3 MB page a few more.
TIMEOUT_S = 120
CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>')


def chromium() -> str:
    """The chromium binary, or skip (fail under LOSSPROOF_REQUIRE_CHROMIUM=1) naming what is missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found:
        return found
    why = "headless Chromium not found (apt-get install -y chromium; /usr/bin/chromium)"
    if os.environ.get("LOSSPROOF_REQUIRE_CHROMIUM") == "1":
        pytest.fail(why + ", and LOSSPROOF_REQUIRE_CHROMIUM=1 requires it")
    pytest.skip(why)


def _run(args, page: Path, size=VIEWPORT) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="lossproof-chromium-") as profile:
        command = [chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}", *args,
                   page.resolve().as_uri()]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {proc.stderr[-2000:]}"
    return proc


def dump_dom(page: Path, size=VIEWPORT) -> str:
    """The page's DOM, serialised by Chromium after it loaded the page and ran whatever the page runs."""
    return _run(["--dump-dom"], page, size).stdout


def screenshot(page: Path, png: Path, size=VIEWPORT) -> Path:
    _run([f"--screenshot={png}"], page, size)
    assert png.exists() and png.stat().st_size > 0, f"chromium wrote no screenshot at {png}"
    return png


def without_csp(html: str) -> str:
    """The page without its Content-Security-Policy, so that a test sees what escaping alone does."""
    stripped = CSP_META.sub("", html, count=1)
    assert stripped != html, "the page has no Content-Security-Policy meta element"
    return stripped


def scroll_width(page: Path, work: Path, size=VIEWPORT) -> int:
    """document.documentElement.scrollWidth of ``page`` at the viewport ``size``.

    The report runs no script, so a copy of it gets one (its policy removed) that writes the width into the
    title; Chromium's DOM dump then carries it."""
    probe = "<script>document.title = 'scrollWidth=' + document.documentElement.scrollWidth;</script>"
    copy = work / f"width-probe-{page.name}"
    html = without_csp(page.read_text(encoding="utf-8")) if CSP_META.search(page.read_text(encoding="utf-8")) \
        else page.read_text(encoding="utf-8")
    copy.write_text(html.replace("</body>", probe + "</body>", 1), encoding="utf-8")
    found = re.search(r"<title>scrollWidth=(\d+)</title>", dump_dom(copy, size))
    assert found, "the width probe did not run"
    return int(found.group(1))
