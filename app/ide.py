"""GraphiQL on GET /graphql (development only), working offline.

The page is ours (app/graphiql/page.html, page.js); GraphiQL, its explorer plugin and React
are the built files of the npm packages pinned in app/graphiql/package-lock.json, which
`./dev` installs into app/graphiql/node_modules (`npm ci`). This server serves all of them
under /graphiql/static/, so the page loads nothing from another host.
"""

import logging
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

FOLDER = Path(__file__).parent / "graphiql"
PACKAGES = FOLDER / "node_modules"
SERVED_PACKAGES = ("graphiql", "@graphiql/plugin-explorer", "react", "react-dom")

# Only this server. GraphiQL's stylesheet inlines its fonts and icons as data: URLs; the
# graphql-ws socket is same-origin ('self' covers ws: and wss: to this host).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

NOT_INSTALLED = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL is not installed</title></head>
<body><p>GraphiQL's files are not installed: install Node.js 20 and npm, then restart
<code>./dev serve</code> (it runs <code>npm ci</code> in <code>app/graphiql</code>). The API at
<code>/graphql</code> works without them.</p></body></html>
"""

logger = logging.getLogger(__name__)


def installed() -> bool:
    return (PACKAGES / "graphiql" / "graphiql.min.js").is_file()


def routes() -> list[BaseRoute]:
    """The page's assets; none when GraphiQL's packages are not installed (the page says so)."""
    if not installed():
        logger.warning("GraphiQL's assets are not installed (npm ci in %s)", FOLDER)
        return []
    return [
        *(
            Mount(f"/graphiql/static/npm/{name}", StaticFiles(directory=PACKAGES / name))
            for name in SERVED_PACKAGES
        ),
        Mount("/graphiql/static", StaticFiles(directory=FOLDER / "static")),
    ]


def page() -> HTMLResponse:
    html = (FOLDER / "page.html").read_text("utf-8") if installed() else NOT_INSTALLED
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})
