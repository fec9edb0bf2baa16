//! Mozilla's root certificates (`webpki-root-certs`) written once, at build time, as the PEM bundle
//! the HTTPS client's trust store takes, so that no cold start spends its time encoding them.

use base64::Engine;
use std::path::PathBuf;

fn main() {
    let mut pem = String::new();
    for root in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let body = base64::engine::general_purpose::STANDARD.encode(root);
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("webpki-roots.pem"), pem).expect("write the root bundle");
    println!("cargo:rerun-if-changed=build.rs");
}
