"""TLS, SASL PLAIN (users file and LDAP), the authenticated actor and lock ownership, with real
clients against a running ``strata serve``:

* Python Thrift over ``TSSLSocket`` (certificates made here with ``cryptography``); a plain
  client on the TLS port is refused; with ``client_ca_file`` a client certificate is required
  and its subject CN is the actor in the history.
* SASL PLAIN with ``thrift_sasl`` + ``pure-sasl``: right password, wrong password, a nosasl
  client on a PLAIN server; LDAP simple bind against a real ``slapd`` started here (Debian's
  ``slapd`` is installed with apt-get when missing).
* ``set_ugi("someone_else")`` on an authenticated connection does not change the actor; a
  proxy user's does; only a lock's owner or an admin may release or heartbeat it.
* Malformed SASL handshakes (wrong status, huge length, truncated, slowloris) and garbage on
  the TLS port close that one connection only: others are served meanwhile, no panic.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore
from hmsclient.genthrift.hive_metastore.ttypes import (
    CheckLockRequest,
    HeartbeatRequest,
    LockComponent,
    LockLevel,
    LockRequest,
    LockState,
    LockType,
    NoSuchLockException,
    UnlockRequest,
)
from thrift.protocol import TBinaryProtocol
from thrift.transport import THttpClient, TSocket, TSSLSocket, TTransport

from conftest import BACKENDS, free_port, port_accepts, running_strata, strata_binary
from differential import db_obj, new_part
from hms_helpers import drain_close, make_table

SQLITE_ONLY = [b for b in BACKENDS if b == "sqlite"] or [b for b in BACKENDS if b != "external"][:1]
STORE_BACKENDS = [b for b in BACKENDS if b != "external"]
PASSWORDS = {"alice": "alice-secret", "svc": "svc-secret", "root_admin": "admin-secret", "mallory": "m-secret"}
LDAP_USERS = {"lara": "lara-ldap-pw"}
LDAP_SUFFIX = "dc=example,dc=org"


# --------------------------------------------------------------------------- certificates


def _certs(directory: Path) -> dict:
    """A CA, a server certificate for 127.0.0.1/localhost, client certificates for alice and
    for a CN-less subject, and one from another CA; PEM files in `directory`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def key():
        return ec.generate_private_key(ec.SECP256R1())

    def write_key(k, name):
        path = directory / name
        path.write_bytes(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        return path

    def write_cert(c, name):
        path = directory / name
        path.write_bytes(c.public_bytes(serialization.Encoding.PEM))
        return path

    def ca(cn):
        k = key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        c = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                          content_commitment=False, key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, encipher_only=False, decipher_only=False),
                            critical=True)
             .sign(k, hashes.SHA256()))
        return k, c

    def leaf(ca_key, ca_cert, subject, server: bool):
        k = key()
        b = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(ca_cert.subject)
             .public_key(k.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server
                                                   else ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                critical=False)
        return k, b.sign(ca_key, hashes.SHA256())

    ca_key, ca_cert = ca("strata test CA")
    other_key, other_cert = ca("someone else's CA")
    files = {"ca": write_cert(ca_cert, "ca.pem")}
    for name, signer, subject, server in [
        ("server", (ca_key, ca_cert), [x509.NameAttribute(NameOID.COMMON_NAME, "localhost")], True),
        ("server2", (ca_key, ca_cert), [x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
                                        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "renewed")], True),
        ("alice", (ca_key, ca_cert), [x509.NameAttribute(NameOID.COMMON_NAME, "alice")], False),
        ("nocn", (ca_key, ca_cert), [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "no common name")], False),
        ("stranger", (other_key, other_cert), [x509.NameAttribute(NameOID.COMMON_NAME, "stranger")], False),
    ]:
        k, c = leaf(*signer, subject, server)
        files[name] = (write_cert(c, f"{name}.pem"), write_key(k, f"{name}.key"))
    return files


# --------------------------------------------------------------------------- slapd


