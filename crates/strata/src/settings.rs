//! Configuration: defaults, then an optional TOML file (`--config`), then `STRATA_*` environment
//! variables, then command-line flags. Built once into [`Settings`] and passed down.

use std::{path::PathBuf, time::Duration};

use serde::Deserialize;

/// Everything `strata serve` and `strata migrate` need.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// Address to listen on.
    pub listen: String,
    /// `sqlite://path` or `postgres://user@host/db`.
    pub database_url: String,
    /// Warehouse root URI (`file:///…`, `s3://…`).
    pub warehouse: String,
    /// Largest request accepted, in bytes.
    pub max_message_size: usize,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Idle connections are closed after this many seconds.
    pub idle_timeout_secs: u64,
    /// A request must arrive whole within this many seconds of its first byte.
    pub request_timeout_secs: u64,
    /// A reply must be read by the client within this many seconds of its first byte.
    pub write_timeout_secs: u64,
    /// Most connections at once from one IP address.
    pub max_connections_per_peer: usize,
    /// Most partition listings sent page by page at once (each holds a database connection).
    pub max_paged_listings: usize,
    /// Each request byte may decode to this many bytes in memory (plus 4 MiB).
    pub decode_bytes_per_byte: usize,
    /// Locks not heartbeaten for this many seconds are released.
    pub lock_timeout_secs: u64,
    /// At most this many partition objects in one reply; negative = no limit (HMS's default).
    pub max_partitions_per_request: i64,
    /// Seconds calls in flight get to finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// `text` or `json`.
    pub log_format: String,
    /// The batch-ID policy (`[batch]` in the file, `STRATA_BATCH__*` in the environment).
    pub batch: BatchSettings,
    /// S3 (`[s3]` in the file, `STRATA_S3__*` in the environment); credentials come from the
    /// AWS default chain (`AWS_ACCESS_KEY_ID`, profiles, SSO, instance roles).
    #[serde(default)]
    pub s3: S3Settings,
    /// Where Strata may move and delete data (`[storage]`, `STRATA_STORAGE__*`).
    #[serde(default)]
    pub storage: StorageSettings,
    /// The admin HTTP listener (`[admin]`, `STRATA_ADMIN__*`).
    pub admin: AdminSettings,
    /// The audit log (`[audit]`, `STRATA_AUDIT__*`).
    pub audit: AuditSettings,
    /// HMS's fast statistics (`[stats]`, `STRATA_STATS__*`).
    pub stats: StatsSettings,
    // -- security (issue 20a): TLS and authentication of the Thrift port --
    /// TLS on the Thrift port (`[tls]`, `STRATA_TLS__*`); off unless `cert_file` is set.
    #[serde(default)]
    pub tls: TlsSettings,
    // -- Thrift over HTTP and authorization (issue 20, HTTP/JWT/policy part) --
    /// Thrift over HTTP (`[http_transport]`, `STRATA_HTTP_TRANSPORT__*`).
    #[serde(default)]
    pub http_transport: HttpTransportSettings,
    /// Authentication and authorization (`[auth]`, `STRATA_AUTH__*`).
    #[serde(default)]
    pub auth: AuthSettings,
}

/// `[tls]`: TLS on the Thrift port.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// PEM certificate chain; empty: TLS off.
    pub cert_file: String,
    /// PEM private key.
    pub key_file: String,
    /// PEM CA certificates; when set, clients must present a certificate signed by one of
    /// them, and its subject CN is the connection's principal.
    pub client_ca_file: String,
    /// How often the files are checked for changes, in seconds (SIGHUP reloads at once).
    pub reload_check_secs: Option<u64>,
}

/// `[auth.ldap]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LdapSettings {
    /// `ldap://host:port`; empty: LDAP off.
    pub url: String,
    /// The DN to bind as, `{user}` standing for the user name.
    pub bind_dn_template: String,
    /// Seconds a connect + bind may take (default 5).
    pub timeout_secs: Option<u64>,
}

