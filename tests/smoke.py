"""`make smoke`: the official sendwithus Python client against any deployment of this API.

    make smoke                                  # the local stack (make dev) on 127.0.0.1:9000
    make smoke API_URL=https://…/api/v1         # a deployed stack: its ApiUrl output
    API_KEY=… make smoke API_URL=…              # the key, from the environment, not the command line

It creates a customer under a fresh throwaway address, fetches it, updates its locale, reads its
logs, checks that a wrong key is refused, deletes it and checks that it is gone. It deletes the
customer whatever happens, prints one line per step, and exits 1 on the first step that fails,
saying what was expected and what came back. It never prints the key.
"""

import os
import sys
import uuid
from urllib.parse import urlsplit

import requests
import sendwithus
from sendwithus.exceptions import APIError, AuthenticationError

DEFAULT_URL = "http://127.0.0.1:9000"
DEFAULT_KEY = "local-dev-key"
TIMEOUT = 15


class Failed(Exception):
    pass


def client_settings(api_url: str) -> dict:
    """The Python client's three settings from a base URL, with or without `/api/v1`."""
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failed(f"API_URL must be an http(s) URL such as {DEFAULT_URL}, not {api_url!r}")
    path = parts.path.rstrip("/")
    if path not in ("", "/api/v1"):
        raise Failed(f"API_URL must end at the host or at /api/v1, not at {parts.path!r}: "
                     "the clients add /api/v1 themselves")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {"API_PROTO": parts.scheme, "API_HOST": parts.hostname, "API_PORT": str(port)}


def check(step: str, condition: bool, detail: str) -> None:
    if not condition:
        raise Failed(f"{step}: {detail}")
    print(f"ok    {step}")


def reply(step: str, call):
    """Runs one client call; a transport error or an error status becomes a failure that says so."""
    try:
        response = call()
    except (requests.ConnectionError, requests.Timeout) as error:
        raise Failed(f"{step}: cannot reach the API ({type(error).__name__}); is it running, and is "
                     "API_URL right?") from None
    except AuthenticationError:
        raise Failed(f"{step}: the API refused the key (403); is API_KEY one the stack "
                     "accepts?") from None
    except APIError as error:
        raise Failed(f"{step}: {error}") from None
    if response.status_code != 200:
        raise Failed(f"{step}: expected 200, got {response.status_code}: {response.text[:200]}")
    try:
        return response.json()
    except ValueError:
        raise Failed(f"{step}: expected a JSON body, got {response.text[:200]!r}") from None


def run(api_url: str, api_key: str) -> None:
    settings = client_settings(api_url)
    base = f"{settings['API_PROTO']}://{settings['API_HOST']}:{settings['API_PORT']}/api/v1"
    print(f"smoke test of {base}")
    api = sendwithus.api(api_key=api_key, raise_errors=True, **settings)
    address = f"smoke-{uuid.uuid4().hex[:12]}@example.com"
    print(f"      with the throwaway address {address}")
    created = False
    try:
        body = reply("create a customer", lambda: api.customer_create(address, locale="de-DE"))
        created = True
        check("create a customer", body == {"success": True, "status": "OK"}, f"got {body}")

        body = reply("fetch it", lambda: api.customer_details(address))
        customer = body.get("customer") or {}
        check("fetch it", customer.get("email") == address and customer.get("locale") == "de-DE",
              f"expected {address} with locale de-DE, got {body}")

        body = reply("update its locale", lambda: api.customer_create(address, locale="fr-FR"))
        check("update its locale", body == {"success": True, "status": "OK"}, f"got {body}")
        body = reply("fetch the update", lambda: api.customer_details(address))
        updated = body.get("customer") or {}
        check("fetch the update",
              updated.get("locale") == "fr-FR" and updated.get("created") == customer.get("created"),
              f"expected locale fr-FR and created {customer.get('created')}, got {body}")

        body = reply("read its logs",
                     lambda: api._api_request(f"customers/{address}/logs", api.HTTP_GET))
        check("read its logs", body.get("success") is True and body.get("logs") == [],
              f"expected an empty list of logs, got {body}")

        unknown_log = f"log_smoke_{uuid.uuid4().hex[:12]}"
        for step, path in [("an unknown log is a 404", f"{base}/logs/{unknown_log}"),
                           ("its events are a 404", f"{base}/logs/{unknown_log}/events"),
                           ("a route we do not serve is a 404", f"{base}/templates")]:
            try:
                answer = requests.get(path, headers={"X-SWU-API-KEY": api_key}, timeout=30)
            except (requests.ConnectionError, requests.Timeout):
                raise Failed(f"{step}: cannot reach the API") from None
            check(step, answer.status_code == 404
                  and answer.headers.get("content-type", "").startswith("text/plain"),
                  f"expected a plain-text 404, got {answer.status_code} {answer.text[:100]!r}")

        batch = api.start_batch()
        batch.customer_details(address)
        batch.get_log(unknown_log)
        try:
            answer = batch.execute()
        except (requests.ConnectionError, requests.Timeout):
            raise Failed("a batch: cannot reach the API") from None
        try:
            statuses = [item.get("status_code") for item in answer.json()]
        except (ValueError, AttributeError):
            statuses = None
        check("a batch of a fetch and an unknown log", answer.status_code == 200
              and statuses == [200, 404], f"expected 200 with [200, 404], got "
              f"{answer.status_code} {answer.text[:200]!r}")

        wrong = sendwithus.api(api_key=f"not-{uuid.uuid4().hex}", raise_errors=True, **settings)
        try:
            wrong.customer_details(address)
            refused = False
        except AuthenticationError:
            refused = True
        except (requests.ConnectionError, requests.Timeout):
            raise Failed("refuse a wrong key: cannot reach the API") from None
        check("refuse a wrong key", refused, "a wrong key was accepted")

        body = reply("delete it", lambda: api.customer_delete(address))
        created = False
        check("delete it", body == {"success": True, "status": "OK"}, f"got {body}")

        try:
            api.customer_details(address)
            gone = False
        except APIError:
            gone = True
        check("it is gone", gone, "the customer could still be fetched after its delete")
    finally:
        if created:
            try:
                api.customer_delete(address)
                print(f"      (deleted the test customer {address})")
            except Exception as error:  # noqa: BLE001 - the cleanup must not hide the failure
                print(f"      could not delete the test customer {address}: {error}", file=sys.stderr)


def main() -> int:
    api_url = os.environ.get("API_URL") or DEFAULT_URL
    api_key = os.environ.get("API_KEY") or DEFAULT_KEY
    try:
        run(api_url, api_key)
    except Failed as failure:
        print(f"FAIL  {failure}", file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
