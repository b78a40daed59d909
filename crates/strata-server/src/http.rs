//! Thrift over HTTP, as Apache Hive 4's metastore serves it (`metastore.server.thrift.transport.mode
//! = http`): each call is one `POST /metastore` whose body is a binary-protocol message and
//! whose reply body is the binary-protocol answer (`Content-Type: application/x-thrift`).
//!
//! Authentication is per request: `Authorization: Bearer <JWT>` checked against a JWKS file
//! (RS256/ES256, issuer, audience), or `Authorization: Basic` checked against the users file.
//! Missing or bad credentials get `401 Unauthorized` with a `WWW-Authenticate` challenge per
//! scheme configured. HTTP is stateless, so is the session: `set_ugi`, `setMetaConf` and the
//! like last for the request that carries them.
//!
//! The same limits as the binary port apply: `max_message_size` bounds the body (413 over it),
//! the body must arrive within `request_timeout` (408 otherwise), the decode budget and NUL
//! check of [`crate::conn`] apply to the message, a connection with no traffic for
//! `idle_timeout` is closed, and a reply not taken by the client within `write_timeout` ends the
//! connection. Calls run on the blocking pool (the handler blocks on the catalog), never on the
//! runtime's workers.
//!
//! TLS: [`serve_connection`] serves any byte stream, so a TLS acceptor wraps the accepted
//! socket before handing it over (see [`serve_http`]'s `wrap`).

use std::{
    convert::Infallible,
    future::Future,
    io,
    net::SocketAddr,
    path::Path,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Incoming, header, Request, Response, StatusCode};
use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey, Validation};
use strata_catalog::authz::Anonymous;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{watch, Semaphore},
    time::Sleep,
};

use crate::{
    conn,
    identity::{AuthMethod, Principal},
    Handler, ServerConfig, Shared,
};

/// The path Hive 4 clients post to (`metastore.http.path` / `hive.metastore.http.path`).
pub const PATH: &str = "/metastore";

/// The content type of Thrift bodies.
pub const CONTENT_TYPE: &str = "application/x-thrift";

/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "strata";

/// How JWTs are checked (`[auth.jwt]`).
#[derive(Debug, Clone, Default)]
pub struct JwtConfig {
    /// The JSON Web Key Set whose keys sign the tokens.
    pub jwks_file: String,
    /// The required `iss`, if set.
    pub issuer: Option<String>,
    /// The required `aud`, if set.
    pub audience: Option<String>,
    /// The claim naming the principal (default `sub`).
    pub principal_claim: Option<String>,
    /// The claim listing the principal's groups (a string array or one string), if any.
    pub groups_claim: Option<String>,
}

/// A JWT checker: the keys, and what a token must say.
pub struct Jwt {
    keys: JwkSet,
    issuer: Option<String>,
    audience: Option<String>,
    principal_claim: String,
    groups_claim: Option<String>,
}

impl std::fmt::Debug for Jwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt").field("keys", &self.keys.keys.len()).field("issuer", &self.issuer).finish()
    }
}

impl Jwt {
    /// Read the JWKS file; errors name the file.
    pub fn load(config: &JwtConfig) -> Result<Self, String> {
        let path = Path::new(&config.jwks_file);
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let keys: JwkSet = serde_json::from_str(&text).map_err(|e| format!("{}: not a JWKS: {e}", path.display()))?;
        if keys.keys.is_empty() {
            return Err(format!("{}: the key set holds no key", path.display()));
        }
        Ok(Self {
            keys,
            issuer: config.issuer.clone().filter(|s| !s.is_empty()),
            audience: config.audience.clone().filter(|s| !s.is_empty()),
            principal_claim: config.principal_claim.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "sub".into()),
            groups_claim: config.groups_claim.clone().filter(|s| !s.is_empty()),
        })
    }

    /// The principal a token names, if its signature, expiry, issuer and audience check out.
    pub fn verify(&self, token: &str) -> Result<Principal, String> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| format!("malformed token: {e}"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(format!("token algorithm {:?} is not RS256 or ES256", header.alg));
        }
        let jwk = match &header.kid {
            Some(kid) => self.keys.find(kid).ok_or_else(|| format!("no key with kid {kid:?}"))?,
            None if self.keys.keys.len() == 1 => &self.keys.keys[0],
            None => return Err("token has no kid and the key set holds several keys".to_string()),
        };
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("unusable key: {e}"))?;
        let mut validation = Validation::new(header.alg);
        validation.set_required_spec_claims(&["exp"]);
        match &self.audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        if let Some(iss) = &self.issuer {
            validation.set_issuer(&[iss]);
        }
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
            .map_err(|e| format!("token refused: {e}"))?;
        let claims = data.claims;
        let name = claims
            .get(&self.principal_claim)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("token has no {:?} claim", self.principal_claim))?
            .to_string();
        let groups = match self.groups_claim.as_ref().and_then(|c| claims.get(c)) {
            Some(serde_json::Value::Array(items)) => {
                items.iter().filter_map(serde_json::Value::as_str).map(str::to_string).collect()
            }
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Ok(Principal { name, groups, method: AuthMethod::Jwt })
    }
}

