"""The trading page the relayer serves at `/` (docs/web.md).

Its source is TypeScript under `web/` at the top of the repository; `make build` bundles it with
esbuild into `static/` here, which ships with the package (a relayer installed from a wheel
serves the page too). The page talks only to its own origin: the relayer's API, and the wallet
the browser injects.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

#: the built page: index.html, app.js, app.css
STATIC_DIR: Final = Path(__file__).parent / "static"

#: Only the page's own origin: no inline script or style, nothing from another host; the
#: charts draw on canvases, so images are the origin's and data: URLs (canvas snapshots).
CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)

#: headers on every file of the page
PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

_MEDIA_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
}


def asset(name: str) -> tuple[Path, str] | None:
    """The built file `name` (a plain file name, no folders) and its media type, if it exists."""
    if "/" in name or "\\" in name or name.startswith("."):
        return None
    media_type = _MEDIA_TYPES.get(Path(name).suffix)
    path = STATIC_DIR / name
    if media_type is None or not path.is_file():
        return None
    return path, media_type
