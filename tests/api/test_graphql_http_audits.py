"""graphql-http's server audits (GraphQL over HTTP: every MUST, SHOULD and MAY) against a
real server, through the package's own runner (tests/clients/graphql-http)."""

import json
import shutil
import subprocess
from pathlib import Path

from tests.backends import Backend, unavailable
from tests.servers import running_server

CLIENT = Path(__file__).parent.parent / "clients" / "graphql-http"


def _installed() -> None:
    """The pinned audit package, which `./dev test` installs (npm ci) from the lock file."""
    if shutil.which("node") is None:
        unavailable("Node.js", FileNotFoundError("node"))
    if not (CLIENT / "node_modules" / "graphql-http").is_dir():
        unavailable(
            "graphql-http's audits (`./dev test` installs them)",
            FileNotFoundError(CLIENT / "node_modules"),
        )


def test_every_graphql_over_http_audit_passes(backend: Backend, tmp_path: Path) -> None:
    _installed()
    with running_server(backend, tmp_path) as server:
        audit = subprocess.run(
            ["node", "audit.mjs", f"{server.http_url}/graphql"],
            cwd=CLIENT,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
    results = [json.loads(line) for line in audit.stdout.splitlines()]
    assert len(results) > 50  # every audit ran (61 in graphql-http 1.23)
    assert [result for result in results if result["status"] != "ok"] == []
