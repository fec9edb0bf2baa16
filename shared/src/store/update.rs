//! The one way an `UpdateItem` expression is built, for every write (the customer upsert and the
//! log events): attribute `a` is always named `#a` and valued `:a`, so a condition written beside
//! the update can refer to the same placeholders.

use aws_sdk_dynamodb::client::Client;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// An `UpdateItem` expression under construction.
#[derive(Debug, Default)]
pub struct Update {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    sets: Vec<String>,
    adds: Vec<String>,
    removes: Vec<String>,
}

impl Update {
    fn name(&mut self, attribute: &str) {
        self.names
            .insert(format!("#{attribute}"), attribute.to_owned());
    }

    fn value(&mut self, attribute: &str, value: AttributeValue) {
        self.name(attribute);
        self.values.insert(format!(":{attribute}"), value);
    }

    /// `SET #a = :a`.
    pub fn set(&mut self, attribute: &str, value: AttributeValue) {
        self.value(attribute, value);
        self.sets.push(format!("#{attribute} = :{attribute}"));
    }

    /// `SET #a = if_not_exists(#a, :a)`: the value only if the item has none yet.
    pub fn set_if_absent(&mut self, attribute: &str, value: AttributeValue) {
        self.value(attribute, value);
        self.sets.push(format!(
            "#{attribute} = if_not_exists(#{attribute}, :{attribute})"
        ));
    }

    /// `ADD #a :a` with `:a` the string set of `element`: the set gains it, once.
    pub fn add_to_set(&mut self, attribute: &str, element: &str) {
        self.value(attribute, AttributeValue::Ss(vec![element.to_owned()]));
        self.adds.push(format!("#{attribute} :{attribute}"));
    }

    /// `REMOVE #a`.
    pub fn remove(&mut self, attribute: &str) {
        self.name(attribute);
        self.removes.push(format!("#{attribute}"));
    }

    /// The whole expression: `SET ...`, then ` ADD ...` and ` REMOVE ...` where there are any.
    pub fn expression(&self) -> String {
        [
            ("SET", &self.sets),
            ("ADD", &self.adds),
            ("REMOVE", &self.removes),
        ]
        .into_iter()
        .filter(|(_, clauses)| !clauses.is_empty())
        .map(|(action, clauses)| format!("{action} {}", clauses.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// An `UpdateItem` of `table` carrying this expression, its names and its values; the caller
    /// adds the key and any condition.
    pub fn request(self, client: &Client, table: &str) -> UpdateItemFluentBuilder {
        let expression = self.expression();
        client
            .update_item()
            .table_name(table)
            .update_expression(expression)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_each_attribute_once_and_removes_after_sets() {
        let mut update = Update::default();
        update.set("status", AttributeValue::S("sent".into()));
        update.set_if_absent("created", AttributeValue::N("5".into()));
        update.remove("message");
        update.add_to_set("opened_entries", "e1");
        assert_eq!(
            update.expression(),
            "SET #status = :status, #created = if_not_exists(#created, :created) \
             ADD #opened_entries :opened_entries REMOVE #message"
        );
        assert_eq!(update.names.len(), 4);
        assert_eq!(update.values.len(), 3);
        let mut only_sets = Update::default();
        only_sets.set("a", AttributeValue::Bool(true));
        assert_eq!(only_sets.expression(), "SET #a = :a");
    }
}
