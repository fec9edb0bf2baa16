"""schemathesis hooks for the run against the local stack (SCHEMATHESIS_HOOKS=schemathesis_hooks).

- Inputs the local emulator cannot carry are not sent. `cargo lambda watch` cannot put bytes that
  are not UTF-8 into the event it builds: for such a request body or header value it answers a
  500 of its own (`{"type":"https://httpstatuses.com/500",...}`) and never invokes the function.
  On AWS such a body reaches the function base64-encoded. The behaviour tests send exactly those
  inputs to the functions as events (`bad_input::a_body_that_is_not_utf8_is_400` and
  `auth::a_key_header_that_is_not_ascii_is_refused`). Every other 500 still fails the run.
- One key scheme. The document offers HTTP Basic *or* X-SWU-API-KEY; schemathesis reads
  alternatives as if both were required. The run uses X-SWU-API-KEY (checked first by the
  functions); Basic is covered by the behaviour tests and the official Python client.
- `keys_are_enforced_with_403`: every request that succeeded is sent again without a key and
  with a wrong one, and must get the contract's 403 with a plain-text reason.
- `SWU_COVERAGE_RUN=1` drops `format` from the address schema: the coverage phase's generator takes
  a minute over `format: idn-email` alone, and four seconds without it.
"""

import os

import requests
import schemathesis

KEY_HEADERS = ("x-swu-api-key", "authorization")


def utf8(value) -> bool:
    if isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return False
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
    return True


@schemathesis.hook
def filter_case(context, case) -> bool:
    # requests sends header values as latin-1: anything beyond ASCII arrives as bytes that are not
    # UTF-8 text.
    headers_ok = all(str(value).isascii() for value in (case.headers or {}).values())
    return headers_ok and utf8(case.body)


@schemathesis.hook
def before_load_schema(context, raw_schema) -> None:
    raw_schema["security"] = [{"headerKey": []}]
    if os.environ.get("SWU_COVERAGE_RUN") == "1":
        raw_schema["components"]["schemas"]["Email"].pop("format", None)


@schemathesis.check
def keys_are_enforced_with_403(ctx, response, case):
    sent = response.request
    # Only the documented operations: the coverage phase also sends other methods, which the
    # emulator answers itself (OPTIONS as a CORS preflight).
    if not 200 <= response.status_code < 300 or sent.method.upper() != case.operation.method.upper():
        return None
    headers = {k: v for k, v in sent.headers.items() if k.lower() not in KEY_HEADERS}
    for label, extra in (("no key", {}), ("a wrong key", {"X-SWU-API-KEY": "not-the-key"})):
        again = requests.request(sent.method, sent.url, headers={**headers, **extra},
                                 data=sent.body, timeout=30)
        if again.status_code != 403 or not again.headers.get("content-type", "").startswith(
                "text/plain"):
            raise AssertionError(f"{sent.method} {sent.url} with {label}: expected a plain-text "
                                 f"403, got {again.status_code} {again.text[:100]!r}")
    return None
