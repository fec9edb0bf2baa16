//! Tables created as production has them (on demand, the same keys, index and TTL attribute), for
//! the local store and the tests; in AWS the template does this.

use crate::store::schema::{IndexSpec, Key, TableSpec};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TimeToLiveSpecification,
};

fn definition(key: Key) -> Result<AttributeDefinition, String> {
    AttributeDefinition::builder()
        .attribute_name(key.name)
        .attribute_type(ScalarAttributeType::from(key.kind))
        .build()
        .map_err(|e| e.to_string())
}

fn key_element(key: Key, key_type: KeyType) -> Result<KeySchemaElement, String> {
    KeySchemaElement::builder()
        .attribute_name(key.name)
        .key_type(key_type)
        .build()
        .map_err(|e| e.to_string())
}

fn all_attributes() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

fn index(spec: IndexSpec) -> Result<GlobalSecondaryIndex, String> {
    GlobalSecondaryIndex::builder()
        .index_name(spec.name)
        .key_schema(key_element(spec.partition_key, KeyType::Hash)?)
        .projection(all_attributes())
        .build()
        .map_err(|e| e.to_string())
}

/// Creates `spec` as the table `name` unless it exists; adds its index to an existing table that
/// lacks it (a local store made before the index was).
pub async fn create_if_missing(
    spec: &TableSpec,
    client: &Client,
    name: &str,
) -> Result<(), String> {
    if let Ok(existing) = client.describe_table().table_name(name).send().await {
        let has_index = |wanted: &IndexSpec| {
            existing.table().is_some_and(|table| {
                table
                    .global_secondary_indexes()
                    .iter()
                    .any(|index| index.index_name() == Some(wanted.name))
            })
        };
        return match spec.index {
            Some(wanted) if !has_index(&wanted) => add_index(client, name, wanted).await,
            _ => Ok(()),
        };
    }
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for (key, key_type) in [
        (Some(spec.partition_key), KeyType::Hash),
        (spec.sort_key, KeyType::Range),
    ] {
        let Some(key) = key else { continue };
        request = request
            .attribute_definitions(definition(key)?)
            .key_schema(key_element(key, key_type)?);
    }
    if let Some(wanted) = spec.index {
        request = request
            .attribute_definitions(definition(wanted.partition_key)?)
            .global_secondary_indexes(index(wanted)?);
    }
    request
        .send()
        .await
        .map_err(|e| format!("creating table {name}: {}", DisplayErrorContext(e)))?;
    if let Some(attribute) = spec.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attribute)
                    .enabled(true)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(|e| format!("enabling TTL on {name}: {}", DisplayErrorContext(e)))?;
    }
    Ok(())
}

async fn add_index(client: &Client, name: &str, wanted: IndexSpec) -> Result<(), String> {
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name(wanted.name)
        .key_schema(key_element(wanted.partition_key, KeyType::Hash)?)
        .projection(all_attributes())
        .build()
        .map_err(|e| e.to_string())?;
    client
        .update_table()
        .table_name(name)
        .attribute_definitions(definition(wanted.partition_key)?)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        )
        .send()
        .await
        .map_err(|e| {
            format!(
                "adding index {} to {name}: {}",
                wanted.name,
                DisplayErrorContext(e)
            )
        })?;
    Ok(())
}
