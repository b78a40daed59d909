//! SASL on the binary transport, framed as Thrift's `TSaslServerTransport`:
//!
//! ```text
//! negotiation: status (1 byte) + payload length (4 bytes, big-endian) + payload
//!   START=1 (payload: mechanism name), OK=2, BAD=3, ERROR=4, COMPLETE=5
//! afterwards:  every message behind a 4-byte big-endian length (as the framed transport)
//! ```
//!
//! The server reads START, then the client's responses (OK, or COMPLETE), feeding each to the
//! [`Mechanism`] until it completes (the server answers COMPLETE) or fails (BAD with a reason,
//! then the connection closes). Mechanisms other than PLAIN (GSSAPI for Kerberos) plug in by
//! implementing [`Mechanism`] and being returned from [`Authenticator::mechanism`].
//! Strata negotiates no security layer (QOP `auth`): after COMPLETE, messages are plain frames.

use std::{
    io::{self, Read, Write},
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, SystemTime},
};

use crate::{
    identity::{AuthMethod, Principal},
    users::Users,
};

/// Negotiation status bytes.
pub const START: u8 = 1;
/// The exchange goes on.
pub const OK: u8 = 2;
/// Authentication failed (payload: the reason).
pub const BAD: u8 = 3;
/// Protocol error (payload: the reason).
pub const ERROR: u8 = 4;
/// Authentication complete.
pub const COMPLETE: u8 = 5;

/// Longest negotiation payload accepted (a Kerberos token with a large PAC fits).
pub const MAX_PAYLOAD: usize = 64 * 1024;

/// Most negotiation rounds after START.
const MAX_ROUNDS: usize = 16;

/// The outcome of one step of a mechanism.
#[derive(Debug)]
pub enum Step {
    /// Send this challenge (status OK) and wait for the client's next response.
    Challenge(Vec<u8>),
    /// Authenticated; send COMPLETE with this payload.
    Complete(Principal, Vec<u8>),
    /// Refused, with a reason for the log (the client gets a generic one).
    Refused(String),
}

/// One SASL mechanism's server side, for one connection.
pub trait Mechanism {
    /// Evaluate the client's response.
    fn step(&mut self, response: &[u8]) -> Step;
}

/// Hands out mechanisms by name.
pub trait Authenticator: Send + Sync + std::fmt::Debug {
    /// A fresh server side of `name`, or None when it is not offered.
    fn mechanism(&self, name: &str) -> Option<Box<dyn Mechanism + '_>>;
}

/// Checks a user name and password.
pub trait PasswordCheck: Send + Sync + std::fmt::Debug {
    /// The principal when the password is right.
    fn check(&self, user: &str, password: &str) -> Option<Principal>;
}

/// SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password` in one response.
#[derive(Debug)]
pub struct Plain<'a> {
    check: &'a dyn PasswordCheck,
}

impl Mechanism for Plain<'_> {
    fn step(&mut self, response: &[u8]) -> Step {
        let mut parts = response.split(|b| *b == 0);
        let (Some(authzid), Some(authcid), Some(password), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Step::Refused("malformed PLAIN response".to_string());
        };
        let (Ok(authzid), Ok(user), Ok(password)) =
            (std::str::from_utf8(authzid), std::str::from_utf8(authcid), std::str::from_utf8(password))
        else {
            return Step::Refused("PLAIN response is not UTF-8".to_string());
        };
        if user.is_empty() || password.is_empty() {
            return Step::Refused(format!("empty user name or password for {user:?}"));
        }
        // Acting for someone else is set_ugi's job (for [auth] proxy_users), not PLAIN's.
        if !authzid.is_empty() && authzid != user {
            return Step::Refused(format!("user {user:?} asked to act as {authzid:?}"));
        }
        match self.check.check(user, password) {
            Some(principal) => Step::Complete(principal, Vec::new()),
            None => Step::Refused(format!("wrong password or unknown user {user:?}")),
        }
    }
}

/// The users file, re-read when its modification time changes.
#[derive(Debug)]
pub struct UsersFile {
    path: PathBuf,
    loaded: Mutex<(Option<SystemTime>, Users)>,
}