def _ensure_slapd() -> str | None:
    slapd = shutil.which("slapd") or (Path("/usr/sbin/slapd").exists() and "/usr/sbin/slapd") or None
    if slapd:
        return slapd
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "slapd", "ldap-utils"],
                       env=env, capture_output=True, timeout=600)
        # Debian's postinst may start a system slapd; ours runs on its own port regardless.
    return shutil.which("slapd") or (Path("/usr/sbin/slapd").exists() and "/usr/sbin/slapd") or None


def _start_slapd(directory: Path):
    """A slapd of this test's own on a free port, with `LDAP_USERS` under ou=people."""
    slapd = _ensure_slapd()
    if not slapd:
        pytest.fail("slapd is not installed and could not be installed with apt-get")
    (directory / "db").mkdir()
    conf = directory / "slapd.conf"
    modules = next((p for p in ("/usr/lib/ldap", "/usr/lib/x86_64-linux-gnu/ldap", "/usr/lib64/openldap")
                    if Path(p, "back_mdb.so").exists() or Path(p, "back_mdb.la").exists()), None)
    conf.write_text("\n".join([
        "include /etc/ldap/schema/core.schema",
        "include /etc/ldap/schema/cosine.schema",
        "include /etc/ldap/schema/inetorgperson.schema",
        *([f"modulepath {modules}", "moduleload back_mdb"] if modules else []),
        f"pidfile {directory}/slapd.pid",
        "database mdb",
        f'suffix "{LDAP_SUFFIX}"',
        f'rootdn "cn=admin,{LDAP_SUFFIX}"',
        "rootpw admin-pw",
        f"directory {directory}/db",
        "",
    ]))
    ldif = [f"dn: {LDAP_SUFFIX}", "objectClass: dcObject", "objectClass: organization", "o: example", "dc: example",
            "", f"dn: ou=people,{LDAP_SUFFIX}", "objectClass: organizationalUnit", "ou: people", ""]
    for user, password in LDAP_USERS.items():
        ldif += [f"dn: uid={user},ou=people,{LDAP_SUFFIX}", "objectClass: inetOrgPerson", f"uid: {user}",
                 f"cn: {user}", f"sn: {user}", f"userPassword: {password}", ""]
    (directory / "users.ldif").write_text("\n".join(ldif))
    slapadd = shutil.which("slapadd") or "/usr/sbin/slapadd"
    done = subprocess.run([slapadd, "-f", str(conf), "-l", str(directory / "users.ldif")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    port = free_port()
    log = open(directory / "slapd.log", "wb")
    proc = subprocess.Popen([slapd, "-d", "0", "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/"],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"slapd did not start: {(directory / 'slapd.log').read_text(errors='replace')}")
            time.sleep(0.05)
    return proc, f"ldap://127.0.0.1:{port}"


# --------------------------------------------------------------------------- servers


def _add_user(users_file: Path, name: str, password: str) -> None:
    proc = subprocess.run([str(strata_binary()), "user", "add", name, "--users-file", str(users_file)],
                          input=password + "\n", capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def _server(backend: str, workdir: Path, config: str):
    """Start strata on `backend` with the TOML `config`; yields the server."""
    config_file = workdir / "strata.toml"
    config_file.write_text(config)
    env = {"STRATA_CONFIG": str(config_file), "STRATA_LOG": "info,strata_server=debug"}
    with running_strata(backend, workdir, db_prefix="strata_sec", extra_env=env) as server:
        yield server


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return _certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def ldap_url(tmp_path_factory):
    proc, url = _start_slapd(tmp_path_factory.mktemp("slapd"))
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module", params=STORE_BACKENDS)
def plain_server(request, tmp_path_factory, ldap_url):
    """SASL PLAIN: the users file, then LDAP; `svc` is a proxy user, `root_admin` an admin."""
    workdir = tmp_path_factory.mktemp(f"sec-plain-{request.param}").resolve()
    users = workdir / "users"
    for name, password in PASSWORDS.items():
        _add_user(users, name, password)
    config = f"""
[auth]
mode = "plain"
users_file = "{users}"
proxy_users = ["svc"]
admins = ["root_admin"]

[auth.ldap]
url = "{ldap_url}"
bind_dn_template = "uid={{user}},ou=people,{LDAP_SUFFIX}"
timeout_secs = 5
"""
    yield from _server(request.param, workdir, config)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory, certs):
    """TLS without client certificates, no SASL (sqlite: no store behaviour is tested here).
    The certificate files are copies, so a test can replace them."""
    workdir = tmp_path_factory.mktemp("sec-tls").resolve()
    shutil.copy(certs["server"][0], workdir / "cert.pem")
    shutil.copy(certs["server"][1], workdir / "key.pem")
    config = f"""
[tls]
cert_file = "{workdir / 'cert.pem'}"
key_file = "{workdir / 'key.pem'}"
reload_check_secs = 1
"""
    yield from _server(SQLITE_ONLY[0], workdir, config)


@pytest.fixture(scope="module", params=STORE_BACKENDS)
def mtls_server(request, tmp_path_factory, certs):
    """TLS with client certificates required: the CN is the principal."""
    workdir = tmp_path_factory.mktemp(f"sec-mtls-{request.param}").resolve()
    config = f"""
[tls]
cert_file = "{certs['server'][0]}"
key_file = "{certs['server'][1]}"
client_ca_file = "{certs['ca']}"
"""
    yield from _server(request.param, workdir, config)


# --------------------------------------------------------------------------- clients


class PureSaslClient:
    """The `sasl.Client` interface thrift_sasl expects, over pure-sasl (as impyla does)."""

    def __init__(self, host, username, password):
        from puresasl.client import SASLClient

        self.client = SASLClient(host, "hive", mechanism="PLAIN", username=username, password=password)
        self.error = None

    def start(self, mechanism):
        self.client.choose_mechanism([mechanism])
        return True, self.client.mechanism, self.client.process()

    def step(self, challenge=None):
        return True, self.client.process(challenge)

    def encode(self, data):
        return True, self.client.wrap(data)

    def decode(self, data):
        return True, self.client.unwrap(data)

    def getError(self):  # noqa: N802 - the interface's name
        return self.error


class Client:
    """A ThriftHiveMetastore client over any transport; closes on exit."""

    def __init__(self, transport):
        self.transport = transport
        self.hms = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))
        transport.open()

    def __getattr__(self, name):
        return getattr(self.hms, name)

    def close(self):
        try:
            self.transport.close()
        except Exception:  # noqa: BLE001 - best effort
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _socket(server, ssl_context=None, timeout_ms=10_000):
    if ssl_context is None:
        sock = TSocket.TSocket(server.host, server.port)
    else:
        sock = TSSLSocket.TSSLSocket(server.host, server.port, ssl_context=ssl_context, server_hostname="localhost")
    sock.setTimeout(timeout_ms)
    return sock


