#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    shared::logging::init();
    let app = get_customer_logs::App::from_env()?;
    shared::http::serve(|request| app.handle(request)).await
}
