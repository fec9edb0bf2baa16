#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init(env!("CARGO_CRATE_NAME"));
    let app = upsert_customer::App::from_env()?;
    // The connection and the SDK's first-call work, at init (`shared::store::client::warm_up`).
    app.customers.warm_up().await;
    shared::api::runtime::serve(|request| app.handle(request)).await
}
