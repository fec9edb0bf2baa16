//! A whole table, read with a paginated `Scan`: for the operator's export, never a route.

use crate::model::error::ApiError;
use crate::store::failure::classify;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// Every item of `table`, page after page; `operation` names the scan in a failure's log line.
pub async fn every_item(
    client: &Client,
    table: &str,
    operation: &'static str,
) -> Result<Vec<HashMap<String, AttributeValue>>, ApiError> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let output = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify(operation, e))?;
        items.extend(output.items.unwrap_or_default());
        start = output.last_evaluated_key;
        if start.is_none() {
            return Ok(items);
        }
    }
}
