"""Thrift over HTTP (Hive 4's ``POST /metastore``) with JWT and Basic authentication, and the
authorization policy, tested with Python's ``THttpClient`` against a running strata (both
backends).

Keys and the JWKS are generated here (``cryptography``); tokens are signed with PyJWT; the users
file holds Argon2id PHC hashes (``argon2-cffi``). The server under test:

* ``[http_transport] listen`` on a free port, ``[auth.jwt]`` with issuer, audience and a groups
  claim, ``[auth] users_file`` and ``policy_file``; ``anonymous`` left to its default (``deny``,
  since authentication is configured).
* The policy: ``readers`` (rita) read ``az_*``, ``writers`` (walt, and the ``etl`` group of the
  users file) write ``az_*``, ``admins`` (the ``dba`` group) administer everything.
"""

from __future__ import annotations

import base64
import json
import os
import time
import uuid

import pytest

jwt = pytest.importorskip("jwt")
argon2 = pytest.importorskip("argon2")
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from hmsclient.genthrift.hive_metastore import ThriftHiveMetastore  # noqa: E402
from hmsclient.genthrift.hive_metastore.ttypes import (  # noqa: E402
    Database,
    HiveObjectRef,
    HiveObjectType,
    MetaException,
    PrincipalType,
)
from thrift.protocol import TBinaryProtocol  # noqa: E402
from thrift.transport import THttpClient, TSocket, TTransport  # noqa: E402

from conftest import BACKENDS, free_port, port_accepts, running_strata  # noqa: E402
from hms_helpers import make_table  # noqa: E402

ISSUER = "https://idp.example.test"
AUDIENCE = "strata-metastore"

POLICY = """
[roles.readers]
access = "read"
objects = ["az_*"]
users = ["rita"]

[roles.writers]
access = "write"
objects = ["az_*"]
users = ["walt"]
groups = ["etl"]

[roles.admins]
access = "admin"
objects = ["*.*"]
groups = ["dba"]
"""


def _b64(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jwk_rsa(key, kid):
    pub = key.public_key().public_numbers()
    return {"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": _b64(pub.n), "e": _b64(pub.e)}


def _jwk_ec(key, kid):
    pub = key.public_key().public_numbers()
    pad = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()  # noqa: E731
    return {"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256", "x": pad(pub.x), "y": pad(pub.y)}


class Keys:
    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwks(self) -> dict:
        return {"keys": [_jwk_rsa(self.rsa, "rsa-1"), _jwk_ec(self.ec, "ec-1")]}

    def token(self, sub, groups=(), *, alg="RS256", key=None, kid=None, exp_in=300, iss=ISSUER, aud=AUDIENCE):
        now = int(time.time())
        claims = {"sub": sub, "iss": iss, "aud": aud, "iat": now, "exp": now + exp_in, "groups": list(groups)}
        if key is None:
            key = self.rsa if alg == "RS256" else self.ec
        kid = kid or ("rsa-1" if alg == "RS256" else "ec-1")
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="module", params=[b for b in BACKENDS if b != "external"])
def authz_server(request, tmp_path_factory):
    backend = request.param
    workdir = tmp_path_factory.mktemp(f"strata-authz-{backend}").resolve()
    keys = Keys()
    (workdir / "jwks.json").write_text(json.dumps(keys.jwks()))
    hasher = argon2.PasswordHasher()
    (workdir / "users").write_text(
        "# users of the HTTP Basic tests\n"
        f"basil:{hasher.hash('basil-pw')}:etl\n"
        f"rhea:{hasher.hash('rhea-pw')}\n"
    )
    (workdir / "policy.toml").write_text(POLICY)
    http_port = free_port()
    env = {
        "STRATA_HTTP_TRANSPORT__LISTEN": f"127.0.0.1:{http_port}",
        "STRATA_AUTH__JWT__JWKS_FILE": str(workdir / "jwks.json"),
        "STRATA_AUTH__JWT__ISSUER": ISSUER,
        "STRATA_AUTH__JWT__AUDIENCE": AUDIENCE,
        "STRATA_AUTH__JWT__GROUPS_CLAIM": "groups",
        "STRATA_AUTH__USERS_FILE": str(workdir / "users"),
        "STRATA_AUTH__POLICY_FILE": str(workdir / "policy.toml"),
    }
    with running_strata(backend, workdir, db_prefix="strata_az", extra_env=env) as server:
        deadline = time.monotonic() + 20
        while not port_accepts("127.0.0.1", http_port):
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.05)
        server.extra.update(http_port=http_port, keys=keys)
        yield server


class Http:
    """A Thrift client over HTTP with one Authorization header."""

    def __init__(self, server, authorization=None):
        self.transport = THttpClient.THttpClient(f"http://127.0.0.1:{server.extra['http_port']}/metastore")
        if authorization:
            self.transport.setCustomHeaders({"Authorization": authorization})
        self.client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(self.transport))

    def __getattr__(self, name):
        return getattr(self.client, name)

    @property
    def code(self):
        return self.transport.code


