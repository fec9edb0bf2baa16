#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::logging::init(env!("CARGO_CRATE_NAME"));
    let app = record_email_event::App::from_env()?;
    lambda_runtime::run(lambda_runtime::service_fn(
        |event: lambda_runtime::LambdaEvent<aws_lambda_events::event::sqs::SqsEvent>| {
            let deadline = record_email_event::deadline_from(event.context.deadline());
            app.handle_until(event.payload, deadline)
        },
    ))
    .await
}
