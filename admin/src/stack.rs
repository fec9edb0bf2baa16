//! `--stack NAME`: a deployed stack's tables, named by the stack's outputs, reached with the
//! standard AWS chain for credentials and region (`aws-config`: start-up time does not matter
//! here, and it never enters a function's binary).

use shared::store::schema::TABLES;
use std::collections::BTreeMap;

/// Each table's deployed name, by its local name, from a stack's outputs (key, value).
pub fn table_names<'a>(
    outputs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<BTreeMap<&'static str, String>, String> {
    let outputs: BTreeMap<&str, &str> = outputs.into_iter().collect();
    let mut names = BTreeMap::new();
    let mut missing = Vec::new();
    for spec in TABLES {
        match outputs.get(spec.stack_output) {
            Some(name) if !name.is_empty() => {
                names.insert(spec.local_name, (*name).to_owned());
            }
            _ => missing.push(spec.stack_output),
        }
    }
    if missing.is_empty() {
        Ok(names)
    } else {
        Err(format!(
            "the stack has no output {} (was it deployed from this project's template?)",
            missing.join(", ")
        ))
    }
}

/// A deployed stack's store: a client and the tables' names.
pub struct Deployed {
    pub client: aws_sdk_dynamodb::Client,
    pub tables: BTreeMap<&'static str, String>,
}

/// Reads stack `name`'s outputs with CloudFormation's `DescribeStacks`.
pub async fn connect(name: &str) -> Result<Deployed, String> {
    use aws_smithy_http_client::tls;
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http)
        .load()
        .await;
    if config.region().is_none() {
        return Err("no AWS region: set AWS_REGION or a profile's region".into());
    }
    let described = aws_sdk_cloudformation::Client::new(&config)
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(|error| {
            format!(
                "cannot read stack {name}: {}",
                aws_sdk_cloudformation::error::DisplayErrorContext(&error)
            )
        })?;
    let outputs = described
        .stacks()
        .first()
        .map(|stack| stack.outputs())
        .unwrap_or_default();
    let tables = table_names(
        outputs
            .iter()
            .filter_map(|output| Some((output.output_key()?, output.output_value()?))),
    )?;
    Ok(Deployed {
        client: aws_sdk_dynamodb::Client::new(&config),
        tables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_named_by_its_output_and_a_missing_one_is_named() {
        let names = table_names([
            ("CustomersTableName", "stack-CustomersTable-1"),
            ("LogsTableName", "stack-LogsTable-2"),
            ("LogEventsTableName", "stack-LogEventsTable-3"),
            ("ApiUrl", "https://example.com/api/v1"),
        ])
        .unwrap();
        assert_eq!(names["customers"], "stack-CustomersTable-1");
        assert_eq!(names["logs"], "stack-LogsTable-2");
        assert_eq!(names["log_events"], "stack-LogEventsTable-3");
        let missing =
            table_names([("CustomersTableName", "x"), ("LogsTableName", "")]).unwrap_err();
        assert!(
            missing.contains("LogsTableName, LogEventsTableName"),
            "{missing}"
        );
    }
}