def bearer(token):
    return f"Bearer {token}"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def as_(authz_server):
    keys = authz_server.extra["keys"]

    def make(sub, groups=()):
        return Http(authz_server, bearer(keys.token(sub, groups)))

    return make


def names(prefix="az"):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def raw_post(server, authorization=None):
    """A raw POST of a get_all_databases call: (status, headers)."""
    import http.client

    buf = TTransport.TMemoryBuffer()
    ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(buf)).send_get_all_databases()
    conn = http.client.HTTPConnection("127.0.0.1", server.extra["http_port"], timeout=10)
    headers = {"Content-Type": "application/x-thrift"}
    if authorization:
        headers["Authorization"] = authorization
    conn.request("POST", "/metastore", body=buf.getvalue(), headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    return resp.status, resp.msg


# ------------------------------------------------------------------------------ authentication


def test_valid_jwts_rs256_and_es256_are_accepted(authz_server):
    keys = authz_server.extra["keys"]
    for alg in ("RS256", "ES256"):
        c = Http(authz_server, bearer(keys.token("dora", ["dba"], alg=alg)))
        assert isinstance(c.get_all_databases(), list)
        assert c.code == 200


@pytest.mark.parametrize("case", ["expired", "forged", "wrong_audience", "wrong_issuer", "garbage", "missing"])
def test_bad_jwts_get_401_with_a_challenge(authz_server, case):
    keys = authz_server.extra["keys"]
    token = {
        "expired": lambda: keys.token("dora", ["dba"], exp_in=-3600),
        "forged": lambda: keys.token("dora", ["dba"], key=keys.stranger),
        "wrong_audience": lambda: keys.token("dora", ["dba"], aud="someone-else"),
        "wrong_issuer": lambda: keys.token("dora", ["dba"], iss="https://evil.example.test"),
        "garbage": lambda: "not.a.jwt",
        "missing": lambda: None,
    }[case]()
    status, headers = raw_post(authz_server, bearer(token) if token else None)
    assert status == 401
    challenges = headers.get_all("WWW-Authenticate")
    assert any(c.startswith("Bearer") for c in challenges), challenges
    assert any(c.startswith("Basic") for c in challenges), challenges
    if token:
        assert any("invalid_token" in c for c in challenges), challenges


def test_basic_auth_right_and_wrong_password(authz_server):
    ok = Http(authz_server, basic("basil", "basil-pw"))
    assert isinstance(ok.get_all_databases(), list)
    for wrong in (basic("basil", "nope"), basic("nobody", "basil-pw")):
        status, headers = raw_post(authz_server, wrong)
        assert status == 401
        assert any(c.startswith("Basic") for c in headers.get_all("WWW-Authenticate"))


def test_wrong_path_and_method(authz_server):
    import http.client

    for method, path, status in (("POST", "/elsewhere", 404), ("GET", "/metastore", 405)):
        conn = http.client.HTTPConnection("127.0.0.1", authz_server.extra["http_port"], timeout=10)
        conn.request(method, path, body=b"x" if method == "POST" else None)
        r = conn.getresponse()
        r.read()
        conn.close()
        assert r.status == status, (method, path)


def test_the_binary_port_is_anonymous_and_denied(authz_server):
    sock = TSocket.TSocket("127.0.0.1", authz_server.port)
    transport = TTransport.TBufferedTransport(sock)
    client = ThriftHiveMetastore.Client(TBinaryProtocol.TBinaryProtocol(transport))
    transport.open()
    try:
        with pytest.raises(MetaException) as e:
            client.get_all_databases()
        assert "Permission denied: Principal [name=anonymous" in e.value.message
    finally:
        transport.close()


# ------------------------------------------------------------------------------ authorization


def _db(admin, name):
    admin.create_database(Database(name=name, description="authz test", parameters={}))


def test_reader_reads_but_cannot_write(authz_server, as_):
    admin, rita = as_("dora", ["dba"]), as_("rita")
    db = names()
    _db(admin, db)
    admin.create_table(make_table(db, "t1"))
    assert rita.get_table(db, "t1").tableName == "t1"
    assert rita.get_database(db).name == db
    with pytest.raises(MetaException) as e:
        rita.create_table(make_table(db, "t2"))
    msg = e.value.message
    assert msg.startswith("Permission denied: Principal [name=rita, type=USER] does not have following privileges")
    assert f"name={db}.t2" in msg
    with pytest.raises(MetaException):
        rita.drop_table(db, "t1", False)
    # nothing changed, seen through the admin
    assert admin.get_all_tables(db) == ["t1"]


def test_writer_writes_but_cannot_drop_a_database_or_delete_data(authz_server, as_):
    admin, walt = as_("dora", ["dba"]), as_("walt")
    db = names()
    _db(admin, db)
    walt.create_table(make_table(db, "t1"))
    walt.create_table(make_table(db, "t2"))
    walt.drop_table(db, "t2", False)
    with pytest.raises(MetaException) as e:
        walt.drop_table(db, "t1", True)
    assert "[[ADMIN PRIVILEGE] on Object [type=TABLE_OR_VIEW" in e.value.message
    with pytest.raises(MetaException) as e:
        walt.drop_database(db, False, True)
    assert "ADMIN PRIVILEGE" in e.value.message and f"name={db}]" in e.value.message
    # denied calls changed nothing
    assert admin.get_all_tables(db) == ["t1"]
    assert admin.get_database(db).name == db
    # a writer cannot touch what its pattern does not cover
    other = names("zz")
    _db(admin, other)
    with pytest.raises(MetaException):
        walt.create_table(make_table(other, "t"))
    assert admin.get_all_tables(other) == []
    # the admin can
    admin.drop_table(db, "t1", True)
    admin.drop_database(db, True, True)
    admin.drop_database(other, True, True)
    assert db not in admin.get_all_databases()


def test_groups_from_basic_auth_and_jwt_claims_carry_roles(authz_server, as_):
    admin = as_("dora", ["dba"])
    db = names()
    _db(admin, db)
    basil = Http(authz_server, basic("basil", "basil-pw"))  # group etl: writers
    basil.create_table(make_table(db, "from_basil"))
    rhea = Http(authz_server, basic("rhea", "rhea-pw"))  # no role at all
    with pytest.raises(MetaException):
        rhea.get_table(db, "from_basil")
    etl = as_("someone", ["etl"])
    etl.create_table(make_table(db, "from_jwt_group"))
    assert sorted(admin.get_all_tables(db)) == ["from_basil", "from_jwt_group"]


def test_listings_are_filtered_to_what_the_principal_may_read(authz_server, as_):
    admin, rita = as_("dora", ["dba"]), as_("rita")
    visible, hidden = names(), names("zz")
    for db in (visible, hidden):
        _db(admin, db)
        admin.create_table(make_table(db, "t"))
    everything = admin.get_all_databases()
    assert visible in everything and hidden in everything
    seen = rita.get_all_databases()
    assert visible in seen and hidden not in seen
    assert hidden not in rita.get_databases("*")
    with pytest.raises(MetaException):
        rita.get_all_tables(hidden)
    metas = rita.get_table_meta("*", "*", [])
    assert {m.dbName for m in metas if m.dbName in (visible, hidden)} == {visible}
    # a principal holding no role may not even list
    with pytest.raises(MetaException) as e:
        as_("mallory").get_all_databases()
    assert "Principal [name=mallory, type=USER]" in e.value.message


def test_role_and_privilege_views_reflect_the_policy(authz_server, as_):
    rita = as_("rita")
    assert sorted(rita.get_role_names()) == ["admins", "public", "readers", "writers"]
    assert sorted(r.roleName for r in rita.list_roles("walt", PrincipalType.USER)) == ["public", "writers"]
    assert [r.roleName for r in rita.list_roles("dba", PrincipalType.GROUP)] == ["admins"]
    from hmsclient.genthrift.hive_metastore.ttypes import GetPrincipalsInRoleRequest, GetRoleGrantsForPrincipalRequest

    members = rita.get_principals_in_role(GetPrincipalsInRoleRequest(roleName="writers")).principalGrants
    assert {(g.principalName, g.principalType) for g in members} == {
        ("walt", PrincipalType.USER), ("etl", PrincipalType.GROUP)}
    grants = rita.get_role_grants_for_principal(
        GetRoleGrantsForPrincipalRequest(principal_name="rita", principal_type=PrincipalType.USER)).principalGrants
    assert sorted(g.roleName for g in grants) == ["public", "readers"]
    table = HiveObjectRef(objectType=HiveObjectType.TABLE, dbName="az_sales", objectName="orders")
    pset = rita.get_privilege_set(table, "walt", ["dba"])
    assert sorted(pset.rolePrivileges) == ["admins", "writers"]
    assert [p.privilege for p in pset.rolePrivileges["admins"]] == ["ALL"]
    assert "INSERT" in [p.privilege for p in pset.rolePrivileges["writers"]]
    assert pset.userPrivileges == {"walt": []}
    outside = HiveObjectRef(objectType=HiveObjectType.TABLE, dbName="hr", objectName="pay")
    assert sorted(rita.get_privilege_set(outside, "walt", []).rolePrivileges) == []
    privs = rita.list_privileges("readers", PrincipalType.ROLE, HiveObjectRef(objectType=HiveObjectType.GLOBAL))
    assert [(p.hiveObject.dbName, p.grantInfo.privilege, p.principalName) for p in privs] == [
        ("az_*", "SELECT", "readers")]
    assert rita.list_privileges("rita", PrincipalType.USER, HiveObjectRef(objectType=HiveObjectType.GLOBAL)) == []
