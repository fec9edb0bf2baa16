"""The official Node client (sendwithus 6.0.2, pinned in tests/node) through the README's
workaround: its calls reach this API, and our plain-text errors reach its callback as errors."""

import json
import os
import subprocess

from conftest import ROOT
from test_readme import checked_blocks

KEY = "node-key-2b7e"


def readme_client_function() -> str:
    """The README's `customersClient`, exactly as a reader copies it."""
    code = next(code for language, code in checked_blocks((ROOT / "README.md").read_text())
                if language == "js")
    return code.split("\nconst customers =")[0]


def node(script: str) -> list:
    result = subprocess.run(["node", "-e", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, env={**os.environ,
                                             "NODE_PATH": str(ROOT / "tests" / "node" / "node_modules")})
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_node_client_creates_deletes_and_sees_errors(stack_factory):
    import requests

    stack = stack_factory(api_key=KEY).wait_ready()
    base = f"http://127.0.0.1:{stack.port}"
    calls = f"""
{readme_client_function()}
const report = (name) => (err, body) => console.log(JSON.stringify(
  {{name, error: err ? err.message : null, body: err ? null : body}}));
const good = customersClient("{KEY}", "{base}");
const bad = customersClient("not-the-key", "{base}");
good.customersUpdateOrCreate({{ email: "Node+Client@Example.com", locale: "fr" }}, (err, body) => {{
  report("create")(err, body);
  good.customersUpdateOrCreate({{ email: "not-an-address" }}, (err, body) => {{
    report("bad address")(err, body);
    bad.customersDelete("node+client@example.com", (err, body) => {{
      report("wrong key")(err, body);
    }});
  }});
}});
"""
    create, bad_address, wrong_key = node(calls)
    assert create == {"name": "create", "error": None, "body": {"status": "OK", "success": True}}
    assert bad_address["error"] is not None and bad_address["body"] is None
    assert wrong_key["error"] is not None
    customer = requests.get(f"{base}/api/v1/customers/node+client@example.com",
                            headers={"X-SWU-API-KEY": KEY}).json()["customer"]
    assert customer["locale"] == "fr"

    deleted = node(f"""
{readme_client_function()}
customersClient("{KEY}", "{base}").customersDelete("node+client@example.com", (err, body) =>
  console.log(JSON.stringify({{error: err ? err.message : null, body}})));
""")
    assert deleted == [{"error": None, "body": {"status": "OK", "success": True}}]
    assert requests.get(f"{base}/api/v1/customers/node+client@example.com",
                        headers={"X-SWU-API-KEY": KEY}).status_code == 404


def test_node_client_sees_an_error_for_a_route_we_do_not_serve(stack_factory):
    """Its `send` posts to /send, which this API does not serve: the plain-text 404 reaches the
    callback as an error (a JSON 404 would reach it as a success)."""
    stack = stack_factory(api_key=KEY).wait_ready()
    base = f"http://127.0.0.1:{stack.port}"
    (sent,) = node(f"""
{readme_client_function()}
customersClient("{KEY}", "{base}").send(
  {{ template: "tem_1", recipient: {{ address: "matt@sendwithus.com" }} }},
  (err, body) => console.log(JSON.stringify({{error: err ? err.message : null, body: body || null}})));
""")
    assert sent["error"] is not None, sent