impl UsersFile {
    /// Read `path` now (an error stops the server from starting).
    pub fn open(path: PathBuf) -> io::Result<Self> {
        let stamp = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let users = Users::load(&path)?;
        Ok(Self { path, loaded: Mutex::new((stamp, users)) })
    }

    /// The users as the file says now (the last good version if it cannot be read).
    #[must_use]
    pub fn users(&self) -> Users {
        let stamp = std::fs::metadata(&self.path).and_then(|m| m.modified()).ok();
        let mut loaded = self.loaded.lock().unwrap_or_else(PoisonError::into_inner);
        if loaded.0 != stamp {
            match Users::load(&self.path) {
                Ok(users) => {
                    tracing::info!(file = %self.path.display(), "users file reloaded");
                    *loaded = (stamp, users);
                }
                Err(e) => {
                    tracing::error!(error = %e, "users file unreadable; keeping the previous version");
                    loaded.0 = stamp;
                }
            }
        }
        loaded.1.clone()
    }

    /// Whether the file names `user`.
    #[must_use]
    pub fn contains(&self, user: &str) -> bool {
        self.users().contains(user)
    }
}

/// LDAP simple bind: `bind_dn_template` with `{user}` replaced by the (DN-escaped) user name.
#[derive(Debug, Clone)]
pub struct Ldap {
    /// `ldap://host:port` (or `ldaps://`, not built in: front it with TLS).
    pub url: String,
    /// E.g. `uid={user},ou=people,dc=example,dc=org`.
    pub bind_dn_template: String,
    /// Connect and bind must finish within this time.
    pub timeout: Duration,
}

impl Ldap {
    /// Whether a simple bind as `user` with `password` succeeds. Runs on `runtime` (the
    /// caller is a connection thread, not a runtime thread).
    fn bind(&self, runtime: &tokio::runtime::Handle, user: &str, password: &str) -> Result<(), String> {
        // An empty password is an unauthenticated bind, which LDAP servers accept: never.
        if password.is_empty() {
            return Err("empty password".to_string());
        }
        let dn = self.bind_dn_template.replace("{user}", &ldap3::dn_escape(user));
        let settings = ldap3::LdapConnSettings::new().set_conn_timeout(self.timeout);
        let attempt = async {
            let (conn, mut ldap) =
                ldap3::LdapConnAsync::with_settings(settings, &self.url).await.map_err(|e| e.to_string())?;
            ldap3::drive!(conn);
            let result = ldap.simple_bind(&dn, password).await.map_err(|e| e.to_string())?;
            let _ = ldap.unbind().await;
            result.success().map(|_| ()).map_err(|e| e.to_string())
        };
        // The timer must be made inside the runtime (this is a connection thread).
        match runtime.block_on(async { tokio::time::timeout(self.timeout, attempt).await }) {
            Ok(r) => r,
            Err(_) => Err(format!("LDAP bind did not finish within {:?}", self.timeout)),
        }
    }
}

/// Where PLAIN passwords are checked: the users file first, then LDAP.
#[derive(Debug)]
pub struct PasswordSources {
    /// The users file, if configured.
    pub users: Option<Arc<UsersFile>>,
    /// LDAP, if configured.
    pub ldap: Option<Ldap>,
    /// The runtime LDAP binds run on.
    pub runtime: tokio::runtime::Handle,
}

impl PasswordCheck for PasswordSources {
    fn check(&self, user: &str, password: &str) -> Option<Principal> {
        if let Some(file) = &self.users {
            let users = file.users();
            if let Some(groups) = users.verify(user, password) {
                return Some(Principal { name: user.to_string(), groups, method: AuthMethod::SaslPlain });
            }
            // A user of the file is decided by the file.
            if users.contains(user) {
                return None;
            }
        }
        let ldap = self.ldap.as_ref()?;
        match ldap.bind(&self.runtime, user, password) {
            Ok(()) => Some(Principal { name: user.to_string(), groups: Vec::new(), method: AuthMethod::Ldap }),
            Err(e) => {
                tracing::debug!(user, error = %e, "LDAP bind refused");
                None
            }
        }
    }
}