/// How HTTP requests authenticate. With neither, requests are anonymous (and the
/// authorization policy's `anonymous` setting decides).
#[derive(Debug, Default)]
pub struct HttpAuth {
    /// Bearer tokens.
    pub jwt: Option<Jwt>,
    /// Basic credentials, checked against the users file.
    pub users: Option<Arc<crate::sasl::UsersFile>>,
}

impl HttpAuth {
    fn any(&self) -> bool {
        self.jwt.is_some() || self.users.is_some()
    }

    /// One challenge per scheme configured.
    fn challenges(&self, error: Option<&str>) -> Vec<String> {
        let mut out = Vec::new();
        if self.jwt.is_some() {
            out.push(match error {
                Some(e) => format!("Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{e}\""),
                None => format!("Bearer realm=\"{REALM}\""),
            });
        }
        if self.users.is_some() {
            out.push(format!("Basic realm=\"{REALM}\", charset=\"UTF-8\""));
        }
        out
    }

    /// The principal of a request: `Ok(None)` for an anonymous one, `Err` for bad credentials.
    fn authenticate(&self, authorization: Option<&str>) -> Result<Option<Principal>, String> {
        let Some(value) = authorization else { return Ok(None) };
        let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            let Some(jwt) = &self.jwt else { return Err("bearer tokens are not accepted".to_string()) };
            return jwt.verify(rest).map(Some);
        }
        if scheme.eq_ignore_ascii_case("basic") {
            let Some(users) = &self.users else { return Err("basic credentials are not accepted".to_string()) };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| "malformed basic credentials".to_string())?;
            let (name, password) = decoded.split_once(':').ok_or_else(|| "malformed basic credentials".to_string())?;
            return match users.users().verify(name, password) {
                Some(groups) => Ok(Some(Principal { name: name.to_string(), groups, method: AuthMethod::HttpBasic })),
                None => Err("wrong user name or password".to_string()),
            };
        }
        Err(format!("unsupported authorization scheme {scheme:?}"))
    }
}