def sasl_client(server, user, password, ssl_context=None) -> Client:
    from thrift_sasl import TSaslClientTransport

    transport = TSaslClientTransport(lambda: PureSaslClient(server.host, user, password), "PLAIN",
                                     _socket(server, ssl_context))
    return Client(transport)


def plain_client(server) -> Client:
    return Client(TTransport.TBufferedTransport(_socket(server)))


def tls_context(certs, client: str | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(certs["ca"]))
    if client:
        ctx.load_cert_chain(str(certs[client][0]), str(certs[client][1]))
    return ctx


def tls_client(server, certs, client: str | None = None) -> Client:
    return Client(TTransport.TBufferedTransport(_socket(server, tls_context(certs, client))))


def history(server, table: str) -> list:
    cmd = [str(strata_binary()), "--database-url", server.database_url, "--warehouse", server.warehouse_uri,
           "history", table, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "STRATA_LOG": "warn"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _partitioned(client, db: str, table: str):
    client.create_database(db_obj(db))
    t = make_table(db, table, partition_keys=(("ds", "string"),))
    client.create_table(t)
    return client.get_table(db, table)


def _refused(make) -> Exception:
    """`make()` must fail: the server refused the connection (or its first call)."""
    with pytest.raises(Exception) as ei:
        c = make()
        try:
            c.get_database("default")
        finally:
            c.close()
    return ei.value


def _metric(server, reason: str) -> float:
    import urllib.request

    body = urllib.request.urlopen(f"http://127.0.0.1:{server.admin_port}/metrics", timeout=10).read().decode()
    total = 0.0
    for line in body.splitlines():
        if line.startswith("strata_thrift_connections_rejected") and f'reason="{reason}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def _metric_reaches(server, reason: str, value: float) -> float:
    """The counter, once it reached `value` (the server counts a refusal just after it closed
    the connection, so the client may see the close first), or after 5 s."""
    deadline = time.monotonic() + 5
    while (got := _metric(server, reason)) < value and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------- TLS


def test_tls_client_is_served_and_plain_client_refused(tls_server, certs):
    with tls_client(tls_server, certs) as c:
        assert c.get_database("default").name == "default"
        # No authentication on this server: set_ugi still names the user.
        assert "bob" in c.set_ugi("bob", [])
    before = _metric(tls_server, "not_tls")
    err = _refused(lambda: plain_client(tls_server))
    assert "TTransportException" in type(err).__name__ or isinstance(err, (OSError, EOFError)), repr(err)
    assert _metric_reaches(tls_server, "not_tls", before + 1) == before + 1
    # A TLS client that does not trust the server's CA fails its own check.
    with pytest.raises(TTransport.TTransportException):
        Client(TTransport.TBufferedTransport(
            TSSLSocket.TSSLSocket(tls_server.host, tls_server.port, ssl_context=ssl.create_default_context(),
                                  server_hostname="localhost")))
    # The server still serves TLS clients after all that.
    with tls_client(tls_server, certs) as c:
        assert c.get_database("default").name == "default"
    assert "panicked" not in tls_server.log_tail(10_000_000)


def test_thrift_over_https_uses_the_tls_certificate(tmp_path_factory, certs):
    """With [tls] on, the HTTP transport is HTTPS with the same certificate; Basic auth names
    the principal; a plain HTTP client on that port gets no answer."""
    workdir = tmp_path_factory.mktemp("sec-https").resolve()
    users = workdir / "users"
    _add_user(users, "hana", "hana-pw")
    port = free_port()
    config = f"""
[tls]
cert_file = "{certs['server'][0]}"
key_file = "{certs['server'][1]}"

[http_transport]
listen = "127.0.0.1:{port}"

[auth]
users_file = "{users}"
"""
    servers = _server(SQLITE_ONLY[0], workdir, config)
    server = next(servers)
    try:
        deadline = time.monotonic() + 20
        while not port_accepts("127.0.0.1", port):
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)

        def http_client(scheme, password="hana-pw"):
            ctx = ssl.create_default_context(cafile=str(certs["ca"]))
            transport = THttpClient.THttpClient(f"{scheme}://localhost:{port}/metastore", ssl_context=ctx)
            basic = base64.b64encode(f"hana:{password}".encode()).decode()
            transport.setCustomHeaders({"Authorization": f"Basic {basic}"})
            return ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport)), transport

        client, _ = http_client("https")
        assert client.get_database("default").name == "default"
        wrong, transport = http_client("https", password="nope")
        with pytest.raises(TTransport.TTransportException):
            wrong.get_database("default")
        assert transport.code == 401
        plain, _ = http_client("http")
        with pytest.raises(Exception):
            plain.get_database("default")
        # HTTPS still serves after the plain attempt.
        assert http_client("https")[0].get_database("default").name == "default"
        assert "panicked" not in server.log_tail(10_000_000)
    finally:
        servers.close()


