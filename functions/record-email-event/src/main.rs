#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::logging::init(env!("CARGO_CRATE_NAME"));
    let app = record_email_event::App::from_env()?;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
            // The invocation's deadline, as a point on this process's monotonic clock.
            let left = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            app.handle_until(event.payload, std::time::Instant::now() + left)
        },
    ))
    .await
}