impl Settings {
    /// The TLS files, if TLS is on. Errors name what is missing.
    pub fn tls_files(&self) -> Result<Option<strata_server::tls::TlsFiles>, String> {
        let t = &self.tls;
        if t.cert_file.trim().is_empty() {
            if !t.key_file.trim().is_empty() || !t.client_ca_file.trim().is_empty() {
                return Err("[tls] key_file or client_ca_file is set but cert_file is not".to_string());
            }
            return Ok(None);
        }
        if t.key_file.trim().is_empty() {
            return Err("[tls] cert_file is set but key_file is not".to_string());
        }
        Ok(Some(strata_server::tls::TlsFiles {
            cert_file: PathBuf::from(t.cert_file.trim()),
            key_file: PathBuf::from(t.key_file.trim()),
            client_ca_file: Some(t.client_ca_file.trim()).filter(|f| !f.is_empty()).map(PathBuf::from),
        }))
    }

    /// The authentication settings, with the users file read. Errors name the bad value.
    pub fn auth_settings(&self, runtime: tokio::runtime::Handle) -> Result<strata_server::sasl::AuthSettings, String> {
        use strata_server::sasl::{AuthMode, Ldap, PasswordSources, UsersFile};
        let a = &self.auth;
        let mode = match a.mode.trim().to_ascii_lowercase().as_str() {
            "" | "nosasl" | "none" => AuthMode::NoSasl,
            "plain" => AuthMode::Plain,
            other => return Err(format!("Invalid auth.mode {other:?}: expected \"nosasl\" or \"plain\"")),
        };
        let users = match a.users_file.trim() {
            "" => None,
            f => Some(std::sync::Arc::new(
                UsersFile::open(PathBuf::from(f)).map_err(|e| format!("cannot read the users file {f}: {e}"))?,
            )),
        };
        let ldap = match a.ldap.url.trim() {
            "" => None,
            url => {
                if !a.ldap.bind_dn_template.contains("{user}") {
                    return Err("[auth.ldap] bind_dn_template must contain {user}".to_string());
                }
                Some(Ldap {
                    url: url.to_string(),
                    bind_dn_template: a.ldap.bind_dn_template.clone(),
                    timeout: Duration::from_secs(a.ldap.timeout_secs.unwrap_or(5).max(1)),
                })
            }
        };
        if mode == AuthMode::Plain && users.is_none() && ldap.is_none() {
            return Err("auth.mode is plain: set auth.users_file and/or [auth.ldap] url".to_string());
        }
        let passwords = (users.is_some() || ldap.is_some()).then(|| PasswordSources { users, ldap, runtime });
        Ok(strata_server::sasl::AuthSettings {
            mode,
            passwords,
            proxy_users: a.proxy_users.clone(),
            admins: a.admins.clone(),
        })
    }
}

/// The fast-statistics settings.
#[derive(Debug, Clone, Deserialize)]
pub struct StatsSettings {
    /// Count `numFiles` and `totalSize` from the files on create and alter, as Apache HMS
    /// does (`hive.stats.autogather`); default on.
    pub fast: bool,
    /// The most milliseconds one call spends listing files for them.
    pub fast_budget_ms: u64,
}

/// Thrift over HTTP, as Hive 4 serves it (`POST /metastore`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HttpTransportSettings {
    /// Address to listen on; empty (the default) turns the transport off.
    pub listen: String,
}

impl HttpTransportSettings {
    /// The address, unless the transport is off.
    #[must_use]
    pub fn address(&self) -> Option<&str> {
        Some(self.listen.trim()).filter(|a| !a.is_empty())
    }
}

/// Authentication and authorization.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AuthSettings {
    /// `nosasl` (default: no authentication) or `plain` (SASL PLAIN) on the Thrift port.
    pub mode: String,
    /// Principals whose `set_ugi` user becomes the actor (e.g. Spark Thrift Server).
    pub proxy_users: Vec<String>,
    /// Principals that may release or heartbeat anyone's lock.
    pub admins: Vec<String>,
    /// `[auth.ldap]`: PLAIN passwords checked by an LDAP simple bind.
    pub ldap: LdapSettings,
    /// The users file (`name:argon2-PHC-hash[:group,group]` per line), for HTTP Basic (and
    /// SASL PLAIN); empty: none.
    pub users_file: String,
    /// The authorization policy (TOML roles); empty: every authenticated principal may do
    /// everything.
    pub policy_file: String,
    /// What a connection without a principal may do: `deny`, `read` or `all`. Default: `all`
    /// when no authentication is configured, `deny` when any is.
    pub anonymous: String,
    /// Bearer JWTs on the HTTP transport (`[auth.jwt]`).
    pub jwt: JwtSettings,
}