impl Authenticator for PasswordSources {
    fn mechanism(&self, name: &str) -> Option<Box<dyn Mechanism + '_>> {
        (name == "PLAIN").then(|| Box::new(Plain { check: self }) as Box<dyn Mechanism + '_>)
    }
}

/// `[auth] mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// No authentication: any client may call, `set_ugi` names the user (Apache HMS's
    /// `hive.metastore.sasl.enabled=false`).
    #[default]
    NoSasl,
    /// SASL PLAIN, checked against the users file and/or LDAP.
    Plain,
}

/// How connections are authenticated, and who may do what as whom.
#[derive(Debug, Default)]
pub struct AuthSettings {
    /// NOSASL or PLAIN.
    pub mode: AuthMode,
    /// Where PLAIN passwords are checked (required with [`AuthMode::Plain`]).
    pub passwords: Option<PasswordSources>,
    /// Principals whose `set_ugi` user becomes the actor (services acting for their users).
    pub proxy_users: Vec<String>,
    /// Principals (or, without authentication, `set_ugi` users) that may release, heartbeat
    /// and check anyone's lock.
    pub admins: Vec<String>,
}

/// How a negotiation ended when it did not authenticate.
#[derive(Debug)]
pub enum Failure {
    /// The client is not speaking SASL (first byte not a status); nothing was sent.
    NotSasl,
    /// A protocol violation (answered with ERROR where possible).
    Protocol(String),
    /// Refused credentials or mechanism (answered with BAD).
    Refused(String),
    /// The connection failed or closed.
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

/// Read one negotiation message: status and payload. Nothing is allocated for a length the
/// client declares beyond [`MAX_PAYLOAD`].
pub fn read_message(stream: &mut impl Read) -> Result<(u8, Vec<u8>), Failure> {
    let mut header = [0u8; 5];
    stream.read_exact(&mut header)?;
    let status = header[0];
    if !(START..=COMPLETE).contains(&status) {
        return Err(Failure::Protocol(format!("Invalid status {}", status as i8)));
    }
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]) as usize;
    if len > MAX_PAYLOAD {
        return Err(Failure::Protocol(format!("SASL message of {len} bytes exceeds {MAX_PAYLOAD}")));
    }
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload)?;
    Ok((status, payload))
}

/// Write one negotiation message.
pub fn write_message(stream: &mut impl Write, status: u8, payload: &[u8]) -> io::Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| io::Error::other("SASL payload too long"))?;
    let mut message = Vec::with_capacity(5 + payload.len());
    message.push(status);
    message.extend_from_slice(&len.to_be_bytes());
    message.extend_from_slice(payload);
    stream.write_all(&message)?;
    stream.flush()
}

/// What the client is told on a refusal (the reason is logged, not sent).
pub const REFUSED: &str = "Error validating the login";

/// Run the server side of the negotiation on `stream` (whose reads and writes the caller bounds
/// by a deadline). On failure the client has been sent BAD or ERROR where the protocol allows.
pub fn negotiate(stream: &mut (impl Read + Write), auth: &dyn Authenticator) -> Result<Principal, Failure> {
    let mut first = [0u8; 1];
    stream.read_exact(&mut first)?;
    if !(START..=COMPLETE).contains(&first[0]) {
        return Err(Failure::NotSasl);
    }
    let mut chained = io::Read::chain(&first[..], &mut *stream);
    let (status, payload) = read_message(&mut chained).or_else(|f| fail(stream, f))?;
    if status != START {
        return fail(stream, Failure::Protocol(format!("Expecting START status, received {status}")));
    }
    let name = String::from_utf8_lossy(&payload).into_owned();
    let Some(mut mechanism) = auth.mechanism(&name) else {
        return fail(stream, Failure::Refused(format!("Unsupported mechanism type {name}")));
    };
    for _ in 0..MAX_ROUNDS {
        let (status, response) = read_message(stream).or_else(|f| fail(stream, f))?;
        if status != OK && status != COMPLETE {
            return fail(stream, Failure::Protocol(format!("Expected COMPLETE or OK, got {status}")));
        }
        match mechanism.step(&response) {
            Step::Challenge(challenge) => write_message(stream, OK, &challenge)?,
            Step::Complete(principal, last) => {
                write_message(stream, COMPLETE, &last)?;
                return Ok(principal);
            }
            Step::Refused(reason) => return fail(stream, Failure::Refused(reason)),
        }
    }
    fail(stream, Failure::Protocol("too many SASL negotiation rounds".to_string()))
}

