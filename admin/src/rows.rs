//! The rows an import reads: CSV with a header, or JSON Lines, validated by the model's own rules
//! before anything is written. A bad row is refused with its line number and the reason.

use serde_json::Value;
use shared::{ApiError, Email, Locale};

/// One customer to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRow {
    pub email: Email,
    pub locale: Option<Locale>,
    /// Unix seconds; `None` means now.
    pub created: Option<u64>,
}

/// A row refused: where, and why (the model's reason, which never quotes the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// 1-based, as an editor counts the file's lines.
    pub line: usize,
    pub reason: String,
}

/// The file's format, from its name: `.csv`, else JSON Lines.
fn is_csv(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"))
}

fn row(
    email: Option<&str>,
    locale: Option<&str>,
    created: Option<&str>,
) -> Result<CustomerRow, String> {
    let email = Email::parse(email.unwrap_or_default()).map_err(|e: ApiError| e.to_string())?;
    let locale = match locale.map(str::trim).filter(|locale| !locale.is_empty()) {
        None => None,
        Some(locale) => Some(Locale::parse(locale).map_err(|e| e.to_string())?),
    };
    let created = match created.map(str::trim).filter(|created| !created.is_empty()) {
        None => None,
        Some(created) if created.bytes().all(|b| b.is_ascii_digit()) => Some(
            created
                .parse()
                .map_err(|_| "created is out of range.".to_owned())?,
        ),
        Some(_) => return Err("created must be Unix seconds: a whole number, 0 or more.".into()),
    };
    Ok(CustomerRow {
        email,
        locale,
        created,
    })
}

/// Every row of `text`, read as `path`'s name says, each valid or refused.
pub fn customer_rows(path: &std::path::Path, text: &str) -> Vec<Result<CustomerRow, Refused>> {
    if is_csv(path) {
        return csv_rows(text);
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let refused = |reason: String| Refused {
                line: index + 1,
                reason,
            };
            let value: Value =
                serde_json::from_str(line).map_err(|_| refused("the line is not JSON.".into()))?;
            let field = |name: &str| match value.get(name) {
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(Value::Number(number)) => Ok(Some(number.to_string())),
                None | Some(Value::Null) => Ok(None),
                Some(_) => Err(refused(format!("{name} must be a string or a number."))),
            };
            let (email, locale, created) = (field("email")?, field("locale")?, field("created")?);
            row(email.as_deref(), locale.as_deref(), created.as_deref()).map_err(refused)
        })
        .collect()
}

fn csv_rows(text: &str) -> Vec<Result<CustomerRow, Refused>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(header) => header.iter().map(|h| h.to_ascii_lowercase()).collect(),
        Err(_) => {
            return vec![Err(Refused {
                line: 1,
                reason: "the header is not CSV.".into(),
            })];
        }
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let (email, locale, created) = (column("email"), column("locale"), column("created"));
    if email.is_none() {
        return vec![Err(Refused {
            line: 1,
            reason: "the header has no email column.".into(),
        })];
    }
    reader
        .records()
        .map(|record| {
            let record = record.map_err(|e| Refused {
                line: e.position().map_or(0, |p| p.line() as usize),
                reason: "the row is not CSV, or has another number of fields than the header."
                    .into(),
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            let get = |index: Option<usize>| index.and_then(|i| record.get(i));
            row(get(email), get(locale), get(created)).map_err(|reason| Refused { line, reason })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn reads_csv_with_optional_columns_and_refuses_bad_rows_by_line() {
        let rows = customer_rows(
            Path::new("c.csv"),
            "email,locale,created\nA@Example.com,de-de,1234567890\nb@example.com,,\nnot-an-address,en,\nc@example.com,xx-ZZ,5\nd@example.com,en,soon\n",
        );
        assert_eq!(rows.len(), 5);
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.email.as_str(), "a@example.com");
        assert_eq!(first.locale.as_ref().unwrap().as_str(), "de-DE");
        assert_eq!(first.created, Some(1_234_567_890));
        assert_eq!(rows[1].as_ref().unwrap().created, None);
        let lines: Vec<usize> = rows
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|r| r.line)
            .collect();
        assert_eq!(lines, [4, 5, 6]);
    }

    #[test]
    fn reads_json_lines_and_counts_lines_as_an_editor_does() {
        let rows = customer_rows(
            Path::new("c.jsonl"),
            "{\"email\":\"a@example.com\",\"created\":5}\n\n{\"email\":\"bad\"}\nnot json\n",
        );
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].as_ref().unwrap().created, Some(5));
        assert_eq!(rows[1].as_ref().unwrap_err().line, 3);
        assert_eq!(rows[2].as_ref().unwrap_err().line, 4);
    }
}