/// How bearer JWTs are checked.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct JwtSettings {
    /// The JSON Web Key Set (RS256/ES256 public keys); empty: JWTs are not accepted.
    pub jwks_file: String,
    /// The required `iss` claim, if set.
    pub issuer: String,
    /// The required `aud` claim, if set.
    pub audience: String,
    /// The claim naming the principal (default `sub`).
    pub principal_claim: String,
    /// The claim listing the principal's groups, if any.
    pub groups_claim: String,
}

impl AuthSettings {
    /// Whether any way of authenticating is configured (then anonymous callers are denied
    /// unless `anonymous` says otherwise).
    #[must_use]
    pub fn authentication_configured(&self) -> bool {
        !self.jwt.jwks_file.trim().is_empty()
            || !self.users_file.trim().is_empty()
            || !self.ldap.url.trim().is_empty()
            || !matches!(self.mode.trim().to_ascii_lowercase().as_str(), "" | "nosasl" | "none")
    }

    /// The authorization settings: the policy file read and checked, `anonymous` resolved.
    pub fn authz(&self) -> Result<strata_catalog::authz::Authz, String> {
        use strata_catalog::authz::{Anonymous, Authz, Policy};
        let policy = match self.policy_file.trim() {
            "" => None,
            file => Some(Policy::load(std::path::Path::new(file)).map_err(|e| format!("[auth] policy_file: {e}"))?),
        };
        let anonymous = match self.anonymous.trim() {
            "" if self.authentication_configured() => Anonymous::Deny,
            "" => Anonymous::All,
            value => value.parse().map_err(|e| format!("[auth] {e}"))?,
        };
        Ok(Authz { policy, anonymous })
    }

    /// How the HTTP transport authenticates: the JWKS file read; `users` is the users file the
    /// Thrift port's SASL already opened (one copy, re-read when it changes).
    pub fn http_auth(
        &self,
        users: Option<std::sync::Arc<strata_server::sasl::UsersFile>>,
    ) -> Result<strata_server::http::HttpAuth, String> {
        let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let jwt = match some(&self.jwt.jwks_file) {
            None => None,
            Some(jwks_file) => Some(
                strata_server::http::Jwt::load(&strata_server::http::JwtConfig {
                    jwks_file,
                    issuer: some(&self.jwt.issuer),
                    audience: some(&self.jwt.audience),
                    principal_claim: some(&self.jwt.principal_claim),
                    groups_claim: some(&self.jwt.groups_claim),
                })
                .map_err(|e| format!("[auth.jwt] jwks_file: {e}"))?,
            ),
        };
        Ok(strata_server::http::HttpAuth { jwt, users })
    }
}

/// The data-safety settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StorageSettings {
    /// Roots besides the warehouse whose contents Strata owns (moves on drop, truncate and
    /// rename; deletes in `strata gc --apply`). Default: none.
    pub managed_roots: Vec<String>,
    /// When set, new databases, tables and partitions must lie inside these roots or the
    /// managed ones. Default: none (off).
    pub allowed_roots: Vec<String>,
    /// Seconds a move's lease lasts: a move left open by a server that stopped is settled by a
    /// running server within about this long (plus a third of it) after its last renewal.
    pub move_lease_secs: f64,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self { managed_roots: Vec::new(), allowed_roots: Vec::new(), move_lease_secs: 30.0 }
    }
}

/// The admin HTTP listener: health, version, metrics, history UI.
#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Address to listen on; empty turns the listener (and the metrics) off.
    pub listen: String,
    /// Whether calls are counted and `/metrics` answers.
    pub metrics: bool,
}