/// Tell the client why (BAD for a refusal, ERROR for a protocol violation), then fail.
fn fail<T>(stream: &mut impl Write, failure: Failure) -> Result<T, Failure> {
    let sent = match &failure {
        Failure::Refused(reason) if reason.starts_with("Unsupported mechanism") => {
            write_message(stream, BAD, reason.as_bytes())
        }
        Failure::Refused(_) => write_message(stream, BAD, REFUSED.as_bytes()),
        Failure::Protocol(reason) => write_message(stream, ERROR, reason.as_bytes()),
        Failure::NotSasl | Failure::Io(_) => Ok(()),
    };
    if let Err(e) = sent {
        tracing::debug!(error = %e, "could not send the SASL failure to the client");
    }
    Err(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Fixed;

    impl PasswordCheck for Fixed {
        fn check(&self, user: &str, password: &str) -> Option<Principal> {
            (user == "alice" && password == "secret").then(|| Principal {
                name: user.to_string(),
                groups: vec![],
                method: AuthMethod::SaslPlain,
            })
        }
    }

    impl Authenticator for Fixed {
        fn mechanism(&self, name: &str) -> Option<Box<dyn Mechanism + '_>> {
            (name == "PLAIN").then(|| Box::new(Plain { check: self }) as Box<dyn Mechanism + '_>)
        }
    }

    /// A client's bytes in, the server's bytes out.
    struct Duplex {
        input: io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn client(messages: &[(u8, &[u8])]) -> Duplex {
        let mut input = Vec::new();
        for (status, payload) in messages {
            write_message(&mut input, *status, payload).unwrap();
        }
        Duplex { input: io::Cursor::new(input), output: Vec::new() }
    }

    #[test]
    fn plain_with_the_right_password_completes() {
        let mut d = client(&[(START, b"PLAIN"), (OK, b"\0alice\0secret")]);
        let p = negotiate(&mut d, &Fixed).unwrap();
        assert_eq!(p.name, "alice");
        assert_eq!(d.output, vec![COMPLETE, 0, 0, 0, 0]);
    }

    #[test]
    fn wrong_password_gets_bad() {
        let mut d = client(&[(START, b"PLAIN"), (OK, b"alice\0alice\0nope")]);
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::Refused(_))));
        assert_eq!(d.output[0], BAD);
    }

    #[test]
    fn protocol_violations_get_error_or_nothing() {
        let mut d = client(&[(OK, b"PLAIN")]);
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::Protocol(_))));
        assert_eq!(d.output[0], ERROR);
        let mut d = client(&[(START, b"GSSAPI")]);
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::Refused(_))));
        assert_eq!(d.output[0], BAD);
        let mut d = Duplex { input: io::Cursor::new(vec![0x80, 1, 0, 1]), output: Vec::new() };
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::NotSasl)));
        assert!(d.output.is_empty());
        // A huge declared length is refused before anything is allocated for it.
        let mut d = Duplex { input: io::Cursor::new(vec![START, 0x7f, 0xff, 0xff, 0xff]), output: Vec::new() };
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::Protocol(_))));
        // Truncated: the client left.
        let mut d = Duplex { input: io::Cursor::new(vec![START, 0, 0, 0, 5, b'P']), output: Vec::new() };
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::Io(_))));
        // Too many parts.
        let mut d = client(&[(START, b"PLAIN"), (OK, b"\0alice\0secret\0x")]);
        assert!(matches!(negotiate(&mut d, &Fixed), Err(Failure::Refused(_))));
    }
}