/// What every HTTP connection shares.
#[derive(Debug)]
pub struct HttpServer {
    pub shared: Arc<Shared>,
    pub config: ServerConfig,
    pub auth: HttpAuth,
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, text: &str) -> Reply {
    let mut r = Response::new(Full::new(Bytes::from(format!("{text}\n"))));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// One request: route, authenticate, read the body within limits, run the call on the
/// blocking pool.
async fn handle(req: Request<Incoming>, peer: SocketAddr, server: Arc<HttpServer>) -> Result<Reply, Infallible> {
    if req.uri().path() != PATH {
        return Ok(reply(StatusCode::NOT_FOUND, "not found; Thrift over HTTP is served at /metastore"));
    }
    if req.method() != hyper::Method::POST {
        let mut r = reply(StatusCode::METHOD_NOT_ALLOWED, "Thrift calls are POSTed");
        r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return Ok(r);
    }
    let metrics = server.shared.metrics.clone();
    let unauthorized = |why: &str, error: Option<&str>| {
        if let Some(m) = &metrics {
            m.rejected("http_unauthorized");
        }
        tracing::info!(%peer, reason = why, "HTTP request refused: not authenticated");
        let mut r = reply(StatusCode::UNAUTHORIZED, "authentication required");
        for challenge in server.auth.challenges(error) {
            if let Ok(v) = header::HeaderValue::from_str(&challenge) {
                r.headers_mut().append(header::WWW_AUTHENTICATE, v);
            }
        }
        r
    };
    let authorization = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    let principal = if server.auth.any() {
        match server.auth.authenticate(authorization.as_deref()) {
            Ok(Some(p)) => Some(p),
            // No credentials: anonymous, if anonymous callers may do anything at all.
            Ok(None) if server.shared.authz.anonymous != Anonymous::Deny => None,
            Ok(None) => return Ok(unauthorized("no credentials", None)),
            Err(why) => {
                let error = authorization
                    .as_deref()
                    .is_some_and(|a| a.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("bearer")));
                return Ok(unauthorized(&why, error.then_some("the token was refused")));
            }
        }
    } else {
        None
    };
    let max = server.config.max_message_size;
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Ok(reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body exceeds the maximum message size of {max} bytes"),
        ));
    }
    let body = Limited::new(req.into_body(), max);
    let body = match tokio::time::timeout(server.config.request_timeout, body.collect()).await {
        Err(_) => return Ok(reply(StatusCode::REQUEST_TIMEOUT, "request not received whole within request_timeout")),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Ok(reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body exceeds the maximum message size of {max} bytes"),
            ))
        }
        Ok(Err(e)) => return Ok(reply(StatusCode::BAD_REQUEST, &format!("could not read the body: {e}"))),
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let started = std::time::Instant::now();
    let srv = server.clone();
    let bytes_in = body.len() as u64;
    let processed = tokio::task::spawn_blocking(move || {
        let handler = match principal {
            Some(p) => Handler::authenticated(srv.shared.clone(), peer, p),
            None => Handler::new(srv.shared.clone(), peer),
        };
        conn::process_message(&handler, &body, &srv.config)
    })
    .await;
    let Ok(processed) = processed else {
        tracing::error!(%peer, "HTTP call panicked");
        return Ok(reply(StatusCode::INTERNAL_SERVER_ERROR, "internal error"));
    };
    if let (Some(m), Some(method)) = (&metrics, &processed.method) {
        m.call(m.method(method), started.elapsed(), bytes_in, processed.reply.len() as u64);
    }
    if processed.malformed {
        tracing::warn!(%peer, method = processed.method.as_deref().unwrap_or("?"), "malformed Thrift-over-HTTP request");
    }
    if processed.reply.is_empty() {
        return Ok(reply(StatusCode::BAD_REQUEST, "not a Thrift binary-protocol call"));
    }
    let mut r = Response::new(Full::new(Bytes::from(processed.reply)));
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(CONTENT_TYPE));
    Ok(r)
}

/// Serve HTTP on one accepted stream (plain TCP, or TLS wrapped around it) until the client
/// leaves, the connection idles out, or `stop` turns true (then in-flight requests finish).
pub async fn serve_connection<S>(stream: S, peer: SocketAddr, server: Arc<HttpServer>, stop: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io =
        hyper_util::rt::TokioIo::new(Deadlines::new(stream, server.config.idle_timeout, server.config.write_timeout));
    let srv = server.clone();
    let service = hyper::service::service_fn(move |req| handle(req, peer, srv.clone()));
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(server.config.request_timeout)
        .serve_connection(io, service);
    tokio::pin!(conn);
    // The watch's guard must not live across the await below (it is not Send).
    let stopped = async move {
        let mut stop = stop;
        let _ = stop.wait_for(|s| *s).await;
    };
    tokio::pin!(stopped);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        () = &mut stopped => {
            conn.as_mut().graceful_shutdown();
            conn.as_mut().await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "HTTP connection ended");
    }
}

/// A hook that turns an accepted TCP stream into the stream served (TLS goes here).
pub type Wrap =
    Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = io::Result<Box<dyn Stream>>> + Send>> + Send + Sync>;

/// The [`Wrap`] of HTTPS: a TLS handshake with the Thrift port's certificate (reloaded as it
/// is), to be finished within `deadline`. Client certificates are checked as on the Thrift
/// port when `[tls] client_ca_file` is set; the principal still comes from the request's
/// `Authorization` header.
#[must_use]
pub fn tls_wrap(tls: Arc<crate::tls::Reloader>, deadline: std::time::Duration) -> Wrap {
    Arc::new(move |tcp: TcpStream| {
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.current());
        Box::pin(async move {
            let stream = tokio::time::timeout(deadline, acceptor.accept(tcp))
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake not finished in time"))??;
            Ok(Box::new(stream) as Box<dyn Stream>)
        })
    })
}