impl AdminSettings {
    /// The address, unless the listener is off.
    #[must_use]
    pub fn address(&self) -> Option<&str> {
        Some(self.listen.trim()).filter(|a| !a.is_empty())
    }
}

/// The audit log of calls.
#[derive(Debug, Clone, Deserialize)]
pub struct AuditSettings {
    /// File the JSON lines are appended to; `-` is standard output; empty is off.
    pub log_file: String,
}

/// How to reach S3 or an S3-compatible store.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct S3Settings {
    /// Endpoint URL of an S3-compatible store (MinIO, Ceph, ...); AWS when unset.
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), needed by most S3-compatible stores.
    #[serde(default)]
    pub force_path_style: bool,
    /// Region, when the AWS chain gives none (default `us-east-1`).
    pub region: Option<String>,
}

/// The server-wide batch-ID policy.
#[derive(Debug, Clone, Deserialize)]
pub struct BatchSettings {
    /// `enforce` or `track`: the mode of tables without a `strata.batch.mode` parameter.
    pub default_mode: String,
    /// Under `enforce`, refuse a location swap to a directory that holds no data.
    pub require_data: bool,
}

/// Values given on the command line (they win over file and environment).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub warehouse: Option<String>,
    pub batch_default_mode: Option<String>,
    pub admin_listen: Option<String>,
    pub audit_log: Option<String>,
    /// `[storage] managed_roots`, comma-separated.
    pub managed_roots: Option<String>,
    /// `[storage] allowed_roots`, comma-separated.
    pub allowed_roots: Option<String>,
}

/// A comma-separated list of roots, without blanks (an empty value is an empty list).
fn root_list(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_string).collect()
}

impl Settings {
    /// Load the layered configuration.
    pub fn load(overrides: &Overrides) -> Result<Self, config::ConfigError> {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let data = cwd.join("strata-data");
        let mut builder = config::Config::builder()
            .set_default("listen", "127.0.0.1:9083")?
            .set_default("database_url", "sqlite://strata-data/strata.db")?
            .set_default("warehouse", format!("file://{}", data.join("warehouse").display()))?
            .set_default("max_message_size", 100 * 1024 * 1024)?
            .set_default("max_connections", 1024)?
            .set_default("idle_timeout_secs", 600)?
            .set_default("request_timeout_secs", 60)?
            .set_default("write_timeout_secs", 60)?
            .set_default("max_connections_per_peer", 256)?
            .set_default("max_paged_listings", 4)?
            .set_default("decode_bytes_per_byte", 16)?
            .set_default("lock_timeout_secs", 300)?
            .set_default("shutdown_grace_secs", 30)?
            .set_default("max_partitions_per_request", -1)?
            .set_default("log_format", "text")?
            .set_default("batch.default_mode", "enforce")?
            .set_default("batch.require_data", false)?
            .set_default("admin.listen", "127.0.0.1:9084")?
            .set_default("admin.metrics", true)?
            .set_default("audit.log_file", "")?
            .set_default("stats.fast", true)?
            .set_default("stats.fast_budget_ms", 5000)?;
        if let Some(file) = &overrides.config_file {
            builder = builder.add_source(config::File::from(file.as_path()).required(true));
        }
        builder = builder
            .add_source(
                // The root lists are comma-separated in the environment:
                // `STRATA_STORAGE__MANAGED_ROOTS=s3://lake/raw,file:///data/shared`.
                config::Environment::with_prefix("STRATA")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("storage.managed_roots")
                    .with_list_parse_key("storage.allowed_roots"),
            )
            .set_override_option("listen", overrides.listen.clone())?
            .set_override_option("database_url", overrides.database_url.clone())?
            .set_override_option("warehouse", overrides.warehouse.clone())?
            .set_override_option("batch.default_mode", overrides.batch_default_mode.clone())?
            .set_override_option("admin.listen", overrides.admin_listen.clone())?
            .set_override_option("audit.log_file", overrides.audit_log.clone())?
            .set_override_option("storage.managed_roots", overrides.managed_roots.as_deref().map(root_list))?
            .set_override_option("storage.allowed_roots", overrides.allowed_roots.as_deref().map(root_list))?;
        builder.build()?.try_deserialize()
    }

