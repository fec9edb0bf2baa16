"""End to end: `make dev` brings the API up, and the official sendwithus Python client (from PyPI,
pinned in requirements.lock) works against it unchanged."""

import json
import os
import signal
import socket
import subprocess

import pytest
import requests
import sendwithus
from sendwithus.exceptions import AuthenticationError

from conftest import ROOT, port_open

KEY = "e2e-key-5c1d0e"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from conftest import Stack

    stack = Stack(tmp_path_factory.mktemp("e2e") / "data", KEY).start()
    try:
        yield stack.wait_ready()
    finally:
        stack.kill()


def client(stack, key=KEY):
    return sendwithus.api(api_key=key, API_PROTO="http", API_HOST="127.0.0.1",
                          API_PORT=str(stack.port), raise_errors=True)


def test_unknown_customer_is_the_contracts_404(stack):
    reply = requests.get(stack.url("/customers/a@example.com"), headers={"X-SWU-API-KEY": KEY})
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.text == "Customer not found."


def test_python_client_create_fetch_update_logs_delete(stack):
    api = client(stack)
    email = "Matt+E2E@SendWithUs.com"

    created = api.customer_create(email, data={"first_name": "Matt"}, locale="de-DE")
    assert created.status_code == 200
    assert created.json() == {"success": True, "status": "OK"}

    details = api.customer_details(email).json()
    customer = details["customer"]
    assert details["success"] is True and details["status"] == "OK"
    assert customer["object"] == "customer"
    assert customer["email"] == "matt+e2e@sendwithus.com"
    assert customer["locale"] == "de-DE"
    assert isinstance(customer["created"], int)

    api.customer_create(email, locale="fr-FR")
    updated = api.customer_details(email.lower()).json()["customer"]
    assert updated["locale"] == "fr-FR"
    assert updated["created"] == customer["created"]

    # The Python client has no method for a customer's logs; its request helper reaches the route
    # with the client's own URL building and authentication.
    logs = api._api_request(f"customers/{email}/logs", api.HTTP_GET).json()
    assert logs == {"success": True, "status": "OK", "logs": []}

    deleted = api.customer_delete(email)
    assert deleted.status_code == 200
    assert deleted.json() == {"success": True, "status": "OK"}
    with pytest.raises(sendwithus.exceptions.APIError):
        api.customer_details(email)


def test_python_client_batch_creates_reads_and_deletes_in_order(stack):
    batch = client(stack).start_batch()
    email = "Batch+E2E@Example.com"
    batch.customer_create(email, locale="de-DE")
    batch.customer_details(email)
    batch.customer_delete(email)
    batch.customer_details(email)
    assert batch.command_length() == 4
    reply = batch.execute()
    assert reply.status_code == 200
    answers = reply.json()
    assert [a["status_code"] for a in answers] == [200, 200, 200, 404]
    assert [a["method"] for a in answers] == ["POST", "GET", "DELETE", "GET"]
    assert answers[0]["path"] == "/api/v1/customers"
    assert answers[1]["body"]["customer"]["email"] == "batch+e2e@example.com"
    assert answers[1]["body"]["customer"]["locale"] == "de-DE"
    assert answers[3]["body"] == "Customer not found."

    refused = client(stack, key="not-the-key").start_batch()
    refused.customer_create(email)
    assert refused.execute().status_code == 403
    with pytest.raises(sendwithus.exceptions.APIError):
        client(stack).customer_details(email)


def test_bad_key_is_403(stack):
    with pytest.raises(AuthenticationError):
        client(stack, key="not-the-key").customer_details("a@example.com")
    reply = requests.get(stack.url("/customers/a@example.com"))
    assert reply.status_code == 403
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"


def test_every_route_over_http(stack):
    headers = {"X-SWU-API-KEY": KEY}
    # The Node client's content type; the body is JSON all the same.
    post = requests.post(stack.url("/customers"), data=json.dumps({"email": "curl@example.com"}),
                         headers={**headers, "Content-Type": "text/plain;charset=UTF-8"})
    assert post.status_code == 200
    get = requests.get(stack.url("/customers/curl%40example.com"), headers=headers)
    assert get.status_code == 200 and get.json()["customer"]["locale"] == "en-US"
    logs = requests.get(stack.url("/customers/curl@example.com/logs?count=5&created_gt=0"),
                        headers=headers)
    assert logs.status_code == 200 and logs.json()["logs"] == []
    bad = requests.get(stack.url("/customers/curl@example.com/logs?count=500"), headers=headers)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/plain")
    delete = requests.delete(stack.url("/customers/curl@example.com"), headers=headers)
    assert delete.status_code == 200


