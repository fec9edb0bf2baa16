//! The dependency rule of `shared` (its `lib.rs` says it): `model` imports only `model`; `store`
//! and `api` import `model` and never each other; only `config` sees both. Read from the sources,
//! as the other copies are: a path naming a forbidden layer or crate anywhere in a file fails.

use integration_tests::workspace_root;
use std::path::{Path, PathBuf};

/// What the files of each layer must not name: this crate's other layers, and the crates that
/// speak what the layer does not.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "model" => &[
            "crate::store",
            "crate::api",
            "crate::config",
            "crate::logging",
            "crate::clock",
            "lambda_http",
            "lambda_runtime",
            "aws_lambda_events",
            "aws_sdk_dynamodb",
            "aws_smithy",
            "serde_dynamo",
        ],
        "store" => &[
            "crate::api",
            "crate::config",
            "lambda_http",
            "lambda_runtime",
            "aws_lambda_events",
        ],
        "api" => &[
            "crate::store",
            "crate::config",
            "aws_sdk_dynamodb",
            "aws_smithy",
            "serde_dynamo",
        ],
        _ => &[],
    }
}

/// The layer a file of `shared/src` belongs to: its first folder, or `None` at the top.
fn layer_of(relative: &Path) -> Option<String> {
    let mut parts = relative.components();
    let first = parts.next()?.as_os_str().to_str()?.to_owned();
    parts.next().map(|_| first)
}

/// Every way the file at `relative` breaks the rule, as `file:line: names X`. Comment lines are
/// skipped (a layer's doc may say what it does not know). `use crate::{...}` groups,
/// `super::super` and `shared::` are refused outright, so that every path the rule reads is
/// written out in full.
fn violations(relative: &Path, text: &str) -> Vec<String> {
    let Some(layer) = layer_of(relative) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let at = format!("{}:{}", relative.display(), number + 1);
        for name in forbidden(&layer) {
            if names(line, name) {
                found.push(format!("{at}: {layer} names {name}"));
            }
        }
        if line.contains("crate::{") || line.contains("super::super") || line.contains("shared::") {
            found.push(format!("{at}: write the full path of what {layer} imports"));
        }
        if relative.file_name().is_some_and(|f| f == "mod.rs") && line.contains("super::") {
            found.push(format!("{at}: a layer's mod.rs reaches above its layer"));
        }
    }
    found
}

/// `line` names the path `name`: it appears with no identifier character just before it.
fn names(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(start, _)| {
        line[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn shared_keeps_its_dependency_rule() {
    let root = workspace_root().join("shared/src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut by_layer = std::collections::BTreeMap::<String, usize>::new();
    let mut found = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).expect("under shared/src");
        if let Some(layer) = layer_of(relative) {
            *by_layer.entry(layer).or_default() += 1;
        }
        let text = std::fs::read_to_string(file).expect("a source file");
        found.extend(violations(relative, &text));
    }
    // The rule has three layers to hold: a renamed folder must not leave it holding nothing.
    assert_eq!(
        by_layer.keys().collect::<Vec<_>>(),
        ["api", "model", "store"],
        "{by_layer:?}"
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The checker itself: each kind of forbidden import in each layer is found, and the allowed ones
/// are not.
#[test]
fn the_rule_check_finds_each_forbidden_import() {
    let broken = [
        ("model/email.rs", "use crate::store::schema::CUSTOMERS;"),
        (
            "model/ses.rs",
            "use aws_sdk_dynamodb::primitives::DateTime;",
        ),
        (
            "model/log.rs",
            "use lambda_http::aws_lambda_events::query_map::QueryMap;",
        ),
        (
            "model/event.rs",
            "    let n = aws_smithy_types::Number::PosInt(1);",
        ),
        (
            "model/error.rs",
            "        crate::api::request::MAX_BODY_BYTES / 1024",
        ),
        ("store/logs.rs", "use crate::api::request::logs_query;"),
        ("store/client.rs", "use lambda_http::Request;"),
        ("api/request.rs", "use crate::store::schema::LOGS_SORT_KEY;"),
        ("api/response.rs", "use aws_sdk_dynamodb::error::SdkError;"),
        (
            "api/auth.rs",
            "use crate::{model::error::ApiError, store::client::StoreSettings};",
        ),
        ("model/mod.rs", "pub use super::store;"),
        ("store/update.rs", "use crate::config::Lookup;"),
    ];
    for (file, line) in broken {
        let text = format!("//! A module.\n\n{line}\n");
        let found = violations(Path::new(file), &text);
        assert!(!found.is_empty(), "{file}: {line} was not found");
        for violation in &found {
            assert!(violation.starts_with(&format!("{file}:3:")), "{found:?}");
        }
    }
    let allowed = [
        ("model/email.rs", "use crate::model::error::ApiError;"),
        (
            "store/customers.rs",
            "use crate::model::customer::Customer;",
        ),
        ("store/client.rs", "use aws_sdk_dynamodb::Client;"),
        (
            "api/request.rs",
            "use lambda_http::{Body, Request, RequestExt};",
        ),
        ("api/request.rs", "use crate::model::log::LogsQuery;"),
        ("config.rs", "use crate::store::client::StoreSettings;"),
        ("config.rs", "use crate::api::auth::ApiKeys;"),
        ("model/email.rs", "    use super::*;"),
        (
            "model/log.rs",
            "let my_lambda_http = 1; // a name that only ends like a crate",
        ),
    ];
    for (file, line) in allowed {
        assert_eq!(
            violations(Path::new(file), line),
            Vec::<String>::new(),
            "{file}"
        );
    }
}
