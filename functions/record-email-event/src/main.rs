#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::logging::init(env!("CARGO_CRATE_NAME"));
    let app = record_email_event::App::from_env()?;
    // The connection and the SDK's first-call work, at init (`shared::store::client::warm_up`).
    app.recorder.logs.warm_up().await;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
            let deadline = record_email_event::deadline_from(event.context.deadline());
            app.handle_until(event.payload, deadline)
        },
    ))
    .await
}
