//! `make dev`: the whole API on this machine, from one command.
//!
//! Starts dynoxide (a DynamoDB-compatible store, embedded in this process) on 127.0.0.1 with its
//! data in a file, creates the production tables if they are missing, then runs
//! `cargo lambda watch` on 127.0.0.1 with the functions' environment. Ctrl-C (or SIGTERM) stops
//! both. Settings, all optional, from the environment:
//!
//! - `API_KEY`: the key the stack accepts (default: the development key, printed at start-up).
//! - `DEV_PORT` (9000): where the API listens. `DEV_STORE_PORT` (9001): where the store listens.
//! - `DEV_DATA_DIR` (`.dev`): where the store keeps its file. `DEV_FRESH=1` starts it empty.
//! - `LOG_RETENTION_DAYS` (36500): how long logs are served after their send time.
//!
//! The functions' own variables come from `devstack::watch_env`, which reads their names from
//! `shared::config`.

use shared::config::LOG_RETENTION_DAYS;
use shared::store::schema::{CUSTOMERS, LOGS};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

use devstack::{DEV_API_KEY, FunctionValues, LocalStore, REGION};
/// How long the local stack keeps logs unless `LOG_RETENTION_DAYS` is set: a century.
const LOCAL_RETENTION_DAYS: &str = "36500";
/// How long the functions' processes get to stop before they are killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

struct Settings {
    port: u16,
    store_port: u16,
    data_dir: PathBuf,
    fresh: bool,
    api_key: Option<String>,
}