    /// The warehouse with a relative `file:` path made absolute.
    #[must_use]
    pub fn warehouse_uri(&self) -> String {
        if let Some(path) = self.warehouse.strip_prefix("file://") {
            if !path.starts_with('/') {
                let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                return format!("file://{}", cwd.join(path).display());
            }
        } else if self.warehouse.starts_with('/') {
            return format!("file://{}", self.warehouse);
        }
        self.warehouse.clone()
    }

    /// The catalog's batch policy. Errors name the bad value.
    pub fn batch_policy(&self) -> Result<strata_catalog::BatchPolicy, String> {
        let default_mode = self.batch.default_mode.parse().map_err(|e: strata_core::CatalogError| e.to_string())?;
        Ok(strata_catalog::BatchPolicy { default_mode, require_data: self.batch.require_data })
    }

    /// Storage for the locations Strata moves and checks: local files and S3.
    #[must_use]
    pub fn storages(&self) -> strata_storage::Storages {
        strata_storage::Storages::with_s3(strata_storage::s3::S3Storage::new(strata_storage::s3::S3Config {
            endpoint: self.s3.endpoint.clone(),
            force_path_style: self.s3.force_path_style,
            region: self.s3.region.clone(),
        }))
    }

    /// The catalog's configuration as the CLI commands use it (no per-request partition
    /// limit; `serve` sets its own).
    pub fn catalog_config(&self) -> Result<strata_catalog::CatalogConfig, String> {
        Ok(strata_catalog::CatalogConfig {
            warehouse: self.warehouse_uri(),
            lock_timeout: Duration::from_secs(self.lock_timeout_secs),
            max_partitions_per_request: None,
            batch: self.batch_policy()?,
            data: self.data_safety()?,
            stats: strata_catalog::faststats::FastStats {
                enabled: self.stats.fast,
                budget: Duration::from_millis(self.stats.fast_budget_ms),
                ..strata_catalog::faststats::FastStats::default()
            },
        })
    }

    /// The catalog every command works on: the database opened and migrated, with this
    /// storage and `config`.
    pub async fn open_catalog(
        &self,
        config: strata_catalog::CatalogConfig,
    ) -> Result<strata_catalog::Catalog, strata_core::CatalogError> {
        strata_catalog::Catalog::open(&self.database_url, self.storages(), config).await
    }

    /// The catalog's data-safety settings (a fresh server id per process).
    pub fn data_safety(&self) -> Result<strata_catalog::DataSafety, String> {
        let lease = self.storage.move_lease_secs;
        if !(lease.is_finite() && lease > 0.0) {
            return Err(format!("Invalid storage.move_lease_secs {lease}: expected a positive number of seconds"));
        }
        let canonical = |roots: &[String]| -> Result<Vec<String>, String> {
            roots
                .iter()
                .map(|r| r.trim())
                .filter(|r| !r.is_empty())
                .map(|r| {
                    strata_core::location::qualify(r, &self.warehouse_uri())
                        .map_err(|e| format!("Invalid storage root {r:?}: {}", e.message()))
                })
                .collect()
        };
        Ok(strata_catalog::DataSafety {
            managed_roots: canonical(&self.storage.managed_roots)?,
            allowed_roots: canonical(&self.storage.allowed_roots)?,
            move_lease: Duration::from_secs_f64(lease),
            ..strata_catalog::DataSafety::default()
        })
    }