def test_an_address_with_a_literal_percent_sequence_through_the_encoded_path(stack):
    headers = {"X-SWU-API-KEY": KEY}
    address = "a%41b+c@example.com"
    assert requests.post(stack.url("/customers"), json={"email": address},
                         headers=headers).status_code == 200
    encoded = stack.url("/customers/a%2541b%2Bc%40example.com")
    got = requests.get(encoded, headers=headers)
    assert got.status_code == 200, got.text
    assert got.json()["customer"]["email"] == address
    assert requests.delete(encoded, headers=headers).status_code == 200
    assert requests.get(encoded, headers=headers).status_code == 404


def test_a_route_or_method_we_do_not_serve_is_a_plain_text_404(stack):
    for method, path, key in [
        ("GET", "/nothing", KEY), ("PUT", "/customers", KEY), ("GET", "/customers", KEY),
        ("POST", "/send", KEY), ("GET", "/batch", KEY), ("PATCH", "/customers/a@example.com", KEY),
        ("DELETE", "/logs/log_1", KEY), ("GET", "/templates", None),
    ]:
        headers = {"X-SWU-API-KEY": key} if key else {}
        reply = requests.request(method, stack.url(path), headers=headers, data="{}")
        assert reply.status_code == 404, (method, path, reply.text)
        assert reply.headers["content-type"] == "text/plain; charset=utf-8", (method, path)
        assert reply.text == ("No such route: this API serves /api/v1/customers, "
                              "/api/v1/logs and /api/v1/batch only."), (method, path)
    outside = requests.get(f"http://127.0.0.1:{stack.port}/")
    assert outside.status_code == 404 and outside.headers["content-type"].startswith("text/plain")


def test_invoked_events_come_back_from_the_logs_endpoint(stack):
    invoke = subprocess.run(
        ["cargo", "lambda", "invoke", "record-email-event", "-A", "127.0.0.1", "-P", str(stack.port),
         "--data-file", "events/record-email-event.json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}"})
    assert invoke.returncode == 0, invoke.stderr
    assert json.loads(invoke.stdout) == {"batchItemFailures": []}
    logs = requests.get(stack.url("/customers/matt@sendwithus.com/logs"),
                        headers={"X-SWU-API-KEY": KEY}).json()["logs"]
    assert [(log["id"], log["status"]) for log in logs] == [
        ("log_qwerty5678asdf", "sent"), ("log_asdf1234qwerty", "opened")]
    # The official Python client reads a log by its id, and its events, oldest first.
    api = client(stack)
    log = api.get_log("log_asdf1234qwerty").json()
    assert log["id"] == "log_asdf1234qwerty" and log["status"] == "opened"
    assert log["recipient_address"] == "matt@sendwithus.com"
    assert log["events_url"] == "/api/v1/logs/log_asdf1234qwerty/events"
    events = api.get_log_events("log_asdf1234qwerty").json()
    assert [(e["object"], e["type"], e["created"]) for e in events] == [
        ("event", "sent", 1234567890), ("event", "opened", 1234568000)]
    assert events[1]["message"] == "SendGrid: Message has been opened"
    assert events[1]["status"] == "opened" and events[1]["status_message"] == events[1]["message"]
    with pytest.raises(Exception):
        api.get_log("log_nobody_sent")
    missing = requests.get(stack.url("/logs/log_nobody_sent"), headers={"X-SWU-API-KEY": KEY})
    assert missing.status_code == 404 and missing.text == "Log not found."


def test_a_second_make_dev_says_so(stack):
    from conftest import Stack

    second = Stack(stack.data_dir, KEY, port=stack.port, store_port=stack.store_port).start()
    try:
        assert second.wait_exit(timeout=600) != 0
    finally:
        second.kill()
    assert "already running" in second.output(), second.output()
    assert port_open(stack.port), "the first stack is unharmed"


def test_zz_ctrl_c_stops_everything(stack):
    # Runs last in this module: it stops the stack the other tests used.
    assert stack.interrupt() in (0, -signal.SIGINT), stack.output()
    assert "make dev: stopped." in stack.output()
    assert not port_open(stack.port)
    assert not port_open(stack.store_port)
    assert stack.leftover_processes() == []


def test_a_taken_port_is_a_clear_message(stack_factory):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        stack = stack_factory(port=taken.getsockname()[1])
        assert stack.wait_exit(timeout=600) != 0
    assert "already in use" in stack.output(), stack.output()
    assert "DEV_PORT" in stack.output()


def test_data_survives_a_restart_and_fresh_starts_empty(stack_factory, tmp_path):
    headers = {"X-SWU-API-KEY": "local-dev-key"}
    first = stack_factory().wait_ready()
    # Without API_KEY the development key is used and printed.
    assert "local-dev-key" in first.output()
    assert requests.post(first.url("/customers"), json={"email": "kept@example.com"},
                         headers=headers).status_code == 200
    first.interrupt()

    again = stack_factory().wait_ready()
    assert requests.get(again.url("/customers/kept@example.com"), headers=headers).status_code == 200
    again.interrupt()

    fresh = stack_factory(fresh=True).wait_ready()
    assert requests.get(fresh.url("/customers/kept@example.com"), headers=headers).status_code == 404
    fresh.interrupt()
