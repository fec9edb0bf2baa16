//! GET, POST and DELETE /customers.

use integration_tests::{Api, ApiRequest, FIXED_NOW, PathDelivery, TestStore, addr, fixed_now};
use serde_json::json;

integration_tests::in_both_deliveries!(
    get_returns_the_seed_shape_after_a_post,
    unknown_customer_is_404_plain_text,
    new_customer_without_locale_gets_en_us,
    update_replaces_the_locale_and_keeps_created,
    update_without_locale_keeps_the_locale,
    empty_or_null_locale_on_create_means_the_default,
    locale_is_stored_in_canonical_case,
    addresses_are_case_insensitive_and_returned_lower_case,
    plus_and_percent_encoded_paths_reach_the_same_customer,
    a_literal_percent_sequence_survives_an_encoded_path,
    one_customer_for_every_spelling_of_one_address,
    body_is_json_whatever_the_content_type_says,
    other_fields_are_ignored_and_created_is_server_owned,
    concurrent_first_posts_agree_on_one_created,
    delete_answers_ok_and_removes_the_customer,
    deleting_an_absent_customer_succeeds,
    delete_only_touches_its_own_customer,
);

const T0: u64 = FIXED_NOW;

fn later() -> u64 {
    T0 + 5_000
}

async fn post(api: &Api, body: serde_json::Value) -> integration_tests::Reply {
    api.send(ApiRequest::post("/api/v1/customers", body.to_string()))
        .await
}

async fn get_returns_the_seed_shape_after_a_post(delivery: PathDelivery) {
    // GIVEN a customer posted with a locale
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let created = post(
        &api,
        json!({"email": "matt@sendwithus.com", "locale": "de-DE"}),
    )
    .await;
    // THEN the post answers exactly the seed's body
    assert_eq!(created.status, 200);
    assert_eq!(created.content_type, "application/json");
    assert_eq!(created.json(), json!({"success": true, "status": "OK"}));
    // WHEN it is fetched
    let reply = api
        .send(ApiRequest::get("/api/v1/customers/matt@sendwithus.com"))
        .await;
    // THEN it is the seed's shape, with `created` stamped by the server
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/json");
    assert_eq!(
        reply.json(),
        json!({
            "success": true,
            "status": "OK",
            "customer": {
                "object": "customer",
                "email": "matt@sendwithus.com",
                "created": T0,
                "locale": "de-DE"
            }
        })
    );
}

async fn unknown_customer_is_404_plain_text(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let reply = api
        .send(ApiRequest::get("/api/v1/customers/nobody@example.com"))
        .await;
    reply.assert_error(404);
}