/// A byte stream HTTP is served on.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Serve Thrift over HTTP on `listener` until `shutdown` completes; then stop accepting and let
/// requests in flight finish (up to `shutdown_grace`). `wrap`, if given, turns each accepted
/// socket into the stream served (a TLS handshake); a stream it fails on is dropped.
pub async fn serve_http(
    listener: TcpListener,
    server: Arc<HttpServer>,
    wrap: Option<Wrap>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let max = u32::try_from(server.config.max_connections.max(1)).unwrap_or(u32::MAX);
    let slots = Arc::new(Semaphore::new(max as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = slots.clone().acquire_owned() => permit.map_err(io::Error::other)?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "HTTP accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (server, stop, wrap) = (server.clone(), stop_rx.clone(), wrap.clone());
        tokio::spawn(async move {
            let _permit = permit;
            match wrap {
                None => serve_connection(stream, peer, server, stop).await,
                Some(wrap) => {
                    let handshake = tokio::time::timeout(server.config.request_timeout, wrap(stream)).await;
                    match handshake {
                        Ok(Ok(s)) => serve_connection(s, peer, server, stop).await,
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "HTTP connection refused"),
                        Err(_) => tracing::info!(%peer, "HTTP connection refused: handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    match tokio::time::timeout(server.config.shutdown_grace, slots.acquire_many(max)).await {
        Ok(_) => tracing::info!("HTTP transport stopped"),
        Err(_) => tracing::warn!("HTTP requests still running after the shutdown grace period"),
    }
    Ok(())
}

/// A stream whose reads fail after `idle` without a byte and whose writes fail after `write`
/// without progress (a client that stops reading cannot hold the connection).
struct Deadlines<S> {
    inner: S,
    idle: Duration,
    write: Duration,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

impl<S> Deadlines<S> {
    fn new(inner: S, idle: Duration, write: Duration) -> Self {
        Self { inner, idle, write, read_timer: None, write_timer: None }
    }
}

/// `Pending` until `timer` (started on first use) fires, then a timeout error.
fn expired(timer: &mut Option<Pin<Box<Sleep>>>, after: Duration, cx: &mut Context<'_>, what: &str) -> Poll<io::Error> {
    let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
    match sleep.as_mut().poll(cx) {
        Poll::Ready(()) => Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, what.to_string())),
        Poll::Pending => Poll::Pending,
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Deadlines<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.read_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => expired(&mut this.read_timer, this.idle, cx, "connection idle").map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Deadlines<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                this.write_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                expired(&mut this.write_timer, this.write, cx, "reply not read within write_timeout").map(Err)
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(r) => {
                this.write_timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                expired(&mut this.write_timer, this.write, cx, "reply not read within write_timeout").map(Err)
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials() {
        let file = std::env::temp_dir().join(format!("strata-http-users-{}", std::process::id()));
        std::fs::write(&file, format!("ann:{}:etl\n", crate::users::Users::hash("pw"))).unwrap();
        let users = crate::sasl::UsersFile::open(file.clone()).unwrap();
        let auth = HttpAuth { jwt: None, users: Some(Arc::new(users)) };
        let basic = |s: &str| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(s));
        let p = auth.authenticate(Some(&basic("ann:pw"))).unwrap().unwrap();
        assert_eq!(
            (p.name.as_str(), p.groups.clone(), p.method),
            ("ann", vec!["etl".to_string()], AuthMethod::HttpBasic)
        );
        assert!(auth.authenticate(Some(&basic("ann:nope"))).is_err());
        assert!(auth.authenticate(Some("Basic !!!")).is_err());
        assert!(auth.authenticate(Some("Bearer x.y.z")).is_err());
        assert!(auth.authenticate(None).unwrap().is_none());
        assert_eq!(auth.challenges(None), vec!["Basic realm=\"strata\", charset=\"UTF-8\"".to_string()]);
        let _ = std::fs::remove_file(&file);
    }
}
