//! The local store alone, for the cold-start bench: dynoxide in memory on a random loopback port
//! with the production tables. Prints `ready <endpoint>` on stdout, then `env <JSON>`: for each
//! function, the variables it reads (`shared::config`) with their values here, as deployed (the
//! key from `API_KEY`, the development key if unset; the path delivered decoded; the default
//! retention). Then it serves until its standard input closes (so it never outlives the process
//! that started it) or it gets SIGTERM or SIGINT.

use std::process::ExitCode;
use tokio::io::AsyncReadExt;
use tokio::signal::unix::{SignalKind, signal};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-store: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let db = dynoxide::Database::memory().map_err(|e| e.to_string())?;
    let store = devstack::LocalStore::start(listener, db, "").await?;
    println!("ready {}", store.endpoint);
    let values = devstack::FunctionValues {
        api_key: std::env::var("API_KEY").unwrap_or_else(|_| devstack::DEV_API_KEY.to_owned()),
        path_delivery: None,
        retention_days: Some(shared::config::DEFAULT_RETENTION_DAYS.to_string()),
    };
    println!("env {}", devstack::functions_env_json(&values));
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut stdin = tokio::io::stdin();
    let mut sink = [0u8; 64];
    let stdin_closed = async { while matches!(stdin.read(&mut sink).await, Ok(n) if n > 0) {} };
    tokio::select! {
        () = stdin_closed => {}
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    store.stop(std::time::Duration::from_secs(2)).await;
    Ok(())
}
