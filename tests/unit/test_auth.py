"""api.auth: the roles table, token verification (HS256 and JWKS), masking and may_see."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from api.auth import (
    PII_FIELDS,
    ROLE_PERMISSIONS,
    AuthError,
    Permission,
    Principal,
    Role,
    TokenVerifier,
    mask_fields,
    mask_value,
    mint_token,
    pii_fields_in,
)
from c360.settings import REPO_ROOT

SECRET = "test-secret-that-is-at-least-32-bytes-long"
P = Permission


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {"sub": "u1", "roles": ["rep"], "aud": "c360", "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def refused(verifier: TokenVerifier, token: str) -> AuthError:
    with pytest.raises(AuthError) as e:
        verifier.verify(token)
    return e.value


@pytest.fixture
def verifier() -> TokenVerifier:
    return TokenVerifier(secret=SECRET)


# --- the roles table ------------------------------------------------------------------

REP = {P.READ_CUSTOMERS, P.EDIT_CUSTOMERS, P.RECORD_INTERACTIONS, P.READ_ALERTS, P.SUBSCRIBE}
EXPECTED = {
    Role.REP: REP,
    Role.MANAGER: REP | {P.READ_ALL_CUSTOMERS, P.MANAGE_ALERT_RULES, P.READ_DECISIONS},
    Role.STEWARD: {
        P.READ_CUSTOMERS,
        P.READ_ALL_CUSTOMERS,
        P.REVIEW,
        P.READ_DECISIONS,
        P.READ_ALERTS,
    },
    Role.ANALYST: {
        P.READ_CUSTOMERS,
        P.READ_ALL_CUSTOMERS,
        P.READ_DECISIONS,
        P.READ_ALERTS,
        P.RUN_CYPHER,
    },
    Role.INTEGRATOR: {
        P.READ_CUSTOMERS,
        P.READ_ALL_CUSTOMERS,
        P.SUBSCRIBE,
        P.MANAGE_WEBHOOKS,
        P.READ_ALERTS,
    },
    Role.ADMIN: set(Permission),
}


@pytest.mark.parametrize("role", list(Role))
def test_roles_table(role: Role) -> None:
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert ROLE_PERMISSIONS[role] == EXPECTED[role]


def test_only_stewards_and_admins_review_and_only_analysts_and_admins_run_cypher() -> None:
    assert {r for r in Role if P.REVIEW in ROLE_PERMISSIONS[r]} == {Role.STEWARD, Role.ADMIN}
    assert {r for r in Role if P.RUN_CYPHER in ROLE_PERMISSIONS[r]} == {Role.ANALYST, Role.ADMIN}
    assert P.READ_ALL_CUSTOMERS not in ROLE_PERMISSIONS[Role.REP]


def test_permissions_are_the_union_of_roles() -> None:
    p = Principal(sub="u", roles=frozenset({Role.REP, Role.ANALYST}))
    assert p.can(P.RUN_CYPHER) and p.can(P.EDIT_CUSTOMERS)
    assert not p.can(P.REVIEW)
    assert p.permissions == EXPECTED[Role.REP] | EXPECTED[Role.ANALYST]


def test_require_names_the_permission_and_the_roles() -> None:
    p = Principal(sub="ann", roles=frozenset({Role.REP}))
    p.require(P.READ_CUSTOMERS)
    with pytest.raises(AuthError) as e:
        p.require(P.REVIEW)
    assert e.value.code == "FORBIDDEN" and e.value.http_status == 403
    assert "review" in str(e.value) and "rep" in str(e.value)


# --- tokens ---------------------------------------------------------------------------


def test_good_token(verifier: TokenVerifier) -> None:
    token = mint_token(
        SECRET,
        sub="rep-7",
        roles=[Role.REP, "manager"],
        scopes=["pii", "webhooks"],
        territory=["Kingston", "St. Andrew"],
        ttl_s=600,
    )
    p = verifier.verify(token)
    assert p.sub == "rep-7"
    assert p.roles == {Role.REP, Role.MANAGER}
    assert p.scopes == {"pii", "webhooks"}
    assert p.territory == ("Kingston", "St. Andrew")
    assert p.sees_pii and p.sees_all_customers
    assert p.expires_at is not None
    assert abs((p.expires_at - datetime.now(UTC)).total_seconds() - 600) < 5


def test_scope_claim_is_space_separated(verifier: TokenVerifier) -> None:
    p = verifier.verify(hs256(claims(scope="pii  extra")))
    assert p.scopes == {"pii", "extra"}
    assert not verifier.verify(hs256(claims())).sees_pii


def test_expired_token(verifier: TokenVerifier) -> None:
    err = refused(verifier, mint_token(SECRET, sub="u", roles=["rep"], ttl_s=-120))
    assert err.code == "TOKEN_EXPIRED" and err.http_status == 401


def test_leeway_accepts_a_token_just_expired(verifier: TokenVerifier) -> None:
    assert verifier.verify(mint_token(SECRET, sub="u", roles=["rep"], ttl_s=-5)).sub == "u"


def test_a_verified_token_is_remembered_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(token: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr("api.auth.jwt.decode", counting_decode)
    strict = TokenVerifier(secret=SECRET, leeway_s=0)
    token = hs256(claims(exp=int(time.time()) + 1))
    first = strict.verify(token)
    assert strict.verify(token) is first and len(decoded) == 1  # checked once
    # Another token with the same claims and a wrong signature is checked, and refused.
    forged = hs256(real_decode(token, options={"verify_signature": False}), "x" * 40)
    assert refused(strict, forged).code == "UNAUTHENTICATED" and len(decoded) == 2
    while time.time() < first.expires_at.timestamp():  # type: ignore[union-attr]
        time.sleep(0.05)
    assert refused(strict, token).code == "TOKEN_EXPIRED" and len(decoded) == 3


def test_a_long_lived_token_is_checked_again_after_the_key_set_lifespan(
    monkeypatch: pytest.MonkeyPatch, verifier: TokenVerifier
) -> None:
    import api.auth

    token = mint_token(SECRET, sub="u", roles=["rep"], ttl_s=3600)
    verifier.verify(token)
    checks: list[str] = []
    check = verifier._check
    monkeypatch.setattr(verifier, "_check", lambda t: checks.append(t) or check(t))
    verifier.verify(token)
    assert checks == []
    later = time.time() + api.auth.VERIFIED_FOR_S + 1
    monkeypatch.setattr("api.auth.time.time", lambda: later)
    verifier.verify(token)
    assert checks == [token]


def test_wrong_signature(verifier: TokenVerifier) -> None:
    other = mint_token("another-secret-that-is-also-32-bytes-long", sub="u", roles=["rep"])
    err = refused(verifier, other)
    assert err.code == "UNAUTHENTICATED" and "signature" in err.message


def test_wrong_audience(verifier: TokenVerifier) -> None:
    err = refused(verifier, mint_token(SECRET, sub="u", roles=["rep"], audience="elsewhere"))
    assert err.code == "UNAUTHENTICATED" and "audience" in err.message
    assert "'aud'" in refused(verifier, hs256(claims(aud=None))).message


def test_wrong_issuer() -> None:
    v = TokenVerifier(secret=SECRET, issuer="https://idp.example")
    assert "issuer" in refused(v, hs256(claims(iss="https://evil.example"))).message
    assert v.verify(hs256(claims(iss="https://idp.example"))).sub == "u1"


@pytest.mark.parametrize("claim", ["sub", "exp"])
def test_missing_required_claim(verifier: TokenVerifier, claim: str) -> None:
    err = refused(verifier, hs256(claims(**{claim: None})))
    assert err.code == "UNAUTHENTICATED" and f"'{claim}'" in err.message


def test_empty_sub(verifier: TokenVerifier) -> None:
    assert "sub" in refused(verifier, hs256(claims(sub=" "))).message


def test_unknown_role_is_named(verifier: TokenVerifier) -> None:
    err = refused(verifier, hs256(claims(roles=["rep", "wizard", "god"])))
    assert err.code == "UNAUTHENTICATED"
    assert "god, wizard" in err.message


@pytest.mark.parametrize("roles", [None, [], "rep", [1]])
def test_roles_missing_empty_or_not_a_list(verifier: TokenVerifier, roles: Any) -> None:
    err = refused(verifier, hs256(claims(roles=roles)))
    assert err.code == "UNAUTHENTICATED" and "roles" in err.message


def test_bad_territory_claim(verifier: TokenVerifier) -> None:
    assert "territory" in refused(verifier, hs256(claims(territory="Kingston"))).message


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30"])
def test_malformed_token(verifier: TokenVerifier, token: str) -> None:
    assert refused(verifier, token).code == "UNAUTHENTICATED"


def test_unsigned_token_is_refused(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), None, algorithm="none")  # type: ignore[arg-type]
    assert refused(verifier, token).code == "UNAUTHENTICATED"


def test_header_parsing(verifier: TokenVerifier) -> None:
    token = mint_token(SECRET, sub="u", roles=["analyst"])
    assert verifier.principal_from_header(f"Bearer {token}").roles == {Role.ANALYST}
    assert verifier.principal_from_header(f"bearer  {token} ").sub == "u"
    for bad in (None, "", "  ", token, f"Basic {token}", "Bearer", f"Bearer {token} extra"):
        with pytest.raises(AuthError) as e:
            verifier.principal_from_header(bad)
        assert e.value.code == "UNAUTHENTICATED"
        assert "Authorization" in e.value.message or "token" in e.value.message


def test_verifier_needs_exactly_one_key_source_and_a_long_secret() -> None:
    with pytest.raises(ValueError):
        TokenVerifier()
    with pytest.raises(ValueError):
        TokenVerifier(secret=SECRET, jwks_url="http://127.0.0.1:1/jwks.json")
    with pytest.raises(ValueError):
        TokenVerifier(secret="short")


def test_mint_refuses_unknown_or_no_roles() -> None:
    with pytest.raises(ValueError):
        mint_token(SECRET, sub="u", roles=["wizard"])
    with pytest.raises(ValueError):
        mint_token(SECRET, sub="u", roles=[])


# --- JWKS -----------------------------------------------------------------------------


@dataclass
class Jwks:
    url: str
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    requests: list[str]


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = {**RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "rsa-1"}
    ec_jwk = {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "ec-1"}
    body = json.dumps({"keys": [rsa_jwk | {"use": "sig", "alg": "RS256"}, ec_jwk]}).encode()
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Jwks(f"http://127.0.0.1:{server.server_port}/jwks.json", rsa_key, ec_key, requests)
    finally:
        server.shutdown()
        server.server_close()


def test_rs256_through_jwks(jwks: Jwks) -> None:
    v = TokenVerifier(jwks_url=jwks.url)
    token = jwt.encode(
        claims(sub="int-1", roles=["integrator"], scope="pii"),
        jwks.rsa_key,
        algorithm="RS256",
        headers={"kid": "rsa-1"},
    )
    p = v.verify(token)
    assert p.sub == "int-1" and p.roles == {Role.INTEGRATOR} and p.sees_pii
    before = len(jwks.requests)
    assert v.verify(token).sub == "int-1"
    assert len(jwks.requests) == before  # keys are cached, not fetched per token


def test_es256_through_jwks(jwks: Jwks) -> None:
    v = TokenVerifier(jwks_url=jwks.url)
    token = jwt.encode(claims(), jwks.ec_key, algorithm="ES256", headers={"kid": "ec-1"})
    assert v.verify(token).sub == "u1"


def test_jwks_refusals(jwks: Jwks) -> None:
    v = TokenVerifier(jwks_url=jwks.url)
    expired = jwt.encode(
        claims(exp=int(time.time()) - 300),
        jwks.rsa_key,
        algorithm="RS256",
        headers={"kid": "rsa-1"},
    )
    assert refused(v, expired).code == "TOKEN_EXPIRED"
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(), other_key, algorithm="RS256", headers={"kid": "rsa-1"})
    assert "signature" in refused(v, forged).message
    unknown_kid = jwt.encode(claims(), jwks.rsa_key, algorithm="RS256", headers={"kid": "nope"})
    assert refused(v, unknown_kid).code == "UNAUTHENTICATED"
    # a token signed with a shared secret must not pass where keys come from the IdP
    assert refused(v, hs256(claims())).code == "UNAUTHENTICATED"
    assert refused(v, "not-a-token").code == "UNAUTHENTICATED"


def test_jwks_unreachable() -> None:
    v = TokenVerifier(jwks_url="http://127.0.0.1:9/jwks.json")
    token = jwt.encode(claims(), "x" * 32, algorithm="HS256", headers={"kid": "k"})
    err = refused(v, token)
    assert err.code == "UNAUTHENTICATED" and "unavailable" in err.message


# --- masking --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "masked"),
    [
        ("email", "john.brown@gmail.com", "j***@gmail.com"),
        ("email", "not-an-email", "***"),
        ("emails", ["ann@x.jm", "bo@y.com"], ["a***@x.jm", "b***@y.com"]),
        ("phone", "+18765551267", "+1876*****67"),
        ("phone", "+447911123456", "+44********56"),
        ("phone", "876-555-1267", "********67"),
        ("phones", ["+18765551267", None], ["+1876*****67", None]),
        ("dob", "1984-05-12", "1984-**-**"),
        ("dob", date(1990, 1, 2), "1990-**-**"),
        ("dob", "12/05/1984", "****-**-**"),
        ("address", "12 Hope Road, Kingston 6", "***"),
        ("addresses", ["12 Hope Road", "3 Main St"], ["***", "***"]),
        ("line1", "12 Hope Road", "***"),
        ("line2", "Apt 4", "***"),
        ("email", None, None),
        ("name", "John Brown", "John Brown"),
        ("parish", "St. Andrew", "St. Andrew"),
    ],
)
def test_mask_value(field: str, value: Any, masked: Any) -> None:
    assert mask_value(field, value) == masked


def test_mask_nested_nodes_keeps_parish_and_city() -> None:
    address = {"line1": "12 Hope Road", "line2": None, "city": "Kingston", "parish": "St. Andrew"}
    assert mask_value("addresses", [address]) == [
        {"line1": "***", "line2": None, "city": "Kingston", "parish": "St. Andrew"}
    ]
    assert mask_value("emails", [{"value": "ann@x.jm", "verified": True}]) == [
        {"value": "a***@x.jm", "verified": True}
    ]
    assert mask_value("phones", [{"e164": "+18765551267"}]) == [{"e164": "+1876*****67"}]


def test_mask_fields_depends_on_the_pii_scope() -> None:
    row = {
        "id": "c1",
        "name": "Ann",
        "email": "ann@x.jm",
        "dob": "1984-05-12",
        "parish": "Kingston",
        "city": "Kingston",
    }
    plain = Principal(sub="u", roles=frozenset({Role.ANALYST}))
    pii = Principal(sub="u", roles=frozenset({Role.ANALYST}), scopes=frozenset({"pii"}))
    masked = mask_fields(row, plain)
    assert masked == row | {"email": "a***@x.jm", "dob": "1984-**-**"}
    assert row["email"] == "ann@x.jm"  # the input is not touched
    assert mask_fields(row, pii) == row
    assert pii_fields_in(row) == ("dob", "email")
    assert pii_fields_in({"email": None, "name": "x"}) == ()
    assert {"email", "phone", "dob", "address", "line1"} <= PII_FIELDS
    assert not {"parish", "city", "name"} & PII_FIELDS


# --- who sees which customer ----------------------------------------------------------


def test_may_see() -> None:
    rep = Principal(sub="rep-1", roles=frozenset({Role.REP}), territory=("Kingston",))
    assert rep.may_see({"owner": "rep-1", "parish": "St. Ann"})
    assert rep.may_see({"owner": "rep-2", "parish": "Kingston"})
    assert not rep.may_see({"owner": "rep-2", "parish": "St. Ann"})
    assert not rep.may_see({})
    assert not rep.sees_all_customers
    for role in (Role.MANAGER, Role.STEWARD, Role.ANALYST, Role.INTEGRATOR, Role.ADMIN):
        other = Principal(sub="x", roles=frozenset({role}))
        assert other.sees_all_customers
        assert other.may_see({"owner": "rep-2", "parish": "St. Ann"})
    assert not Principal(sub="x", roles=frozenset()).may_see({"owner": "x"})


def test_processes_starting_together_on_a_new_home_share_one_secret(tmp_path: Path) -> None:
    # The API's worker processes each read the secret as they start: one secret for all,
    # however close together they ask (ten rounds, each on a new home).
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from api.auth import jwt_secret\n"
        "from c360.settings import Settings\n"
        "folder, me = Path(sys.argv[1]), sys.argv[2]\n"
        "for r in range(10):\n"
        "    (folder / f'ready{r}-{me}').touch()\n"
        "    while not (folder / f'go{r}').exists(): pass\n"
        "    print(jwt_secret(Settings(home=folder / f'home{r}', jwt_secret=None)), flush=True)\n"
    )
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), str(n)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        for n in range(8)
    ]
    deadline = time.monotonic() + 120
    for r in range(10):
        while len(list(tmp_path.glob(f"ready{r}-*"))) < len(starters):  # all waiting
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.001)
        (tmp_path / f"go{r}").touch()
    answers = [p.communicate(timeout=60)[0].split() for p in starters]
    for r in range(10):
        secrets = {answer[r] for answer in answers}
        assert len(secrets) == 1 and len(secrets.pop()) >= 48, (r, answers)
        home = tmp_path / f"home{r}"
        assert [p.name for p in home.iterdir()] == ["jwt_secret"]
        assert oct((home / "jwt_secret").stat().st_mode & 0o777) == "0o600"
