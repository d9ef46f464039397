"""GraphiQL on GET /graphql (development only) loads everything from this server, so it
works offline; in production none of it is served."""

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from app import ide
from app.main import create_app
from tests.backends import Backend
from tests.conftest import make_settings
from tests.graphql_client import GraphQLClient

HTML = {"Accept": "text/html"}
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css"}


class _References(HTMLParser):
    """Every URL the page's markup refers to (src and href of any element)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


def references(html: str) -> list[str]:
    parser = _References()
    parser.feed(html)
    return parser.urls


@pytest.fixture(autouse=True)
def _assets_installed() -> None:
    if not ide.installed():
        pytest.fail(f"GraphiQL's assets are not installed: run npm ci in {ide.FOLDER}")


async def test_graphiql_page_refers_only_to_this_server(client: GraphQLClient) -> None:
    response = await client.http.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()
    assert not re.search(r"https?://|//[a-z]", response.text, re.IGNORECASE)
    urls = references(response.text)
    assert any(url.endswith("/graphiql.min.js") for url in urls), urls
    assert all(url.startswith("/graphiql/static/") for url in urls), urls


async def test_every_asset_of_the_page_is_served_with_its_content_type(
    client: GraphQLClient,
) -> None:
    page = await client.http.get("/graphql", headers=HTML)
    for url in references(page.text):
        response = await client.http.get(url)
        assert response.status_code == 200, url
        media_type = response.headers["content-type"].split(";")[0]
        assert media_type == CONTENT_TYPES[Path(url).suffix], url
        if url.endswith(".css"):  # a stylesheet loads nothing from elsewhere either
            assert not re.search(r"url\(\s*['\"]?(https?:)?//", response.text), url


async def test_graphiql_page_allows_only_this_servers_scripts_and_styles(
    client: GraphQLClient,
) -> None:
    response = await client.http.get("/graphql", headers=HTML)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert policy[directive] == "'self'", directive


async def test_with_graphiql_off_neither_page_nor_assets_are_served(
    backend: Backend, tmp_path: Path
) -> None:
    application = create_app(make_settings(backend, tmp_path / "data", graphiql=False))
    assets = references((ide.FOLDER / "page.html").read_text("utf-8"))
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        page = await http.get("/graphql", headers=HTML)
        responses = {url: (await http.get(url)).status_code for url in assets}
    assert page.status_code in (400, 404), page.text
    assert "graphiql" not in page.text.lower()
    assert len(assets) >= 5
    assert set(responses.values()) == {404}, responses


def test_without_its_packages_the_page_says_how_to_install_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(ide, "PACKAGES", tmp_path / "node_modules")
    assert ide.routes() == []
    page = ide.page()
    assert b"npm ci" in page.body
    assert not references(page.body.decode())
