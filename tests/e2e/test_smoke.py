"""`make smoke`, the command the deploy workflow runs after each deploy, against the local stack:
it passes on a working stack, cleans up after itself, and says clearly what failed otherwise."""

import os
import subprocess

from conftest import ROOT, free_port

KEY = "smoke-key-71c0"


def smoke(*args: str, key: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.pop("API_KEY", None)
    if key:
        env["API_KEY"] = key
    return subprocess.run(["make", "--no-print-directory", "smoke", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_smoke_passes_against_a_stack_and_leaves_nothing_behind(stack_factory):
    stack = stack_factory(api_key=KEY).wait_ready()
    result = smoke(f"API_URL=http://127.0.0.1:{stack.port}/api/v1", key=KEY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
    for step in ["create a customer", "fetch it", "read its logs", "an unknown log is a 404",
                 "its events are a 404", "a route we do not serve is a 404", "refuse a wrong key",
                 "delete it", "it is gone"]:
        assert f"ok    {step}" in result.stdout
    assert KEY not in result.stdout + result.stderr, "the key is never printed"
    # Nothing left behind: the store, read through its DynamoDB API, holds no customer.
    import boto3
    store = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack.store_port}",
                         region_name="us-east-1", aws_access_key_id="local",
                         aws_secret_access_key="local")
    address = result.stdout.split("throwaway address ")[1].split()[0]
    assert address.startswith("smoke-")
    assert store.scan(TableName="customers")["Items"] == []


def test_smoke_says_what_failed(stack_factory):
    closed = smoke(f"API_URL=http://127.0.0.1:{free_port()}")
    assert closed.returncode != 0
    assert "cannot reach the API" in closed.stderr, closed.stderr

    stack = stack_factory(api_key=KEY).wait_ready()
    wrong = smoke(f"API_URL=http://127.0.0.1:{stack.port}", key="not-the-key")
    assert wrong.returncode != 0
    assert "refused the key (403)" in wrong.stderr, wrong.stderr
    assert "not-the-key" not in wrong.stdout + wrong.stderr

    path = smoke(f"API_URL=http://127.0.0.1:{stack.port}/v2")
    assert path.returncode != 0 and "API_URL must end" in path.stderr