def test_tls_certificate_reloads_when_the_files_change(tls_server, certs):
    def served_organization() -> list:
        with socket.create_connection((tls_server.host, tls_server.port), timeout=10) as raw:
            with tls_context(certs).wrap_socket(raw, server_hostname="localhost") as s:
                subject = dict(x[0] for x in s.getpeercert()["subject"])
                return subject.get("organizationName")

    assert served_organization() is None
    workdir = Path(tls_server.log_path).parent
    # Key first, then certificate: in between the pair does not match and the old one stays.
    shutil.copy(certs["server2"][1], workdir / "key.pem.new")
    shutil.copy(certs["server2"][0], workdir / "cert.pem.new")
    os.replace(workdir / "key.pem.new", workdir / "key.pem")
    os.replace(workdir / "cert.pem.new", workdir / "cert.pem")
    deadline = time.monotonic() + 15
    while served_organization() != "renewed":
        assert time.monotonic() < deadline, f"certificate not reloaded\n{tls_server.log_tail()}"
        time.sleep(0.3)
    assert "TLS certificate reloaded" in tls_server.log_tail(10_000_000)
    # SIGHUP reloads too (and a server that gets one keeps serving).
    tls_server.process.send_signal(__import__("signal").SIGHUP)
    time.sleep(0.5)
    assert served_organization() == "renewed"
    assert tls_server.log_tail(10_000_000).count("TLS certificate reloaded") >= 2


