"""The functions' own output, at the most verbose level Lambda's log-level control allows, holds no
API key, no Authorization header, no body and no address, and still says what each request got."""

import base64
import json
import os
import subprocess

import requests
import sendwithus

from conftest import ROOT

KEY = "private-key-9f3a61"
ADDRESS = "Private.Person+Tag@Example.com"
NAME = "Private Person"


def test_trace_level_output_holds_no_key_and_no_address(stack_factory, tmp_path):
    stack = stack_factory(api_key=KEY, extra_env={"AWS_LAMBDA_LOG_LEVEL": "trace"}).wait_ready()
    api = sendwithus.api(api_key=KEY, API_PROTO="http", API_HOST="127.0.0.1",
                         API_PORT=str(stack.port), raise_errors=False)
    assert api.customer_create(ADDRESS, data={"name": NAME}, locale="de-DE").status_code == 200
    assert api.customer_details(ADDRESS).status_code == 200
    assert api._api_request(f"customers/{ADDRESS}/logs", api.HTTP_GET).status_code == 200
    basic = "Basic " + base64.b64encode(f"{KEY}x:".encode()).decode()
    assert requests.get(stack.url(f"/customers/{ADDRESS}"),
                        headers={"Authorization": basic}).status_code == 403
    assert requests.post(stack.url("/customers"), json={"email": ADDRESS, "locale": NAME},
                         headers={"X-SWU-API-KEY": KEY}).status_code == 400
    assert api.customer_delete(ADDRESS).status_code == 200

    # The consumer, with one good and one refused event for the address.
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"Records": [
        {"messageId": "m0", "body": json.dumps({"event": "sent", "log_id": "log_p", "email": ADDRESS,
                                                "created": 1_700_000_000, "recipient_name": NAME})},
        {"messageId": "m1", "body": json.dumps({"event": "status", "log_id": "log_p",
                                                "email": ADDRESS, "created": 1_700_000_000,
                                                "status": NAME, "at": 1_700_000_001})},
    ]}))
    invoke = subprocess.run(
        ["cargo", "lambda", "invoke", "record-email-event", "-A", "127.0.0.1", "-P", str(stack.port),
         "--data-file", str(events)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"})
    assert invoke.returncode == 0, invoke.stderr
    assert json.loads(invoke.stdout) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    stack.interrupt()

    output = stack.output()
    # The level reached the functions: their own DEBUG line says so, for each one that ran.
    assert output.count("level=trace") >= 5, output
    assert output.count("answered") >= 6, output
    assert "refusal=\"unknown key\"" in output, output
    assert "field=\"locale\"" in output, output
    assert "email event not recorded" in output and "field=\"status\"" in output, output
    lowered = output.lower()
    for secret in [KEY, ADDRESS.lower(), "private.person", NAME.lower(), basic.split()[1].lower(),
                   "authorization", "x-swu-api-key"]:
        assert secret.lower() not in lowered, f"the output holds {secret!r}:\n{output}"