    /// The server limits.
    #[must_use]
    pub fn server_config(&self) -> strata_server::ServerConfig {
        strata_server::ServerConfig {
            max_message_size: self.max_message_size,
            max_connections: self.max_connections,
            idle_timeout: Duration::from_secs(self.idle_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            write_timeout: Duration::from_secs(self.write_timeout_secs),
            max_connections_per_peer: self.max_connections_per_peer,
            max_paged_listings: self.max_paged_listings,
            decode_bytes_per_byte: self.decode_bytes_per_byte,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
        }
    }

    /// The database URL with any password hidden, for logs.
    #[must_use]
    pub fn redacted_database_url(&self) -> String {
        match (self.database_url.find("://"), self.database_url.find('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &self.database_url[s + 3..at];
                match creds.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &self.database_url[..s + 3], &self.database_url[at..]),
                    None => self.database_url.clone(),
                }
            }
            _ => self.database_url.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_and_passwords_are_hidden() {
        let s = Settings::load(&Overrides {
            database_url: Some("postgres://u:secret@h/db".into()),
            listen: Some("127.0.0.1:0".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(s.listen, "127.0.0.1:0");
        assert_eq!(s.redacted_database_url(), "postgres://u:***@h/db");
        assert!(s.warehouse_uri().starts_with("file:///"));
        assert_eq!(s.batch_policy().unwrap(), strata_catalog::BatchPolicy::default());
        assert_eq!(s.admin.address(), Some("127.0.0.1:9084"));
        assert!(s.admin.metrics);
        assert!(s.audit.log_file.is_empty());
        let off = Settings::load(&Overrides { admin_listen: Some(" ".into()), ..Overrides::default() }).unwrap();
        assert_eq!(off.admin.address(), None);
    }

    #[test]
    fn batch_mode_flag_is_checked() {
        let s =
            Settings::load(&Overrides { batch_default_mode: Some("track".into()), ..Overrides::default() }).unwrap();
        assert_eq!(s.batch_policy().unwrap().default_mode, strata_core::batch::Mode::Track);
        let s =
            Settings::load(&Overrides { batch_default_mode: Some("maybe".into()), ..Overrides::default() }).unwrap();
        assert!(s.batch_policy().unwrap_err().contains("'maybe'"));
    }

    /// The example configuration shipped in `deploy/` loads, and says what its comments say.
    #[test]
    fn the_deploy_example_config_loads() {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy/strata.toml");
        let s = Settings::load(&Overrides { config_file: Some(file), ..Overrides::default() }).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9083");
        assert_eq!(s.database_url, "postgres://strata@127.0.0.1:5432/strata");
        assert_eq!(s.warehouse_uri(), "file:///var/lib/strata/warehouse");
        assert_eq!(s.log_format, "json");
        assert_eq!(s.max_partitions_per_request, -1);
        assert_eq!(s.server_config().shutdown_grace, Duration::from_secs(30));
        assert_eq!(s.batch_policy().unwrap(), strata_catalog::BatchPolicy::default());
        assert!(s.s3.endpoint.is_none());
        let data = s.data_safety().unwrap();
        assert!(data.managed_roots.is_empty() && data.allowed_roots.is_empty());
        assert_eq!(data.move_lease, Duration::from_secs(30));
        assert_eq!(s.admin.address(), Some("0.0.0.0:9084"));
        assert!(s.admin.metrics);
        assert_eq!(s.audit.log_file, "-");
    }

    #[test]
    fn storage_roots_are_canonical_and_the_lease_positive() {
        let mut s = Settings::load(&Overrides::default()).unwrap();
        s.storage.managed_roots = vec!["file:/lake/".into(), "/data//x".into(), "s3a://b/k".into()];
        let data = s.data_safety().unwrap();
        assert_eq!(data.managed_roots, ["file:///lake", "file:///data/x", "s3://b/k"]);
        s.storage.managed_roots = vec!["file:///../x".into()];
        assert!(s.data_safety().unwrap_err().contains("file:///../x"));
        s.storage.managed_roots.clear();
        s.storage.move_lease_secs = 0.0;
        assert!(s.data_safety().unwrap_err().contains("move_lease_secs"));
    }

    #[test]
    fn storage_roots_come_from_flags_as_comma_separated_lists() {
        let s = Settings::load(&Overrides {
            managed_roots: Some("file:///lake/, s3a://b/k,".into()),
            allowed_roots: Some(String::new()),
            ..Overrides::default()
        })
        .unwrap();
        let data = s.data_safety().unwrap();
        assert_eq!(data.managed_roots, ["file:///lake", "s3://b/k"]);
        assert!(data.allowed_roots.is_empty());
        let mut s = s;
        s.storage.move_lease_secs = 0.0;
        assert!(s.data_safety().unwrap_err().contains("move_lease_secs"));
    }
}