def test_client_certificate_required_and_its_cn_is_the_actor(mtls_server, certs):
    # No certificate, a certificate of another CA, a certificate without CN: refused.
    for client in (None, "stranger", "nocn"):
        _refused(lambda client=client: tls_client(mtls_server, certs, client))
    db, table = _unique("mtls"), "t"
    with tls_client(mtls_server, certs, "alice") as c:
        c.set_ugi("someone_else", [])  # no proxy user: the certificate decides
        t = _partitioned(c, db, table)
        c.add_partition(new_part(t, ["2024-01-01"]))
    rows = history(mtls_server, f"{db}.{table}")
    assert rows, "no history row"
    assert {r["actor"] for r in rows} == {"alice"}, rows
    assert "panicked" not in mtls_server.log_tail(10_000_000)


# --------------------------------------------------------------------------- SASL PLAIN


def test_plain_right_password_wrong_password_and_nosasl_client(plain_server):
    with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as c:
        assert c.get_database("default").name == "default"
    before = _metric(plain_server, "auth_failed")
    for user, password in (("alice", "wrong"), ("nobody", "x"), ("lara", "wrong-ldap-pw")):
        err = _refused(lambda user=user, password=password: sasl_client(plain_server, user, password))
        assert "Bad status" in str(err) or "TTransportException" in type(err).__name__, repr(err)
    assert _metric_reaches(plain_server, "auth_failed", before + 3) == before + 3
    log = plain_server.log_tail(10_000_000)
    assert "authentication failed" in log and '"nobody"' in log
    # Passwords, right or wrong, never reach the log.
    assert "wrong-ldap-pw" not in log and PASSWORDS["alice"] not in log
    # A client without SASL (hive.metastore.sasl.enabled=false, or no auth at all): refused.
    before = _metric(plain_server, "auth_required")
    _refused(lambda: plain_client(plain_server))
    assert _metric_reaches(plain_server, "auth_required", before + 1) == before + 1
    # The server still serves.
    with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as c:
        assert c.get_database("default").name == "default"


def test_plain_ldap_bind(plain_server):
    """`lara` is not in the users file: her password is checked by a simple bind to slapd."""
    db, table = _unique("ldap"), "t"
    with sasl_client(plain_server, "lara", LDAP_USERS["lara"]) as c:
        t = _partitioned(c, db, table)
        c.add_partition(new_part(t, ["2024-01-01"]))
        c.drop_database(db, True, True)
    # A DN-injection attempt binds as nobody.
    _refused(lambda: sasl_client(plain_server, "lara,ou=people", LDAP_USERS["lara"]))
    # Users of the file are decided by the file, not LDAP.
    _refused(lambda: sasl_client(plain_server, "alice", LDAP_USERS["lara"]))


def test_set_ugi_does_not_change_the_actor_unless_proxy_user(plain_server):
    db = _unique("ugi")
    with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as c:
        c.set_ugi("someone_else", ["admins"])
        t = _partitioned(c, db, "by_alice")
        c.add_partition(new_part(t, ["2024-01-01"]))
    with sasl_client(plain_server, "svc", PASSWORDS["svc"]) as c:
        c.set_ugi("end_user", [])
        t = c.get_table(db, "by_alice")
        c.add_partition(new_part(t, ["2024-01-02"]))
    rows = history(plain_server, f"{db}.by_alice")
    by_partition = {r.get("partition_name"): r["actor"] for r in rows if r.get("partition_name")}
    assert by_partition == {"ds=2024-01-01": "alice", "ds=2024-01-02": "end_user"}, rows
    assert "someone_else" not in {r["actor"] for r in rows}, rows


