"""Checks the browser tests run on every staff page: no sideways scrolling on a phone, and no
serious or critical accessibility violation found by axe-core.

axe-core is vendored under tests/support/axe/ (axe.min.js of the npm package `axe-core`, version
AXE_VERSION, fetched with `npm pack axe-core@4.14.1`; MPL-2.0, see LICENSE there). The staff
pages forbid every script (CSP `script-src 'none'`), so a context that runs axe is opened with
`bypass_csp=True`: the page under test is otherwise the one officers get.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

AXE_DIR = Path(__file__).parent / "axe"
AXE_VERSION = "4.14.1"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
BLOCKING = ("serious", "critical")
T = TypeVar("T")

_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => ['serious', 'critical'].includes(v.impact))
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

_OVERFLOW = """() => {
  const width = window.innerWidth;
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1 && e.getClientRects().length)
    .slice(0, 5)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')
              + ' right=' + Math.round(e.getBoundingClientRect().right));
}"""


@cache
def axe_source() -> str:
    source = (AXE_DIR / "axe.min.js").read_text(encoding="utf-8")
    assert hashlib.sha256(source.encode()).hexdigest() == AXE_SHA256, "tests/support/axe/axe.min.js changed"
    return source


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return found


def overflow(page: Any) -> list[str]:
    """Why the page scrolls sideways (elements past the window's right edge); [] when it fits."""
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if fits:
        return []
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    culprits: list[str] = page.evaluate(_OVERFLOW)
    return [f"scrollWidth {width[0]} > {width[1]}", *culprits]


def run_aside(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs database work of a browser test in its own thread: Playwright's sync API holds the
    test thread's event loop, so asyncio.run cannot run there."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
