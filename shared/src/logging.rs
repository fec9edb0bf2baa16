//! Logs to CloudWatch, as lambda_runtime's default subscriber writes them (JSON when the function's
//! `LoggingConfig` says so, no timestamps: CloudWatch adds its own), but filtered by one level
//! instead of an `EnvFilter`: the filter's directive parser brings a regex engine that was 7 % of
//! each bootstrap (0.18 MB zipped). The level comes from `AWS_LAMBDA_LOG_LEVEL` (Lambda's own
//! log-level control) or `RUST_LOG`, as one of `error`, `warn`, `info`, `debug`, `trace`, `off`;
//! anything else means `info`.
//!
//! That level applies to this project's crates only. Every other target (the Lambda runtime, which
//! logs whole raw events at TRACE, headers included; the AWS SDK, which logs requests and so keys
//! and addresses at DEBUG and TRACE; hyper, rustls) stays at INFO or quieter whatever the setting
//! says. This project's own lines never carry a key, a header, a body or an address.

use lambda_http::tracing::subscriber::filter::{LevelFilter, Targets};
use lambda_http::tracing::subscriber::fmt::MakeWriter;
use lambda_http::tracing::subscriber::layer::SubscriberExt;
use lambda_http::tracing::subscriber::util::SubscriberInitExt;

/// The crates whose lines follow the configured level: the shared crate and the function's own.
fn targets(level: LevelFilter, function_crate: &'static str) -> Targets {
    Targets::new()
        .with_default(level.min(LevelFilter::INFO))
        .with_target("shared", level)
        .with_target(function_crate, level)
}

/// Installs the subscriber; call once, first thing in `main`, with `env!("CARGO_CRATE_NAME")`.
pub fn init(function_crate: &'static str) {
    let get = |name| std::env::var(name).ok();
    let level = level(
        get("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|| get("RUST_LOG"))
            .as_deref(),
    );
    let json =
        get("AWS_LAMBDA_LOG_FORMAT").is_some_and(|format| format.eq_ignore_ascii_case("json"));
    subscriber(level, json, function_crate, std::io::stdout).init();
    tracing::debug!(%level, json, "logging");
}

/// The subscriber [`init`] installs, writing to `writer` (tests hand it a buffer).
pub fn subscriber<W>(
    level: LevelFilter,
    json: bool,
    function_crate: &'static str,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let collector = lambda_http::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_max_level(level)
        .with_writer(writer);
    let filter = targets(level, function_crate);
    if json {
        Box::new(collector.json().finish().with(filter))
    } else {
        Box::new(collector.finish().with(filter))
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

    #[test]
    fn other_crates_stay_at_info_whatever_the_level() {
        use lambda_http::tracing::Level;
        let trace = targets(LevelFilter::TRACE, "get_customer");
        let enabled = |target: &str, level: Level| trace.would_enable(target, &level);
        for ours in ["shared", "shared::store::logs", "get_customer"] {
            assert!(enabled(ours, Level::TRACE), "{ours}");
        }
        for theirs in [
            "lambda_runtime",
            "lambda_runtime::layers",
            "aws_smithy_runtime",
            "hyper",
        ] {
            assert!(!enabled(theirs, Level::DEBUG), "{theirs}");
            assert!(enabled(theirs, Level::INFO), "{theirs}");
        }
        let quiet = targets(LevelFilter::WARN, "get_customer");
        assert!(!quiet.would_enable("lambda_runtime", &Level::INFO));
        assert!(!quiet.would_enable("shared", &Level::INFO));
    }
}