async fn new_customer_without_locale_gets_en_us(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    assert_eq!(
        post(&api, json!({"email": "a@example.com"})).await.status,
        200
    );
    let customer = store
        .customers()
        .get(&addr("a@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.locale, "en-US");
    assert_eq!(customer.created, T0);
}

async fn update_replaces_the_locale_and_keeps_created(delivery: PathDelivery) {
    let store = TestStore::start().await;
    post(
        &Api::new(&store, fixed_now, delivery),
        json!({"email": "a@example.com", "locale": "fr"}),
    )
    .await;
    // WHEN the same customer is posted again, later, with another locale
    let reply = post(
        &Api::new(&store, later, delivery),
        json!({"email": "a@example.com", "locale": "de-DE"}),
    )
    .await;
    assert_eq!(reply.status, 200);
    let customer = store
        .customers()
        .get(&addr("a@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.locale, "de-DE");
    assert_eq!(customer.created, T0, "created never changes");
}

async fn update_without_locale_keeps_the_locale(delivery: PathDelivery) {
    let store = TestStore::start().await;
    post(
        &Api::new(&store, fixed_now, delivery),
        json!({"email": "a@example.com", "locale": "fr-CA"}),
    )
    .await;
    for body in [
        json!({"email": "a@example.com"}),
        json!({"email": "a@example.com", "locale": ""}),
        json!({"email": "a@example.com", "locale": null}),
    ] {
        assert_eq!(
            post(&Api::new(&store, later, delivery), body).await.status,
            200
        );
        let customer = store
            .customers()
            .get(&addr("a@example.com"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(customer.locale, "fr-CA");
        assert_eq!(customer.created, T0);
    }
}

async fn empty_or_null_locale_on_create_means_the_default(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    post(&api, json!({"email": "empty@example.com", "locale": ""})).await;
    post(&api, json!({"email": "null@example.com", "locale": null})).await;
    for email in ["empty@example.com", "null@example.com"] {
        let customer = store.customers().get(&addr(email)).await.unwrap().unwrap();
        assert_eq!(customer.locale, "en-US", "{email}");
    }
}

async fn locale_is_stored_in_canonical_case(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    post(
        &api,
        json!({"email": "a@example.com", "locale": "zh-hant-tw"}),
    )
    .await;
    let reply = api
        .send(ApiRequest::get("/api/v1/customers/a@example.com"))
        .await;
    assert_eq!(reply.json()["customer"]["locale"], "zh-Hant-TW");
}

async fn addresses_are_case_insensitive_and_returned_lower_case(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    post(&api, json!({"email": "  Matt@SendWithUs.COM "})).await;
    for path in [
        "/api/v1/customers/matt@sendwithus.com",
        "/api/v1/customers/MATT@SENDWITHUS.COM",
        "/api/v1/customers/Matt%40SendWithUs.com",
    ] {
        let reply = api.send(ApiRequest::get(path)).await;
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(reply.json()["customer"]["email"], "matt@sendwithus.com");
    }
    assert_eq!(
        store.items(integration_tests::CUSTOMERS_TABLE).await.len(),
        1
    );
}

async fn plus_and_percent_encoded_paths_reach_the_same_customer(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    post(&api, json!({"email": "a+tag@example.com"})).await;
    for path in [
        "/api/v1/customers/a+tag@example.com",
        "/api/v1/customers/a+tag%40example.com",
        "/api/v1/customers/a%2Btag%40example.com",
        "/api/v1/customers/a%2btag%40example.com",
    ] {
        let reply = api.send(ApiRequest::get(path)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(
            reply.json()["customer"]["email"],
            "a+tag@example.com",
            "{path}"
        );
    }
    // A plus is never a space: "a tag@example.com" is no address at all.
    let reply = api
        .send(ApiRequest::get("/api/v1/customers/a%20tag@example.com"))
        .await;
    reply.assert_error(400);
}

/// An address holding a literal `%41` and a `+`, created by POST, is fetched and deleted through
/// the path the way URLs require it written (`%` as `%25`), whether the gateway decoded the path
/// before the function (AWS) or not (watch). Decoding twice would read it as `aAb+c@…`.
async fn a_literal_percent_sequence_survives_an_encoded_path(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let address = "a%41b+c@example.com";
    assert_eq!(post(&api, json!({"email": address})).await.status, 200);
    for path in [
        "/api/v1/customers/a%2541b%2Bc%40example.com",
        "/api/v1/customers/a%2541b+c@example.com",
    ] {
        let reply = api.send(ApiRequest::get(path)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.json()["customer"]["email"], address, "{path}");
        let logs = api.send(ApiRequest::get(&format!("{path}/logs"))).await;
        assert_eq!(logs.status, 200, "{path}/logs: {}", logs.body);
    }
    let deleted = api
        .send(ApiRequest::delete(
            "/api/v1/customers/a%2541b%2Bc%40example.com",
        ))
        .await;
    assert_eq!(deleted.status, 200);
    assert!(
        store
            .items(integration_tests::CUSTOMERS_TABLE)
            .await
            .is_empty(),
        "the delete reached another key"
    );
}

/// `josé` typed with a combining accent or precomposed, and a domain in its ASCII (punycode) or
/// Unicode spelling, is one customer: one item, reached by every spelling.
async fn one_customer_for_every_spelling_of_one_address(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let decomposed = "jose\u{301}@xn--bcher-kva.de";
    let precomposed = "jos\u{e9}@b\u{fc}cher.de";
    post(&api, json!({"email": decomposed, "locale": "fr"})).await;
    post(
        &api,
        json!({"email": precomposed.to_uppercase(), "locale": "de"}),
    )
    .await;
    let items = store.items(integration_tests::CUSTOMERS_TABLE).await;
    assert_eq!(items.len(), 1, "{items:?}");
    for path in [
        // Precomposed é (%C3%A9), Unicode domain; decomposed e + U+0301 (%CC%81), ASCII domain.
        "/api/v1/customers/jos%C3%A9%40b%C3%BCcher.de",
        "/api/v1/customers/jose%CC%81@xn--bcher-kva.de",
    ] {
        let reply = api.send(ApiRequest::get(path)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        let customer = &reply.json()["customer"];
        assert_eq!(customer["email"], precomposed, "{path}");
        assert_eq!(customer["locale"], "de", "{path}");
    }
}

async fn body_is_json_whatever_the_content_type_says(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    for (email, content_type) in [
        ("node@example.com", "text/plain;charset=UTF-8"),
        ("none@example.com", ""),
        ("form@example.com", "application/x-www-form-urlencoded"),
    ] {
        let mut request =
            ApiRequest::post("/api/v1/customers", json!({"email": email}).to_string());
        request = if content_type.is_empty() {
            request.without_header("content-type")
        } else {
            request.header("content-type", content_type)
        };
        assert_eq!(api.send(request).await.status, 200, "{content_type}");
        assert!(store.customers().get(&addr(email)).await.unwrap().is_some());
    }
}

async fn other_fields_are_ignored_and_created_is_server_owned(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    // The shapes the Python (data), PHP (nested data) and C# (created: 0, groups) clients send.
    for body in [
        json!({"email": "py@example.com", "data": {"first_name": "Matt"}, "locale": "en-GB"}),
        json!({"email": "php@example.com", "data": {"a": {"b": [1, 2, {"c": null}]}}}),
        json!({"email": "cs@example.com", "locale": "", "created": 0, "groups": ["g1"]}),
    ] {
        assert_eq!(post(&api, body).await.status, 200);
    }
    let customer = store
        .customers()
        .get(&addr("cs@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.created, T0);
    for item in store.items(integration_tests::CUSTOMERS_TABLE).await {
        let mut names: Vec<&String> = item.keys().collect();
        names.sort();
        assert_eq!(
            names,
            ["created", "email", "locale"],
            "nothing else is stored"
        );
    }
}

async fn concurrent_first_posts_agree_on_one_created(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let early = Api::new(&store, fixed_now, delivery);
    let late = Api::new(&store, later, delivery);
    let mut posts = Vec::new();
    for i in 0..16 {
        let api = if i % 2 == 0 { &early } else { &late };
        posts.push(post(
            api,
            json!({"email": "race@example.com", "locale": "en-GB"}),
        ));
    }
    let replies = futures::future::join_all(posts).await;
    assert!(replies.iter().all(|reply| reply.status == 200));
    let first = store
        .customers()
        .get(&addr("race@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert!(first.created == T0 || first.created == later());
    // Whoever won, a later post never moves it.
    post(&late, json!({"email": "race@example.com"})).await;
    let again = store
        .customers()
        .get(&addr("race@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.created, first.created);
    assert_eq!(
        store.items(integration_tests::CUSTOMERS_TABLE).await.len(),
        1
    );
}

async fn delete_answers_ok_and_removes_the_customer(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    post(&api, json!({"email": "gone@example.com"})).await;
    let reply = api
        .send(ApiRequest::delete("/api/v1/customers/gone%40example.com"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.content_type, "application/json");
    assert_eq!(reply.json(), json!({"success": true, "status": "OK"}));
    api.send(ApiRequest::get("/api/v1/customers/gone@example.com"))
        .await
        .assert_error(404);
    assert!(
        store
            .items(integration_tests::CUSTOMERS_TABLE)
            .await
            .is_empty()
    );
}

async fn deleting_an_absent_customer_succeeds(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    let reply = api
        .send(ApiRequest::delete(
            "/api/v1/customers/never-created@example.com",
        ))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json(), json!({"success": true, "status": "OK"}));
}

async fn delete_only_touches_its_own_customer(delivery: PathDelivery) {
    let store = TestStore::start().await;
    let api = Api::new(&store, fixed_now, delivery);
    post(&api, json!({"email": "keep@example.com"})).await;
    post(&api, json!({"email": "drop@example.com"})).await;
    api.send(ApiRequest::delete("/api/v1/customers/DROP@example.com"))
        .await;
    assert!(
        store
            .customers()
            .get(&addr("keep@example.com"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .customers()
            .get(&addr("drop@example.com"))
            .await
            .unwrap()
            .is_none()
    );
}