def test_import_and_verify_from_a_sasl_plain_source(plain_server, tmp_path):
    """`strata import` / `verify` log in with SASL PLAIN (issue #21 on a secured source): the
    password comes from a file, a wrong one fails the run without copying anything."""
    db = _unique("imp")
    with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as c:
        t = _partitioned(c, db, "sales")
        c.add_partition(new_part(t, ["2024-01-01"]))
        c.add_partition(new_part(t, ["2024-01-02"]))
    target = ["--database-url", f"sqlite://{tmp_path}/target.db", "--warehouse", f"file://{tmp_path}/wh"]
    source = f"thrift://{plain_server.host}:{plain_server.port}"
    env = {**os.environ, "STRATA_LOG": "warn"}

    def cli(*args, password):
        pw = tmp_path / "pw"
        pw.write_text(password + "\n")
        cmd = [str(strata_binary()), *target, *args, "--user", "alice", "--password-file", str(pw)]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)

    wrong = cli("import", "--from", source, "--databases", db, password="not-it")
    assert wrong.returncode != 0, wrong.stdout
    assert "not-it" not in wrong.stdout + wrong.stderr
    done = cli("import", "--from", source, "--databases", db, password=PASSWORDS["alice"])
    assert done.returncode == 0, done.stderr
    same = cli("verify", "--against", source, "--databases", db, password=PASSWORDS["alice"])
    assert same.returncode == 0, same.stdout + same.stderr


def _lock(c, db, table):
    return c.lock(LockRequest(component=[LockComponent(type=LockType.EXCLUSIVE, level=LockLevel.TABLE,
                                                        dbname=db, tablename=table)],
                              user="whoever", hostname="localhost"))


def test_lock_ownership(plain_server):
    db = _unique("locks")
    with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as alice:
        alice.create_database(db_obj(db))
        alice.create_table(make_table(db, "t"))
        lock = _lock(alice, db, "t")
        assert lock.state == LockState.ACQUIRED
        with sasl_client(plain_server, "mallory", PASSWORDS["mallory"]) as mallory:
            mallory.set_ugi("alice", [])  # naming herself alice changes nothing
            for call in (lambda: mallory.unlock(UnlockRequest(lockid=lock.lockid)),
                         lambda: mallory.heartbeat(HeartbeatRequest(lockid=lock.lockid))):
                with pytest.raises(NoSuchLockException) as ei:
                    call()
                assert "belongs to another user" in ei.value.message
            # Nothing changed: the lock is still held, and others still wait for it.
            waiting = _lock(mallory, db, "t")
            assert waiting.state == LockState.WAITING
            mallory.unlock(UnlockRequest(lockid=waiting.lockid))
        # The owner, on another connection, may (the lock names the principal).
        with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as again:
            again.heartbeat(HeartbeatRequest(lockid=lock.lockid))
        alice.heartbeat(HeartbeatRequest(lockid=lock.lockid))
        # An admin may release anyone's lock.
        second = _lock(alice, db, "t")  # waits behind the first
        with sasl_client(plain_server, "root_admin", PASSWORDS["root_admin"]) as admin:
            admin.unlock(UnlockRequest(lockid=lock.lockid))
        assert alice.check_lock(CheckLockRequest(lockid=second.lockid)).state == LockState.ACQUIRED
        alice.unlock(UnlockRequest(lockid=second.lockid))
        alice.drop_database(db, True, True)


# --------------------------------------------------------------------------- hostile handshakes


def _probe(server, attack) -> None:
    """Run `attack()`; a legitimate SASL client is served before and after, within seconds,
    and the server logs no panic."""
    start = time.monotonic()
    with sasl_client(server, "alice", PASSWORDS["alice"]) as c:
        assert c.get_database("default").name == "default"
        attack()
        assert c.get_database("default").name == "default"
    with sasl_client(server, "alice", PASSWORDS["alice"]) as c:
        assert c.get_database("default").name == "default"
    assert time.monotonic() - start < 30
    assert server.process.poll() is None
    assert "panicked" not in server.log_tail(10_000_000)


