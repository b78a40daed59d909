//! Who is on the other end of a connection, as its transport established it.

/// How a principal proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A TLS client certificate (its subject's CN).
    TlsClientCert,
    /// SASL PLAIN checked against the users file.
    SaslPlain,
    /// SASL PLAIN checked by an LDAP simple bind.
    Ldap,
    /// A bearer JWT on the HTTP transport.
    Jwt,
    /// HTTP Basic checked against the users file.
    HttpBasic,
}

/// An authenticated principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub groups: Vec<String>,
    pub method: AuthMethod,
}
