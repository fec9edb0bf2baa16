#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init(env!("CARGO_CRATE_NAME"));
    let app = batch::App::from_env()?;
    shared::api::runtime::serve(|request| app.handle(request)).await
}
