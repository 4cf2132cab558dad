//! The workspace keeps clients and server apart: a client never compiles the server's stack and
//! the server never compiles a client's. Checked on the resolved dependency graph (`cargo tree`,
//! normal and build edges: what the binaries are made of).

use std::process::Command;

/// Every crate name in the normal + build dependency tree of `package`.
fn crates_of(package: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            package,
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The crates named in `forbidden`: exact names, or families given as a prefix ending in `-`
/// or `_` (`actix-` stands for actix-web, actix-http, …).
fn offenders(crates: &[String], forbidden: &[&str]) -> Vec<String> {
    let mut hits: Vec<String> = crates
        .iter()
        .filter(|c| {
            forbidden
                .iter()
                .any(|f| c.as_str() == *f || (f.ends_with(['-', '_']) && c.starts_with(f)))
        })
        .cloned()
        .collect();
    hits.sort();
    hits.dedup();
    hits
}

#[test]
fn the_cli_compiles_no_server_framework_database_bus_or_password_hashing() {
    let crates = crates_of("courier-cli");
    assert!(
        crates.iter().any(|c| c == "courier-protocol"),
        "the CLI speaks the protocol crate: {crates:?}"
    );
    let hits = offenders(
        &crates,
        &[
            "actix", "actix-", "diesel", "diesel_", "redis", "bcrypt", "courier", "utoipa", "r2d2",
        ],
    );
    assert!(
        hits.is_empty(),
        "courier-cli depends on server crates: {hits:?}"
    );
}

/// `reqwest` is not on the list: `object_store` (the attachment store, S3 included) is an HTTP
/// client by nature and brings it. What stays forbidden is the client side of Courier itself and
/// the terminal crates, which a server has no use for.
#[test]
fn the_server_compiles_no_courier_client_or_terminal_crates() {
    let hits = offenders(
        &crates_of("courier"),
        &["indicatif", "rpassword", "courier-client", "courier-cli"],
    );
    assert!(
        hits.is_empty(),
        "the server depends on client crates: {hits:?}"
    );
}

#[test]
fn the_protocol_crate_does_no_io_and_knows_no_framework() {
    let hits = offenders(
        &crates_of("courier-protocol"),
        &[
            "actix-", "diesel", "tokio", "reqwest", "redis", "utoipa", "mio",
        ],
    );
    assert!(
        hits.is_empty(),
        "courier-protocol (without the server feature) pulls in: {hits:?}"
    );
}
