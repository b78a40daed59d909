//! TLS on the Thrift port (rustls): the server configuration from PEM files, reloaded when the
//! files change or on SIGHUP (new connections get the new certificate; open ones keep theirs).
//!
//! With `client_ca_file` set, every client must present a certificate signed by one of its CAs,
//! and the certificate subject's common name (CN) becomes the connection's principal.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::{Duration, SystemTime},
};

use rustls::{
    pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer},
    server::WebPkiClientVerifier,
    RootCertStore, ServerConfig,
};

/// Where the certificate, key and (optional) client CAs are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's certificate first.
    pub cert_file: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// PEM CA certificates; when set, clients must present a certificate they signed.
    pub client_ca_file: Option<PathBuf>,
}

impl TlsFiles {
    fn paths(&self) -> Vec<&Path> {
        let mut paths = vec![self.cert_file.as_path(), self.key_file.as_path()];
        paths.extend(self.client_ca_file.as_deref());
        paths
    }
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or parsed.
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// rustls refused the combination.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client CA file yields no verifier.
    #[error("client CA file: {0}")]
    Verifier(String),
}

fn file_error(path: &Path, message: impl std::fmt::Display) -> TlsError {
    TlsError::File { path: path.display().to_string(), message: message.to_string() }
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| file_error(path, e))?;
    if certs.is_empty() {
        return Err(file_error(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

/// The rustls server configuration for `files` (TLS 1.2 and 1.3, aws-lc-rs).
pub fn load_server_config(files: &TlsFiles) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = read_certs(&files.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&files.key_file).map_err(|e| file_error(&files.key_file, e))?;
    let builder = ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let config = match &files.client_ca_file {
        None => builder.with_no_client_auth().with_single_cert(certs, key)?,
        Some(ca_file) => {
            let mut roots = RootCertStore::empty();
            for ca in read_certs(ca_file)? {
                roots.add(ca).map_err(|e| file_error(ca_file, e))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| TlsError::Verifier(e.to_string()))?;
            builder.with_client_cert_verifier(verifier).with_single_cert(certs, key)?
        }
    };
    Ok(Arc::new(config))
}

/// The common name of a DER certificate's subject, if it has one.
#[must_use]
pub fn subject_cn(cert: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert).ok()?;
    let cn = cert.subject().iter_common_name().next()?.as_str().ok()?.trim().to_string();
    Some(cn).filter(|cn| !cn.is_empty())
}

/// The current server configuration, rebuilt when the files change.
#[derive(Debug)]
pub struct Reloader {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
    /// The files' modification times when last loaded.
    stamps: Mutex<Vec<Option<SystemTime>>>,
}

impl Reloader {
    /// Load the files now (an error here stops the server from starting).
    pub fn new(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let stamps = stamps(&files);
        let config = load_server_config(&files)?;
        Ok(Arc::new(Self { files, current: RwLock::new(config), stamps: Mutex::new(stamps) }))
    }

    /// The configuration new connections use.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Whether a client certificate is required.
    #[must_use]
    pub fn requires_client_cert(&self) -> bool {
        self.files.client_ca_file.is_some()
    }

    /// Rebuild from the files now. On failure (a half-written file, a key that does not match)
    /// the previous configuration stays in use.
    pub fn reload(&self) -> Result<(), TlsError> {
        let now = stamps(&self.files);
        let config = load_server_config(&self.files)?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = config;
        *self.stamps.lock().unwrap_or_else(PoisonError::into_inner) = now;
        Ok(())
    }

    /// Rebuild if a file's modification time changed; whether it did.
    pub fn reload_if_changed(&self) -> bool {
        let now = stamps(&self.files);
        if *self.stamps.lock().unwrap_or_else(PoisonError::into_inner) == now {
            return false;
        }
        self.log_reload("files changed");
        true
    }

    fn log_reload(&self, why: &'static str) {
        match self.reload() {
            Ok(()) => tracing::info!(reason = why, cert = %self.files.cert_file.display(), "TLS certificate reloaded"),
            Err(e) => {
                // Do not retry the same broken files on every poll.
                *self.stamps.lock().unwrap_or_else(PoisonError::into_inner) = stamps(&self.files);
                tracing::error!(reason = why, error = %e, "TLS reload failed; keeping the previous certificate");
            }
        }
    }

    /// Poll the files every `every` and reload on SIGHUP, until the runtime stops.
    pub async fn watch(self: Arc<Self>, every: Duration) {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(100)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            {
                let hangup = async {
                    match hup.as_mut() {
                        Some(h) => h.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = tick.tick() => { self.reload_if_changed(); }
                    _ = hangup => self.log_reload("SIGHUP"),
                }
            }
            #[cfg(not(unix))]
            {
                tick.tick().await;
                self.reload_if_changed();
            }
        }
    }
}

fn stamps(files: &TlsFiles) -> Vec<Option<SystemTime>> {
    files.paths().iter().map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok()).collect()
}