def test_malformed_sasl_handshakes_close_one_connection(plain_server):
    cases = {
        "wrong first status": struct.pack(">BI", 2, 5) + b"PLAIN",
        "invalid status": struct.pack(">BI", 9, 0),
        "huge length": struct.pack(">BI", 1, 0x7FFFFFFF) + b"PLAIN",
        "unknown mechanism": struct.pack(">BI", 1, 6) + b"GSSAPI",
        "truncated start": struct.pack(">BI", 1, 5) + b"PL",
        "truncated response": struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 2, 40) + b"\0alice",
        "bad status after start": struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 3, 0),
        "too many parts": struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 2, 8) + b"\0a\0b\0c\0d",
        "unframed call after sasl": None,
    }

    def attack():
        for name, data in cases.items():
            s = socket.create_connection((plain_server.host, plain_server.port), timeout=10)
            if data is None:
                # Authenticate properly, then send an unframed message.
                resp = b"\0alice\0" + PASSWORDS["alice"].encode()
                s.sendall(struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 2, len(resp)) + resp)
                assert s.recv(5)[0] == 5, name
                s.sendall(b"\x80\x01\x00\x01\x00\x00\x00\x0cget_database\x00\x00\x00\x01\x00")
            else:
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # the server may have closed already
            got = drain_close(s)
            if name == "invalid status":
                assert got == b"", (name, got)  # not SASL at all: closed without a word
            elif name in ("wrong first status", "huge length", "bad status after start"):
                assert got[:1] == b"\x04", (name, got)  # ERROR
            elif name in ("unknown mechanism", "too many parts"):
                assert got[:1] == b"\x03", (name, got)  # BAD
            s.close()

    _probe(plain_server, attack)


def test_fuzzed_sasl_handshakes(plain_server):
    """Mutations of a valid handshake followed by a valid framed call: each closes (or is
    served on) its own connection; the server neither panics nor stops serving others."""
    import random

    rng = random.Random(int(os.environ.get("STRATA_FUZZ_SEED", "20")))
    resp = b"\0alice\0" + PASSWORDS["alice"].encode()
    call = b"\x80\x01\x00\x01\x00\x00\x00\x0cget_database\x00\x00\x00\x01\x0b\x00\x01\x00\x00\x00\x07default\x00"
    valid = (struct.pack(">BI", 1, 5) + b"PLAIN" + struct.pack(">BI", 2, len(resp)) + resp
             + struct.pack(">I", len(call)) + call)

    def mutate(data: bytes) -> bytes:
        b = bytearray(data)
        for _ in range(rng.randrange(1, 4)):
            op = rng.random()
            i = rng.randrange(len(b)) if b else 0
            if op < 0.5 and b:
                b[i] = rng.getrandbits(8)
            elif op < 0.7:
                b[i:i] = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 8)))
            elif op < 0.9 and b:
                del b[i:i + rng.randrange(1, 8)]
            else:
                del b[i:]
        return bytes(b)

    def attack():
        for _ in range(150):
            s = socket.create_connection((plain_server.host, plain_server.port), timeout=10)
            try:
                s.sendall(mutate(valid))
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            drain_close(s, timeout=5)
            s.close()

    _probe(plain_server, attack)


def test_sasl_slowloris_is_cut_at_the_request_deadline(plain_server):
    """Sockets that trickle a handshake a byte a second hold nothing others need: 200 of them
    while a legitimate client is served."""

    def attack():
        socks = []
        for _ in range(200):
            s = socket.create_connection((plain_server.host, plain_server.port), timeout=10)
            s.setblocking(False)
            socks.append(s)
        handshake = struct.pack(">BI", 1, 5) + b"PLAIN"
        for i in range(3):
            for s in socks:
                try:
                    s.send(handshake[i:i + 1])
                except OSError:
                    pass
            with sasl_client(plain_server, "alice", PASSWORDS["alice"]) as c:
                assert c.get_database("default").name == "default"
            time.sleep(1)
        for s in socks:
            s.close()

    _probe(plain_server, attack)


