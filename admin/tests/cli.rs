//! The `customers-admin` binary as an operator runs it: the refusals that come before any store
//! call (the commands' work is tested through dynoxide in `integration-tests`).

use std::process::Command;

fn run(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_customers-admin"));
    command.args(args).env_remove("SENDWITHUS_API_KEY");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn migrate_reads_its_key_from_the_environment_only() {
    let (code, stderr) = run(&["migrate", "--addresses", "/dev/null"], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("SENDWITHUS_API_KEY"), "{stderr}");
    let (code, stderr) = run(&["migrate", "--addresses", "/dev/null", "--key", "k"], &[]);
    assert_eq!(code, Some(2), "no key flag: {stderr}");
}

#[test]
fn erase_refuses_an_address_the_api_would_not_store() {
    let (code, stderr) = run(&["erase", "not-an-address"], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not an address"), "{stderr}");
}

#[test]
fn a_stack_and_an_endpoint_cannot_both_be_named() {
    let (code, stderr) = run(
        &[
            "--stack",
            "s",
            "--endpoint",
            "http://127.0.0.1:1",
            "export",
            "out",
        ],
        &[],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