fn port_from_env(name: &str, default: u16) -> Result<u16, String> {
    match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(value) if value.trim().is_empty() => Ok(default),
        Ok(value) => value
            .trim()
            .parse()
            .map_err(|_| format!("{name}={value:?} is not a port number")),
    }
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        Ok(Self {
            port: port_from_env("DEV_PORT", 9000)?,
            store_port: port_from_env("DEV_STORE_PORT", 9001)?,
            data_dir: std::env::var_os("DEV_DATA_DIR")
                .filter(|dir| !dir.is_empty())
                .map_or_else(|| PathBuf::from(".dev"), PathBuf::from),
            fresh: std::env::var("DEV_FRESH").is_ok_and(|v| !v.is_empty() && v != "0"),
            api_key: std::env::var("API_KEY").ok().filter(|key| !key.is_empty()),
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("make dev: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let settings = Settings::from_env()?;
    std::fs::create_dir_all(&settings.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", settings.data_dir.display()))?;
    // Held until the process ends: a second `make dev` on the same data finds it taken.
    let _lock = take_lock(&settings.data_dir)?;
    ensure_port_free(settings.port, "DEV_PORT", "the API")?;

    let store_file = settings.data_dir.join("store.sqlite");
    if settings.fresh {
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", store_file.display()));
            if path.exists() {
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
    }
    let listener = TcpListener::bind(("127.0.0.1", settings.store_port))
        .await
        .map_err(|e| port_taken(settings.store_port, "DEV_STORE_PORT", "the store", &e))?;
    let path = store_file
        .to_str()
        .ok_or("the data directory's path is not UTF-8")?;
    let db = dynoxide::Database::new(path)
        .map_err(|e| format!("cannot open the store file {path}: {e}"))?;
    let store = LocalStore::start(listener, db, "").await?;

    let api_key = settings
        .api_key
        .clone()
        .unwrap_or_else(|| DEV_API_KEY.to_owned());
    let mut watch = start_watch(&settings, &store.endpoint, &api_key)?;
    let outcome = serve_until_stopped(&mut watch, &settings, &api_key, &store.endpoint).await;
    stop_process_group(&mut watch);
    store.stop(STOP_GRACE).await;
    println!("make dev: stopped.");
    outcome
}

/// The lock file; its holder's pid is written in it for the message a second run prints.
fn take_lock(data_dir: &Path) -> Result<File, String> {
    let path = data_dir.join("devstack.lock");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    if file.try_lock().is_err() {
        let mut holder = String::new();
        let _ = file.read_to_string(&mut holder);
        return Err(format!(
            "the local stack is already running (pid {}) with the data in {}. \
             Stop it with Ctrl-C in its terminal, or give this one another DEV_DATA_DIR, DEV_PORT and DEV_STORE_PORT.",
            holder.trim(),
            data_dir.display()
        ));
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .map_err(|e| e.to_string())?;
    write!(file, "{}", std::process::id()).map_err(|e| e.to_string())?;
    Ok(file)
}

fn ensure_port_free(port: u16, variable: &str, what: &str) -> Result<(), String> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|e| port_taken(port, variable, what, &e))
}

fn port_taken(port: u16, variable: &str, what: &str, error: &std::io::Error) -> String {
    format!(
        "port {port} on 127.0.0.1 is already in use ({error}), so {what} cannot listen there. \
         Stop what uses it, or set {variable} to a free port."
    )
}

/// `cargo lambda watch` in a process group of its own, so that stopping it stops every function
/// process it started, and never outliving this process.
fn start_watch(settings: &Settings, store_endpoint: &str, api_key: &str) -> Result<Child, String> {
    let mut command = Command::new("cargo");
    command
        .args([
            "lambda",
            "watch",
            "--invoke-address",
            "127.0.0.1",
            "--invoke-port",
        ])
        .arg(settings.port.to_string())
        .envs(devstack::watch_env(&FunctionValues {
            api_key: api_key.to_owned(),
            // watch hands the functions the path as the client wrote it; API Gateway decodes it.
            path_delivery: Some("raw"),
            // Logs past their retention are never served. Locally they are kept for a century
            // unless LOG_RETENTION_DAYS says otherwise, so that the seed's samples (sent in 2009)
            // show.
            retention_days: Some(
                std::env::var(LOG_RETENTION_DAYS.name)
                    .unwrap_or_else(|_| LOCAL_RETENTION_DAYS.to_owned()),
            ),
        }))
        .env("AWS_ENDPOINT_URL_DYNAMODB", store_endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("API_KEY")
        .process_group(0);
    // `cargo run` described devstack to it in these; left in place they reach the `cargo run` that
    // watch starts for each function, where build scripts that track them (ring's does) see them
    // change and rebuild, so each function's first request would wait for a compile.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_BIN_",
            "CARGO_CRATE_",
        ]
        .iter()
        .any(|prefix| name.starts_with(prefix))
            || name == "CARGO_PRIMARY_PACKAGE"
        {
            command.env_remove(name.as_ref());
        }
    }
    // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
    unsafe {
        command.pre_exec(|| {
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    command.spawn().map_err(|e| {
        format!(
            "cannot start `cargo lambda watch` ({e}); `make dev` installs cargo-lambda into .venv"
        )
    })
}

async fn serve_until_stopped(
    watch: &mut Child,
    settings: &Settings,
    api_key: &str,
    store_endpoint: &str,
) -> Result<(), String> {
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut announced = false;
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = watch.try_wait() {
            return Err(format!("`cargo lambda watch` exited ({status})"));
        }
        if !announced && TcpStream::connect(("127.0.0.1", settings.port)).is_ok() {
            announced = true;
            announce(settings, api_key, store_endpoint, started.elapsed());
        }
        tokio::select! {
            _ = interrupt.recv() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
    }
}

fn announce(settings: &Settings, api_key: &str, store_endpoint: &str, took: Duration) {
    let key_line = if settings.api_key.is_some() {
        "the key in API_KEY".to_owned()
    } else {
        format!("{api_key}   (development key; set API_KEY=... to choose another)")
    };
    println!(
        "\nmake dev: ready in {:.1}s\n  API      http://127.0.0.1:{}/api/v1\n  API key  {key_line}\n  store    {store_endpoint} (tables {}, {}; data in {})\n  stop     Ctrl-C\n",
        took.as_secs_f64(),
        settings.port,
        CUSTOMERS.local_name,
        LOGS.local_name,
        settings.data_dir.join("store.sqlite").display(),
    );
}

/// SIGTERM to the whole group, then SIGKILL to what is left after the grace period.
fn stop_process_group(child: &mut Child) {
    let Ok(group) = i32::try_from(child.id()) else {
        let _ = child.kill();
        return;
    };
    // SAFETY: plain syscalls on a process group this process created.
    unsafe { libc::kill(-group, libc::SIGTERM) };
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) && !group_alive(group) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    unsafe { libc::kill(-group, libc::SIGKILL) };
    let _ = child.wait();
}

fn group_alive(group: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    unsafe { libc::kill(-group, 0) == 0 }
}
