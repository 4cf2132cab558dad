//! TLS: rustls with TLS 1.3 and TLS 1.2 (rustls offers only AEAD suites with forward secrecy),
//! ALPN h2 then http/1.1, and the self-signed localhost certificate for development.

use std::{fs, path::Path};

use anyhow::Context;
use rustls::ServerConfig;
use rustls_pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

pub fn server_config(files: &TlsFiles) -> anyhow::Result<ServerConfig> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .with_context(|| format!("reading TLS_CERT {}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing TLS_CERT {}", files.cert.display()))?;
    anyhow::ensure!(
        !certs.is_empty(),
        "TLS_CERT {} holds no certificate",
        files.cert.display()
    );
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .with_context(|| format!("reading TLS_KEY {}", files.key.display()))?;

    let provider = rustls::crypto::aws_lc_rs::default_provider();
    let mut config = ServerConfig::builder_with_provider(provider.into())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("TLS_CERT and TLS_KEY do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Writes a self-signed certificate for localhost unless both files already exist.
/// Returns whether it wrote anything.
pub fn ensure_dev_certificate(cert: &Path, key: &Path) -> anyhow::Result<bool> {
    if cert.exists() && key.exists() {
        return Ok(false);
    }
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let certified = rcgen::generate_simple_self_signed(names).context("generating certificate")?;
    if let Some(dir) = cert.parent() {
        fs::create_dir_all(dir)?;
    }
    fs::write(cert, certified.cert.pem())?;
    write_private(key, certified.key_pair.serialize_pem().as_bytes())?;
    Ok(true)
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    Ok(fs::write(path, bytes)?)
}