def test_garbage_on_the_tls_port(tls_server, certs):
    """Bytes that are no TLS handshake, a handshake cut short, random records: one connection
    each, closed; TLS clients served meanwhile."""
    import random

    rng = random.Random(20)
    payloads = [b"\x80\x01\x00\x01", b"\x16\x03\x01\x02\x00\x01", b"GET / HTTP/1.1\r\n\r\n",
                b"\x16\x03\x03\xff\xff" + bytes(50)]
    payloads += [b"\x16\x03\x01" + bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 300)))
                 for _ in range(40)]
    for data in payloads:
        s = socket.create_connection((tls_server.host, tls_server.port), timeout=10)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        drain_close(s, timeout=5)
        s.close()
    with tls_client(tls_server, certs) as c:
        assert c.get_database("default").name == "default"
    assert tls_server.process.poll() is None
    assert "panicked" not in tls_server.log_tail(10_000_000)


# --------------------------------------------------------------------------- Spark over TLS

SPARK_TLS_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from spark_scenario import build_spark
from pyspark.sql import SparkSession
uri, warehouse, truststore, db, out = sys.argv[2:7]
spark = build_spark(uri, warehouse, app="strata-tls")
spark.sql(f"CREATE DATABASE {db}")
spark.sql(f"CREATE TABLE {db}.t (id INT) PARTITIONED BY (ds STRING) STORED AS PARQUET")
spark.sql(f"INSERT INTO {db}.t PARTITION (ds='2024-01-01') VALUES (1), (2)")
rows = [r[0] for r in spark.sql(f"SELECT id FROM {db}.t ORDER BY id").collect()]
parts = [r[0] for r in spark.sql(f"SHOW PARTITIONS {db}.t").collect()]
json.dump({"rows": rows, "partitions": parts}, open(out, "w"))
spark.stop()
"""


def test_spark_over_tls(tls_server, certs, tmp_path):
    """Spark's built-in Hive 2.3 client with hive.metastore.use.SSL and a JKS truststore."""
    if os.environ.get("STRATA_TEST_SKIP_SPARK") == "1":
        pytest.skip("STRATA_TEST_SKIP_SPARK=1")
    import sys

    keytool = shutil.which("keytool")
    if not keytool:
        pytest.fail("keytool (Java) not found: Spark needs Java 17")
    truststore = tmp_path / "truststore.jks"
    done = subprocess.run([keytool, "-importcert", "-noprompt", "-alias", "strata-ca", "-file", str(certs["ca"]),
                           "-keystore", str(truststore), "-storetype", "JKS", "-storepass", "changeit"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    script = tmp_path / "spark_tls.py"
    # build_spark builds and starts the session in one go: add the TLS settings to its builder.
    script.write_text(SPARK_TLS_SCRIPT.replace(
        "spark = build_spark(uri, warehouse, app=\"strata-tls\")",
        "import pyspark.sql\n"
        "_orig = pyspark.sql.SparkSession.Builder.getOrCreate\n"
        "def _tls(self):\n"
        "    for k, v in ((\"spark.hadoop.hive.metastore.use.SSL\", \"true\"),\n"
        "                 (\"spark.hadoop.hive.metastore.truststore.path\", truststore),\n"
        "                 (\"spark.hadoop.hive.metastore.truststore.password\", \"changeit\")):\n"
        "        self.config(k, v)\n"
        "    return _orig(self)\n"
        "pyspark.sql.SparkSession.Builder.getOrCreate = _tls\n"
        "spark = build_spark(uri, warehouse, app=\"strata-tls\")"))
    out = tmp_path / "report.json"
    db = _unique("spark_tls")
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    env.pop("SPARK_HOME", None)
    # The URI is host:port as the client sees it; the server certificate names localhost.
    uri = f"thrift://localhost:{tls_server.port}"
    proc = subprocess.run([sys.executable, str(script), str(Path(__file__).resolve().parent), uri,
                           tls_server.warehouse_uri, str(truststore), db, str(out)],
                          cwd=str(tmp_path), capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == 0 and out.exists(), (proc.stdout[-4000:], proc.stderr[-8000:])
    report = json.loads(out.read_text())
    assert report == {"rows": [1, 2], "partitions": ["ds=2024-01-01"]}
