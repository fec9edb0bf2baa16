//! Bad input: each request gets the contract's 4xx with a short plain-text reason, and nothing is
//! written.

use integration_tests::PathDelivery;
use integration_tests::fixed_now;
use integration_tests::{Api, ApiRequest, CUSTOMERS_TABLE, LOGS_TABLE, TestStore};

integration_tests::in_both_deliveries!(
    each_bad_input_gets_its_status_and_a_plain_text_reason_and_writes_nothing,
    bad_input_leaves_an_existing_customer_unchanged,
    reasons_name_the_problem,
    a_quoted_local_part_is_the_same_customer_or_refused,
    no_forwarding_header_value_crashes_a_function,
);

async fn a_quoted_local_part_is_the_same_customer_or_refused(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    for body in [
        r#"{"email":"matt@example.com"}"#,
        r#"{"email":"\"matt\"@example.com"}"#,
    ] {
        assert_eq!(api.send(post(body)).await.status, 200, "{body}");
    }
    assert_eq!(
        store.items(CUSTOMERS_TABLE).await.len(),
        1,
        "one mailbox, one customer"
    );
    let quoted = api
        .send(ApiRequest::get(
            "/api/v1/customers/%22matt%22%40example.com",
        ))
        .await;
    assert_eq!(quoted.status, 200, "{}", quoted.body);
    assert_eq!(quoted.json()["customer"]["email"], "matt@example.com");
    let refused = api.send(post(r#"{"email":"\"a b\"@example.com"}"#)).await;
    refused.assert_error(400);
    assert_eq!(store.items(CUSTOMERS_TABLE).await.len(), 1);
}

/// Any client may send these headers, with any value: every route still gets the contract's
/// answer (`lambda_http` alone panics on a malformed `X-Forwarded-Proto`).
async fn no_forwarding_header_value_crashes_a_function(delivery: PathDelivery) {
    let store = TestStore::start().await;
    store.seed_every_route().await;
    let api = Api::new(&store, fixed_now, delivery);
    for request in integration_tests::every_route() {
        for (name, value) in [
            ("x-forwarded-proto", "h t t p"),
            ("x-forwarded-proto", "javascript:"),
            ("host", "evil host/with spaces"),
        ] {
            let reply = api.send(request.clone().header(name, value)).await;
            assert!(
                reply.status == 200 || reply.status == 404,
                "{name}: {value}: {request:?}: {} {}",
                reply.status,
                reply.body
            );
            let refused = api
                .send(
                    request
                        .clone()
                        .header(name, value)
                        .header("x-swu-api-key", "wrong"),
                )
                .await;
            refused.assert_error(403);
        }
        store.seed_every_route().await;
    }
}

fn post(body: impl Into<String>) -> ApiRequest {
    ApiRequest::post("/api/v1/customers", body)
}

fn logs(query: &[(&str, &str)]) -> ApiRequest {
    query.iter().fold(
        ApiRequest::get("/api/v1/customers/a@example.com/logs"),
        |request, (name, value)| request.query(name, value),
    )
}

fn bad_inputs() -> Vec<(&'static str, ApiRequest, u16)> {
    let long_local = "a".repeat(250);
    let long_email = format!("{long_local}@example.com");
    let big_but_valid = format!(
        r#"{{"email":"a@example.com","data":{{"blob":"{}"}}}}"#,
        "x".repeat(64 * 1024)
    );
    vec![
        ("malformed JSON", post(r#"{"email": "a@example.com""#), 400),
        ("empty body", post(""), 400),
        ("whitespace body", post("  \n"), 400),
        ("JSON array", post(r#"[{"email":"a@example.com"}]"#), 400),
        ("JSON string", post(r#""a@example.com""#), 400),
        ("JSON null", post("null"), 400),
        ("JSON number", post("42"), 400),
        ("form encoding", post("email=a%40example.com"), 400),
        ("missing email", post(r#"{"locale":"en-US"}"#), 400),
        ("null email", post(r#"{"email":null}"#), 400),
        ("numeric email", post(r#"{"email":12345}"#), 400),
        (
            "object email",
            post(r#"{"email":{"address":"a@example.com"}}"#),
            400,
        ),
        ("array email", post(r#"{"email":["a@example.com"]}"#), 400),
        ("empty email", post(r#"{"email":""}"#), 400),
        (
            "not an address",
            post(r#"{"email":"invalid_email_address"}"#),
            400,
        ),
        ("no domain dot", post(r#"{"email":"a@localhost"}"#), 400),
        (
            "private-use locale",
            post(r#"{"email":"a@example.com","locale":"x-private"}"#),
            400,
        ),
        (
            "locale with a private-use subtag",
            post(r#"{"email":"a@example.com","locale":"en-x-anything"}"#),
            400,
        ),
        (
            "locale with an extension",
            post(r#"{"email":"a@example.com","locale":"en-a-bbb"}"#),
            400,
        ),
        (
            "display-name form",
            post(r#"{"email":"Matt <a@example.com>"}"#),
            400,
        ),
        (
            "space in address",
            post(r#"{"email":"a b@example.com"}"#),
            400,
        ),
        (
            "over-long email",
            post(format!(r#"{{"email":"{long_email}"}}"#)),
            400,
        ),
        (
            "lone surrogate",
            post(r#"{"email":"\ud800@example.com"}"#),
            400,
        ),
        (
            "zero-width space in the address",
            post(r#"{"email":"a\u200b@example.com"}"#),
            400,
        ),
        (
            "right-to-left override in the address",
            post(r#"{"email":"a\u202eb@example.com"}"#),
            400,
        ),
        (
            "C1 control in the address",
            post(r#"{"email":"a\u0085b@example.com"}"#),
            400,
        ),
        ("bare IP domain", post(r#"{"email":"a@127.0.0.1"}"#), 400),
        (
            "slash in the domain",
            post(r#"{"email":"a@ex/ample.com"}"#),
            400,
        ),
        (
            "zero-width space in the path",
            ApiRequest::get("/api/v1/customers/a%E2%80%8B@example.com"),
            400,
        ),
        (
            "right-to-left override in the path",
            ApiRequest::get("/api/v1/customers/a%E2%80%AEb@example.com/logs"),
            400,
        ),
        (
            "C1 control in the path",
            ApiRequest::delete("/api/v1/customers/a%C2%85b@example.com"),
            400,
        ),
        (
            "bare IP in the path",
            ApiRequest::get("/api/v1/customers/a@127.0.0.1"),
            400,
        ),
        (
            "unregistered locale word",
            post(r#"{"email":"a@example.com","locale":"english"}"#),
            400,
        ),
        (
            "unregistered language and region",
            post(r#"{"email":"a@example.com","locale":"xx-ZZ"}"#),
            400,
        ),
        (
            "malformed locale",
            post(r#"{"email":"a@example.com","locale":"en_US"}"#),
            400,
        ),
        (
            "locale word",
            post(r#"{"email":"a@example.com","locale":"1234"}"#),
            400,
        ),
        (
            "numeric locale",
            post(r#"{"email":"a@example.com","locale":7}"#),
            400,
        ),
        (
            "array locale",
            post(r#"{"email":"a@example.com","locale":["en-US"]}"#),
            400,
        ),
        (
            "over-long locale",
            post(format!(
                r#"{{"email":"a@example.com","locale":"en-{}"}}"#,
                "a1b2c3d4-".repeat(10)
            )),
            400,
        ),
        // Not UTF-8: on AWS it arrives base64-encoded (locally, cargo lambda watch answers such a
        // body with a 500 of its own and never calls the function).
        (
            "body that is not UTF-8",
            ApiRequest::new("POST", "/api/v1/customers")
                .header("content-type", "application/json")
                .binary_body(b"{\"email\":\"a\xff@example.com\"}"),
            400,
        ),
        (
            "binary body",
            ApiRequest::new("POST", "/api/v1/customers")
                .header("content-type", "application/octet-stream")
                .binary_body(&[0xff, 0xfe, 0x00, 0x7b]),
            400,
        ),
        ("body over 64 KiB", post(big_but_valid), 413),
        ("one-megabyte body", post("{".repeat(1024 * 1024)), 413),
        (
            "path not an address",
            ApiRequest::get("/api/v1/customers/invalid_email_address"),
            400,
        ),
        (
            "path invalid UTF-8",
            ApiRequest::get("/api/v1/customers/%FF%FE@example.com"),
            400,
        ),
        (
            "path over-long",
            ApiRequest::get(&format!("/api/v1/customers/{long_email}")),
            400,
        ),
        (
            "delete not an address",
            ApiRequest::delete("/api/v1/customers/nobody"),
            400,
        ),
        (
            "logs not an address",
            ApiRequest::get("/api/v1/customers/nobody/logs"),
            400,
        ),
        ("count zero", logs(&[("count", "0")]), 400),
        ("count over 100", logs(&[("count", "101")]), 400),
        ("count negative", logs(&[("count", "-1")]), 400),
        ("count word", logs(&[("count", "ten")]), 400),
        ("count fraction", logs(&[("count", "2.5")]), 400),
        ("count empty", logs(&[("count", "")]), 400),
        ("count twice", logs(&[("count", "1"), ("count", "2")]), 400),
        // `count=%2B5` arrives decoded as "+5"; `count=+5` as " 5". Both are refused.
        ("count with a plus sign", logs(&[("count", "+5")]), 400),
        ("count with a space", logs(&[("count", " 5")]), 400),
        (
            "created_lt with a plus sign",
            logs(&[("created_lt", "+5")]),
            400,
        ),
        (
            "created_gt with a plus sign",
            logs(&[("created_gt", "+5")]),
            400,
        ),
        ("created_lt negative", logs(&[("created_lt", "-5")]), 400),
        ("created_lt word", logs(&[("created_lt", "tomorrow")]), 400),
        ("created_gt fraction", logs(&[("created_gt", "1.5")]), 400),
        (
            "created_gt past u64",
            logs(&[("created_gt", "99999999999999999999999")]),
            400,
        ),
        ("created_gt exponent", logs(&[("created_gt", "1e9")]), 400),
        (
            "missing key",
            post(r#"{"email":"a@example.com"}"#).without_header("x-swu-api-key"),
            403,
        ),
        (
            "wrong key",
            post(r#"{"email":"a@example.com"}"#).header("x-swu-api-key", "guess"),
            403,
        ),
    ]
}

async fn each_bad_input_gets_its_status_and_a_plain_text_reason_and_writes_nothing(
    delivery: PathDelivery,
) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let table = bad_inputs();
    assert!(table.len() >= 60, "{} bad inputs", table.len());
    for (name, request, status) in table {
        let reply = api.send(request).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.body);
        reply.assert_error(status);
    }
    assert!(
        store.items(CUSTOMERS_TABLE).await.is_empty(),
        "a bad request wrote a customer"
    );
    assert!(
        store.items(LOGS_TABLE).await.is_empty(),
        "a bad request wrote a log"
    );
}

async fn bad_input_leaves_an_existing_customer_unchanged(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    api.send(post(r#"{"email":"a@example.com","locale":"fr"}"#))
        .await;
    let before = store.items(CUSTOMERS_TABLE).await;
    for body in [
        r#"{"email":"a@example.com","locale":"not a tag"}"#,
        r#"{"email":"a@example.com","locale":5}"#,
        r#"{"email":"A@EXAMPLE.COM","locale":"en_US"}"#,
    ] {
        api.send(post(body)).await.assert_error(400);
    }
    assert_eq!(store.items(CUSTOMERS_TABLE).await, before);
}

async fn reasons_name_the_problem(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    for (request, words) in [
        (post(r#"{"locale":"en-US"}"#), "email is required"),
        (post(r#"{"email":"nope"}"#), "not a valid email address"),
        (
            post(r#"{"email":"a@example.com","locale":"en_US"}"#),
            "BCP 47",
        ),
        (post("{"), "not valid JSON"),
        (logs(&[("count", "0")]), "count must be"),
        (logs(&[("created_gt", "x")]), "created_gt must be"),
    ] {
        let reply = api.send(request).await;
        assert!(
            reply.body.contains(words),
            "{:?} does not say {words:?}",
            reply.body
        );
    }
}
