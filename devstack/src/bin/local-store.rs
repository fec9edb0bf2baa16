//! The local store alone, for the cold-start bench: dynoxide in memory on a random loopback port
//! with the production tables. Prints `ready <endpoint>` on stdout, then serves until its standard
//! input closes (so it never outlives the process that started it) or it gets SIGTERM or SIGINT.

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
    let store = devstack::LocalStore::start(
        listener,
        db,
        devstack::CUSTOMERS_TABLE,
        devstack::LOGS_TABLE,
    )
    .await?;
    println!("ready {}", store.endpoint);
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
