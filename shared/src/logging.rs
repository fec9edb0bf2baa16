//! Logs to CloudWatch, as lambda_runtime's default subscriber writes them (JSON when the function's
//! `LoggingConfig` says so, no timestamps: CloudWatch adds its own), but filtered by one level
//! instead of an `EnvFilter`: the filter's directive parser brings a regex engine that was 7 % of
//! each bootstrap (0.18 MB zipped). The level comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's own
//! log-level control) or `RUST_LOG`, as one of `error`, `warn`, `info`, `debug`, `trace`, `off`;
//! anything else means `info`. Request headers and bodies are never logged: they carry API keys and
//! addresses.

use lambda_http::tracing::subscriber::filter::LevelFilter;

/// Installs the subscriber; call once, first thing in `main`.
pub fn init() {
    let get = |name| std::env::var(name).ok();
    let level = level(
        get("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|| get("RUST_LOG"))
            .as_deref(),
    );
    let json =
        get("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json"));
    let collector = lambda_http::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level);
    if json {
        collector.json().init();
    } else {
        collector.init();
    }
}

fn level(setting: Option<&str>) -> LevelFilter {
    setting
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(LevelFilter::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_plain_level_in_any_case_and_defaults_to_info() {
        assert_eq!(level(Some("DEBUG")), LevelFilter::DEBUG);
        assert_eq!(level(Some(" warn ")), LevelFilter::WARN);
        assert_eq!(level(Some("off")), LevelFilter::OFF);
        assert_eq!(level(None), LevelFilter::INFO);
        assert_eq!(level(Some("aws_smithy_runtime=debug")), LevelFilter::INFO);
    }
}
