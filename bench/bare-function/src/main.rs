//! The floor a Lambda function in Rust can start from: the runtime on a single-threaded tokio
//! runtime and a handler that does nothing. `make bench-cold` measures every function against it,
//! and sends it one event with `"bench_panic": true` to check that the release profile reports a
//! panic as the invocation's error and keeps the process serving.

#[derive(serde::Deserialize)]
struct Event {
    #[serde(default)]
    bench_panic: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<Event>| async move {
            assert!(!event.payload.bench_panic, "the bench asked for a panic");
            Ok::<(), lambda_runtime::Error>(())
        },
    ))
    .await
}
