"""acl: access control: world, digest, auth, ip; which permission each operation needs.

Apache ZooKeeper 3.8, as these scenarios show it: READ governs getData, getChildren and the
check op; WRITE setData; CREATE creating a child; DELETE deleting a child (the node's own
DELETE bit is irrelevant); ADMIN setACL; getACL needs READ or ADMIN, and without ADMIN
digest ids come back redacted as `user:x`. exists and sync need no permission. The ACL is
checked before the version, before NodeExists and before the child's existence. ACLs are not
inherited. addauth digest never fails (a wrong password just matches nothing); an unknown
scheme fails with AuthFailed and the connection is closed. Duplicate ACL entries are dropped.

Not registered, because they need server settings an endpoint may not have: the `super`
scheme (`zookeeper.DigestAuthenticationProvider.superDigest`), `skipACL`, SASL and x509.

Nodes that only some identity may read cannot be deleted by the runner's admin session, so
each scenario's tree is removed by a cleanup session holding every identity used here
(`alice` and `bob`); unreadable nodes are always leaves, which anyone may delete.
"""

from __future__ import annotations

import contextlib
import socket
import struct

from kazoo.client import KazooClient
from kazoo.exceptions import (
    AuthFailedError,
    BadVersionError,
    InvalidACLError,
    NoAuthError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)
from kazoo.protocol.serialization import Auth, Close, Create, Exists, GetData, SetACL, read_string
from kazoo.security import ACL, OPEN_ACL_UNSAFE, Id, Permissions

from conformance.context import Context, close_client
from conformance.groups._support import (
    RawSession,
    digest_id,
    host_port,
    on_close,
    raw_session,
)
from conformance.scenario import expect, expect_raises, scenario

GROUP = "acl"
ALICE, BOB = ("alice", "secret"), ("bob", "pw")
READ, WRITE, CREATE, DELETE, ADMIN, ALL = (
    Permissions.READ,
    Permissions.WRITE,
    Permissions.CREATE,
    Permissions.DELETE,
    Permissions.ADMIN,
    Permissions.ALL,
)
AUTH_XID = -4
AUTH_FAILED = -115
NO_AUTH = -102
INVALID_ACL = -114


def world(perms: int) -> ACL:
    return ACL(perms, Id("world", "anyone"))


def digest_acl(who: tuple[str, str], perms: int) -> ACL:
    return ACL(perms, Id("digest", digest_id(*who)))


def shown(acls: list[ACL]) -> list[tuple[int, str, str]]:
    return [(acl.perms, acl.id.scheme, acl.id.id) for acl in acls]


def cleanup(ctx: Context) -> None:
    """Delete the scenario's tree with a session that holds every identity used here.

    Each node's ACL is first opened where this session has ADMIN, so that a node it could
    not read or whose children it could not delete is emptied too.
    """
    zk = KazooClient(hosts=ctx.first_host, timeout=10.0)
    try:
        zk.start(timeout=10.0)
        for user, password in (ALICE, BOB):
            zk.add_auth("digest", f"{user}:{password}")

        def remove(path: str) -> None:
            with contextlib.suppress(NoAuthError):
                zk.set_acls(path, OPEN_ACL_UNSAFE)
            try:
                children = zk.get_children(path)
            except NoAuthError:
                children = []  # unreadable: a leaf by construction
            for child in children:
                remove(f"{path}/{child}")
            with contextlib.suppress(Exception):  # the runner reports what is left
                zk.delete(path)

        for child in zk.get_children(ctx.base):
            remove(f"{ctx.base}/{child}")
    finally:
        close_client(zk)


def setup(ctx: Context) -> None:
    on_close(ctx, lambda: cleanup(ctx))


def authed(ctx: Context, *who: tuple[str, str]) -> KazooClient:
    """A session that has added digest auth for each of `who`."""
    zk = ctx.client()
    for user, password in who:
        zk.add_auth("digest", f"{user}:{password}")
    return zk


def client_address(ctx: Context) -> str:
    """The address the server sees this machine's connections come from."""
    with socket.create_connection(host_port(ctx.first_host), timeout=10.0) as sock:
        return sock.getsockname()[0]


class WhoAmI:
    """whoAmI (opcode 107): the identities the server has for this connection."""

    type = 107

    def serialize(self) -> bytes:
        return b""


def who_am_i(raw: RawSession) -> list[tuple[str, str]]:
    header, body = raw.request(WhoAmI())
    expect(header.err, 0, "whoAmI error code")
    (count,) = struct.unpack_from("!i", body, 0)
    offset, found = 4, []
    for _ in range(count):
        scheme, offset = read_string(body, offset)
        user, offset = read_string(body, offset)
        found.append((scheme, user))
    return sorted(found)


def raw_auth(raw: RawSession, scheme: str, credential: str) -> int:
    header, _ = raw.request(Auth(0, scheme, credential), xid=AUTH_XID)
    expect(header.xid, AUTH_XID, "auth reply xid")
    return header.err


# --- world and the permission bits ------------------------------------------------------------


@scenario(group=GROUP)
def default_acl_is_open(ctx: Context) -> None:
    """A node created with kazoo's default ACL has world:anyone with all five permissions."""
    zk = ctx.client()
    zk.create(ctx.path("n"))
    expect(shown(zk.get_acls(ctx.path("n"))[0]), [(31, "world", "anyone")], "ACL")


@scenario(group=GROUP)
def world_read_only(ctx: Context) -> None:
    """world READ only: reads work; setData, create child and setACL raise NoAuth."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), b"data", acl=[world(READ)])
    expect(zk.get(ctx.path("n"))[0], b"data", "getData")
    expect(zk.get_children(ctx.path("n")), [], "getChildren")
    with expect_raises(NoAuthError, "setData"):
        zk.set(ctx.path("n"), b"x")
    with expect_raises(NoAuthError, "create child"):
        zk.create(ctx.path("n", "c"))
    with expect_raises(NoAuthError, "setACL"):
        zk.set_acls(ctx.path("n"), OPEN_ACL_UNSAFE)


@scenario(group=GROUP)
def read_governs_get_data_and_children(ctx: Context) -> None:
    """Without READ, getData, getChildren and getChildren2 raise NoAuth."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), acl=[world(ALL & ~READ)])
    with expect_raises(NoAuthError, "getData"):
        zk.get(ctx.path("n"))
    with expect_raises(NoAuthError, "getChildren"):
        zk.get_children(ctx.path("n"))
    with expect_raises(NoAuthError, "getChildren2"):
        zk.get_children(ctx.path("n"), include_data=True)


@scenario(group=GROUP)
def exists_and_sync_need_no_permission(ctx: Context) -> None:
    """exists (with or without a watch) and sync work on a node whose ACL grants nothing."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), b"abc", acl=[world(0)])
    stat = zk.exists(ctx.path("n"), watch=lambda event: None)
    expect((stat.dataLength, stat.aversion), (3, 0), "(dataLength, aversion) from exists")
    expect(zk.sync(ctx.path("n")), ctx.path("n"), "sync")


@scenario(group=GROUP)
def write_governs_set_data(ctx: Context) -> None:
    """Without WRITE, setData raises NoAuth and the data is unchanged."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), b"old", acl=[world(ALL & ~WRITE)])
    with expect_raises(NoAuthError, "setData"):
        zk.set(ctx.path("n"), b"new")
    data, stat = zk.get(ctx.path("n"))
    expect((data, stat.version), (b"old", 0), "(data, version)")


@scenario(group=GROUP)
def create_governs_children(ctx: Context) -> None:
    """Without CREATE on the parent, creating any child (even ephemeral) raises NoAuth."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("p"), acl=[world(ALL & ~CREATE)])
    with expect_raises(NoAuthError, "create persistent child"):
        zk.create(ctx.path("p", "c"))
    with expect_raises(NoAuthError, "create ephemeral child"):
        zk.create(ctx.path("p", "e"), ephemeral=True)
    with expect_raises(NoAuthError, "create sequential child"):
        zk.create(ctx.path("p", "s-"), sequence=True)
    expect(zk.exists(ctx.path("p")).cversion, 0, "parent cversion")


@scenario(group=GROUP)
def delete_governed_by_parent(ctx: Context) -> None:
    """Deleting a node needs DELETE on its parent; the node's own DELETE bit does not matter."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("p"), acl=[world(ALL & ~DELETE)])
    zk.create(ctx.path("p", "c"), acl=[world(ALL)])
    with expect_raises(NoAuthError, "delete of a child of a parent without DELETE"):
        zk.delete(ctx.path("p", "c"))
    zk.create(ctx.path("q"), acl=[world(ALL)])
    zk.create(ctx.path("q", "c"), acl=[world(0)])
    zk.delete(ctx.path("q", "c"))
    expect(zk.exists(ctx.path("q", "c")), None, "child without any permission, deleted")


@scenario(group=GROUP)
def admin_governs_set_acl(ctx: Context) -> None:
    """Without ADMIN, setACL raises NoAuth; the ACL and aversion are unchanged."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), acl=[world(ALL & ~ADMIN)])
    with expect_raises(NoAuthError, "setACL"):
        zk.set_acls(ctx.path("n"), OPEN_ACL_UNSAFE)
    acls, stat = zk.get_acls(ctx.path("n"))
    expect((shown(acls), stat.aversion), ([(15, "world", "anyone")], 0), "(ACL, aversion)")


@scenario(group=GROUP)
def check_op_needs_read(ctx: Context) -> None:
    """A multi's check op on a node without READ fails with NoAuth, even at the right version."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), acl=[world(ALL & ~READ)])
    tx = zk.transaction()
    tx.check(ctx.path("n"), 0)
    expect([type(r).__name__ for r in tx.commit()], ["NoAuthError"], "check result")


@scenario(group=GROUP)
def acl_checked_before_version(ctx: Context) -> None:
    """A denied setData or setACL with a wrong version raises NoAuth, not BadVersion."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), acl=[world(READ)])
    with expect_raises(NoAuthError, "setData, wrong version, no WRITE"):
        zk.set(ctx.path("n"), b"x", version=7)
    with expect_raises(NoAuthError, "setACL, wrong version, no ADMIN"):
        zk.set_acls(ctx.path("n"), OPEN_ACL_UNSAFE, version=7)


@scenario(group=GROUP)
def acl_checked_before_existence(ctx: Context) -> None:
    """Without CREATE/DELETE on the parent, NodeExists and NoNode give way to NoAuth."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("p"))
    zk.create(ctx.path("p", "c"))
    zk.set_acls(ctx.path("p"), [world(READ | ADMIN)])
    with expect_raises(NoAuthError, "create of an existing child"):
        zk.create(ctx.path("p", "c"))
    with expect_raises(NoAuthError, "delete of a missing child"):
        zk.delete(ctx.path("p", "missing"))
    zk.set_acls(ctx.path("p"), OPEN_ACL_UNSAFE)


@scenario(group=GROUP)
def acl_not_inherited(ctx: Context) -> None:
    """A child gets the ACL it is created with, not its parent's."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("p"), acl=[world(READ | CREATE | DELETE)])
    zk.create(ctx.path("p", "c"), b"x")
    expect(shown(zk.get_acls(ctx.path("p", "c"))[0]), [(31, "world", "anyone")], "child's ACL")
    zk.set(ctx.path("p", "c"), b"y")
    expect(zk.get(ctx.path("p", "c"))[0], b"y", "child data after setData")


@scenario(group=GROUP)
def multi_with_denied_op_rolls_back(ctx: Context) -> None:
    """A multi whose setData is denied reports NoAuth and rolls back the ops around it."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("locked"), acl=[world(READ)])
    tx = zk.transaction()
    tx.create(ctx.path("a"))
    tx.set_data(ctx.path("locked"), b"x")
    tx.create(ctx.path("b"))
    kinds = [type(result).__name__ for result in tx.commit()]
    expected = [RolledBackError.__name__, NoAuthError.__name__, RuntimeInconsistency.__name__]
    expect(kinds, expected, "results")
    expect(zk.get_children(ctx.path()), ["locked"], "children after the multi")


# --- digest ------------------------------------------------------------------------------------


@scenario(group=GROUP)
def digest_grants_the_authenticated_user(ctx: Context) -> None:
    """A digest ACL lets alice in after addauth; other sessions get NoAuth."""
    setup(ctx)
    alice, anonymous, bob = authed(ctx, ALICE), ctx.client(), authed(ctx, BOB)
    alice.create(ctx.path("n"), b"secret data", acl=[digest_acl(ALICE, ALL)])
    expect(alice.get(ctx.path("n"))[0], b"secret data", "alice's read")
    with expect_raises(NoAuthError, "an unauthenticated read"):
        anonymous.get(ctx.path("n"))
    with expect_raises(NoAuthError, "bob's read"):
        bob.get(ctx.path("n"))


@scenario(group=GROUP)
def digest_wrong_password_is_accepted_but_useless(ctx: Context) -> None:
    """addauth digest with a wrong password succeeds, but grants nothing: NoAuth on access."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[digest_acl(ALICE, ALL)])
    impostor = ctx.client()
    expect(impostor.add_auth("digest", "alice:wrong"), True, "addauth with a wrong password")
    with expect_raises(NoAuthError, "read with the wrong password"):
        impostor.get(ctx.path("n"))


@scenario(group=GROUP)
def digest_id_is_sha1_base64(ctx: Context) -> None:
    """The digest ACL id is user:base64(sha1(user:password)), returned as set to its admin."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[digest_acl(ALICE, ALL)])
    expected = [(31, "digest", "alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=")]
    expect(expected[0][2], digest_id(*ALICE), "the suite's own digest computation")
    expect(shown(alice.get_acls(ctx.path("n"))[0]), expected, "ACL as alice reads it")


@scenario(group=GROUP)
def digest_several_identities(ctx: Context) -> None:
    """A session that added auth for alice and bob can use nodes granted to either."""
    setup(ctx)
    both = authed(ctx, ALICE, BOB)
    both.create(ctx.path("a"), b"A", acl=[digest_acl(ALICE, ALL)])
    both.create(ctx.path("b"), b"B", acl=[digest_acl(BOB, ALL)])
    expect((both.get(ctx.path("a"))[0], both.get(ctx.path("b"))[0]), (b"A", b"B"), "reads")
    alice = authed(ctx, ALICE)
    with expect_raises(NoAuthError, "alice reading bob's node"):
        alice.get(ctx.path("b"))


@scenario(group=GROUP)
def digest_permissions_per_identity(ctx: Context) -> None:
    """Entries combine: alice may write, bob may only read, others nothing."""
    setup(ctx)
    alice, bob, anonymous = authed(ctx, ALICE), authed(ctx, BOB), ctx.client()
    acl = [digest_acl(ALICE, ALL), digest_acl(BOB, READ)]
    alice.create(ctx.path("n"), b"v0", acl=acl)
    alice.set(ctx.path("n"), b"v1")
    expect(bob.get(ctx.path("n"))[0], b"v1", "bob's read")
    with expect_raises(NoAuthError, "bob's write"):
        bob.set(ctx.path("n"), b"v2")
    with expect_raises(NoAuthError, "anonymous read"):
        anonymous.get(ctx.path("n"))


@scenario(group=GROUP)
def auth_belongs_to_the_connection(ctx: Context) -> None:
    """A resumed session on a new connection has lost its addauth: NoAuth until it re-adds it."""
    setup(ctx)
    authed(ctx, ALICE).create(ctx.path("n"), b"x", acl=[digest_acl(ALICE, ALL)])
    first = raw_session(ctx, 10000)
    assert first.handshake is not None
    expect(raw_auth(first, "digest", "alice:secret"), 0, "addauth error code")
    expect(first.request(GetData(ctx.path("n"), False))[0].err, 0, "read after addauth")
    second = raw_session(
        ctx, 10000, session_id=first.handshake.session_id, password=first.handshake.password
    )
    expect(second.request(GetData(ctx.path("n"), False))[0].err, NO_AUTH, "read after resume")
    raw_auth(second, "digest", "alice:secret")
    expect(second.request(GetData(ctx.path("n"), False))[0].err, 0, "read after re-adding")
    second.request(Close)


@scenario(group=GROUP)
def unknown_auth_scheme_fails_and_closes(ctx: Context) -> None:
    """addauth with an unknown scheme gets AuthFailed (-115) and the connection is closed."""
    raw = raw_session(ctx, 10000)
    expect(raw_auth(raw, "nosuchscheme", "whatever"), AUTH_FAILED, "auth error code")
    expect(raw.is_closed_by_server(), True, "connection closed")


@scenario(group=GROUP)
def auth_failure_keeps_the_session(ctx: Context) -> None:
    """After an AuthFailed the session lives: its ephemeral stays and it can be resumed."""
    raw = raw_session(ctx, 10000)
    assert raw.handshake is not None
    raw.request(Create(ctx.path("e"), b"", OPEN_ACL_UNSAFE, 1))
    raw_auth(raw, "world", "anyone")
    expect(raw.is_closed_by_server(), True, "connection closed after AuthFailed")
    stat = ctx.client().exists(ctx.path("e"))
    expect(stat is not None and stat.ephemeralOwner, raw.handshake.session_id, "ephemeral")
    again = raw_session(
        ctx, 10000, session_id=raw.handshake.session_id, password=raw.handshake.password
    )
    assert again.handshake is not None
    expect(again.handshake.session_id, raw.handshake.session_id, "resumed session id")
    again.request(Close)


@scenario(group=GROUP)
def kazoo_auth_failure(ctx: Context) -> None:
    """kazoo's add_auth with an unknown scheme raises AuthFailedError."""
    zk = ctx.client()
    with expect_raises(AuthFailedError, "add_auth('nosuchscheme', ...)"):
        zk.add_auth("nosuchscheme", "x")


@scenario(group=GROUP)
def who_am_i_lists_identities(ctx: Context) -> None:
    """whoAmI lists the connection's ip identity and each distinct digest identity added."""
    raw = raw_session(ctx, 10000)
    address = client_address(ctx)
    expect(who_am_i(raw), [("ip", address)], "identities before addauth")
    for credential in ("alice:secret", "bob:pw", "alice:secret"):
        raw_auth(raw, "digest", credential)
    expected = [("digest", "alice"), ("digest", "bob"), ("ip", address)]
    expect(who_am_i(raw), expected, "identities after adding alice, bob, alice")
    raw_auth(raw, "digest", "alice:wrong")
    expected.insert(0, ("digest", "alice"))
    expect(who_am_i(raw), expected, "identities after adding alice with another password")
    raw.request(Close)


@scenario(group=GROUP)
def addauth_ip_changes_nothing(ctx: Context) -> None:
    """addauth ip succeeds but the ip identity stays the connection's own address."""
    raw = raw_session(ctx, 10000)
    expect(raw_auth(raw, "ip", "10.9.8.7"), 0, "addauth ip error code")
    expect(who_am_i(raw), [("ip", client_address(ctx))], "identities")
    raw.request(Close)


@scenario(group=GROUP)
def addauth_digest_without_colon(ctx: Context) -> None:
    """addauth digest without a colon succeeds, naming the whole credential as the user."""
    raw = raw_session(ctx, 10000)
    expect(raw_auth(raw, "digest", "nocolon"), 0, "addauth error code")
    identities = [found for found in who_am_i(raw) if found[0] == "digest"]
    expect(identities, [("digest", "nocolon")], "digest identities")
    raw.request(Close)


# --- the auth scheme -------------------------------------------------------------------------


@scenario(group=GROUP)
def auth_scheme_expands_to_digest(ctx: Context) -> None:
    """An `auth` ACL entry is stored as a digest entry for the creator's identity."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[ACL(READ | WRITE | ADMIN, Id("auth", ""))])
    expected = [(READ | WRITE | ADMIN, "digest", digest_id(*ALICE))]
    expect(shown(alice.get_acls(ctx.path("n"))[0]), expected, "stored ACL")


@scenario(group=GROUP)
def auth_scheme_expands_to_every_identity(ctx: Context) -> None:
    """With alice and bob added, one `auth` entry becomes a digest entry for each."""
    setup(ctx)
    both = authed(ctx, ALICE, BOB)
    both.create(ctx.path("n"), acl=[ACL(ALL, Id("auth", ""))])
    found = sorted(shown(both.get_acls(ctx.path("n"))[0]))
    expected = sorted([(31, "digest", digest_id(*ALICE)), (31, "digest", digest_id(*BOB))])
    expect(found, expected, "stored ACL")


@scenario(group=GROUP)
def auth_scheme_ignores_its_id(ctx: Context) -> None:
    """The id of an `auth` entry is ignored: auth:bob still means the creator (alice)."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[ACL(ALL, Id("auth", "bob"))])
    expected = [(31, "digest", digest_id(*ALICE))]
    expect(shown(alice.get_acls(ctx.path("n"))[0]), expected, "stored ACL")


@scenario(group=GROUP)
def auth_scheme_without_auth_is_invalid(ctx: Context) -> None:
    """An `auth` entry from a session without digest auth is InvalidACL (ip does not count)."""
    zk = ctx.client()
    with expect_raises(InvalidACLError, "create with auth:: and no addauth"):
        zk.create(ctx.path("n"), acl=[ACL(ALL, Id("auth", ""))])
    zk.create(ctx.path("m"))
    with expect_raises(InvalidACLError, "setACL with auth:: and no addauth"):
        zk.set_acls(ctx.path("m"), [ACL(ALL, Id("auth", ""))])


@scenario(group=GROUP)
def auth_scheme_mixed_with_world(ctx: Context) -> None:
    """`auth` and world entries together: the digest entry replaces auth, in its place."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[world(READ), ACL(ALL, Id("auth", ""))])
    expected = [(1, "world", "anyone"), (31, "digest", digest_id(*ALICE))]
    expect(shown(alice.get_acls(ctx.path("n"))[0]), expected, "stored ACL")


@scenario(group=GROUP)
def set_acl_auth_scheme_expands(ctx: Context) -> None:
    """setACL with an `auth` entry stores the caller's digest identity too."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"))
    alice.set_acls(ctx.path("n"), [ACL(READ | ADMIN, Id("auth", ""))])
    expected = [(READ | ADMIN, "digest", digest_id(*ALICE))]
    expect(shown(alice.get_acls(ctx.path("n"))[0]), expected, "stored ACL")


# --- ip ------------------------------------------------------------------------------------------


@scenario(group=GROUP)
def ip_acl_matches_client_address(ctx: Context) -> None:
    """An ip ACL naming this client's address lets it in."""
    zk = ctx.client()
    zk.create(ctx.path("n"), b"x", acl=[ACL(ALL, Id("ip", client_address(ctx)))])
    expect(zk.get(ctx.path("n"))[0], b"x", "read")
    zk.set(ctx.path("n"), b"y")
    expect(zk.get(ctx.path("n"))[0], b"y", "read after a write")


@scenario(group=GROUP)
def ip_acl_other_address_denied(ctx: Context) -> None:
    """An ip ACL naming another address gives NoAuth."""
    setup(ctx)
    zk = ctx.client()
    other = "10.1.2.3" if client_address(ctx) != "10.1.2.3" else "10.1.2.4"
    zk.create(ctx.path("n"), acl=[ACL(ALL, Id("ip", other))])
    with expect_raises(NoAuthError, f"read of a node for ip:{other}"):
        zk.get(ctx.path("n"))


@scenario(group=GROUP)
def ip_acl_network_match(ctx: Context) -> None:
    """ip ACLs with a prefix length match by network: /24 and /0 in, another /8 out."""
    setup(ctx)
    zk = ctx.client()
    a, b, c, _ = client_address(ctx).split(".")
    outside = "10.0.0.0/8" if a != "10" else "11.0.0.0/8"
    zk.create(ctx.path("net24"), b"24", acl=[ACL(ALL, Id("ip", f"{a}.{b}.{c}.0/24"))])
    zk.create(ctx.path("any"), b"0", acl=[ACL(ALL, Id("ip", "10.20.30.40/0"))])
    zk.create(ctx.path("out"), acl=[ACL(ALL, Id("ip", outside))])
    expect(zk.get(ctx.path("net24"))[0], b"24", "read via a /24")
    expect(zk.get(ctx.path("any"))[0], b"0", "read via a /0")
    with expect_raises(NoAuthError, f"read via {outside}"):
        zk.get(ctx.path("out"))


@scenario(group=GROUP)
def ip_acl_invalid_addresses(ctx: Context) -> None:
    """Malformed ip ACL ids are InvalidACL: bad octet, prefix over 32, not an address."""
    zk = ctx.client()
    for index, address in enumerate(("999.1.1.1", "127.0.0.1/33", "hello")):
        with expect_raises(InvalidACLError, f"create with ip:{address}"):
            zk.create(ctx.path(f"n{index}"), acl=[ACL(ALL, Id("ip", address))])
    expect(zk.get_children(ctx.path()), [], "children")


# --- getACL --------------------------------------------------------------------------------------


@scenario(group=GROUP)
def get_acl_redacts_digest_without_admin(ctx: Context) -> None:
    """getACL by a reader without ADMIN shows digest ids as user:x; the admin sees the hash."""
    setup(ctx)
    alice, reader = authed(ctx, ALICE), ctx.client()
    alice.create(ctx.path("n"), acl=[digest_acl(ALICE, ALL), world(READ)])
    expected = [(31, "digest", "alice:x"), (1, "world", "anyone")]
    expect(shown(reader.get_acls(ctx.path("n"))[0]), expected, "ACL as a reader sees it")
    expected[0] = (31, "digest", digest_id(*ALICE))
    expect(shown(alice.get_acls(ctx.path("n"))[0]), expected, "ACL as alice sees it")


@scenario(group=GROUP)
def get_acl_redacts_for_read_only_owner(ctx: Context) -> None:
    """Even the named user sees its own digest redacted when its entry lacks ADMIN."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[digest_acl(ALICE, READ)])
    expect(shown(alice.get_acls(ctx.path("n"))[0]), [(1, "digest", "alice:x")], "ACL")


@scenario(group=GROUP)
def get_acl_with_admin_only(ctx: Context) -> None:
    """getACL works with ADMIN alone (no READ), and then nothing is redacted."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("n"), acl=[digest_acl(ALICE, ADMIN)])
    expect(shown(alice.get_acls(ctx.path("n"))[0]), [(16, "digest", digest_id(*ALICE))], "ACL")
    with expect_raises(NoAuthError, "getData with ADMIN only"):
        alice.get(ctx.path("n"))


@scenario(group=GROUP)
def get_acl_needs_read_or_admin(ctx: Context) -> None:
    """getACL without READ or ADMIN raises NoAuth."""
    setup(ctx)
    zk = ctx.client()
    zk.create(ctx.path("n"), acl=[world(WRITE | CREATE | DELETE)])
    with expect_raises(NoAuthError, "getACL with WRITE|CREATE|DELETE"):
        zk.get_acls(ctx.path("n"))


@scenario(group=GROUP)
def get_acl_does_not_redact_other_schemes(ctx: Context) -> None:
    """Redaction touches digest ids only: ip and world entries are shown as stored."""
    setup(ctx)
    zk = ctx.client()
    acl = [ACL(READ, Id("ip", "10.1.2.3")), world(READ), ACL(WRITE, Id("ip", "10.0.0.0/8"))]
    zk.create(ctx.path("n"), acl=acl)
    expect(shown(zk.get_acls(ctx.path("n"))[0]), shown(acl), "ACL without ADMIN")


# --- setACL and aversion -----------------------------------------------------------------------


@scenario(group=GROUP)
def set_acl_bumps_aversion_only(ctx: Context) -> None:
    """setACL increments aversion (even with the same ACL); version, mzxid, cversion stay."""
    zk = ctx.client()
    zk.create(ctx.path("n"), b"x")
    before = zk.exists(ctx.path("n"))
    first = zk.set_acls(ctx.path("n"), [world(ALL)])
    second = zk.set_acls(ctx.path("n"), [world(ALL)])
    expect((first.aversion, second.aversion), (1, 2), "aversion after two setACLs")
    expect(
        (second.version, second.cversion, second.mzxid),
        (before.version, before.cversion, before.mzxid),
        "(version, cversion, mzxid)",
    )


@scenario(group=GROUP)
def set_acl_version_check(ctx: Context) -> None:
    """setACL with a stale aversion raises BadVersion; the current one, or -1, succeeds."""
    zk = ctx.client()
    zk.create(ctx.path("n"))
    with expect_raises(BadVersionError, "setACL at aversion 1 when it is 0"):
        zk.set_acls(ctx.path("n"), [world(READ)], version=1)
    expect(zk.set_acls(ctx.path("n"), [world(ALL)], version=0).aversion, 1, "aversion")
    with expect_raises(BadVersionError, "setACL at aversion 0 when it is 1"):
        zk.set_acls(ctx.path("n"), [world(ALL)], version=0)
    expect(zk.set_acls(ctx.path("n"), [world(ALL)], version=-1).aversion, 2, "aversion")


@scenario(group=GROUP)
def set_acl_version_is_aversion_not_version(ctx: Context) -> None:
    """setACL's version is compared with aversion, not the data version."""
    zk = ctx.client()
    zk.create(ctx.path("n"))
    zk.set(ctx.path("n"), b"1")
    zk.set(ctx.path("n"), b"2")
    with expect_raises(BadVersionError, "setACL with the data version 2"):
        zk.set_acls(ctx.path("n"), [world(ALL)], version=2)
    expect(zk.set_acls(ctx.path("n"), [world(ALL)], version=0).aversion, 1, "aversion")


@scenario(group=GROUP)
def set_acl_then_access_changes(ctx: Context) -> None:
    """After setACL to a digest ACL, an unauthenticated session is refused at once."""
    setup(ctx)
    alice, other = authed(ctx, ALICE), ctx.client()
    alice.create(ctx.path("n"), b"x")
    expect(other.get(ctx.path("n"))[0], b"x", "read before setACL")
    alice.set_acls(ctx.path("n"), [digest_acl(ALICE, ALL)])
    with expect_raises(NoAuthError, "read after setACL"):
        other.get(ctx.path("n"))


@scenario(group=GROUP)
def set_acl_removes_duplicates(ctx: Context) -> None:
    """Duplicate entries are dropped (create and setACL); same id with other perms stays."""
    zk = ctx.client()
    zk.create(ctx.path("n"), acl=[world(ALL), world(ALL)])
    expect(shown(zk.get_acls(ctx.path("n"))[0]), [(31, "world", "anyone")], "ACL after create")
    zk.set_acls(ctx.path("n"), [world(ALL), world(ALL), world(READ)])
    expected = [(31, "world", "anyone"), (1, "world", "anyone")]
    expect(shown(zk.get_acls(ctx.path("n"))[0]), expected, "ACL after setACL")


@scenario(group=GROUP)
def acl_order_is_kept(ctx: Context) -> None:
    """getACL returns the entries in the order they were given."""
    zk = ctx.client()
    address = client_address(ctx)
    acl = [ACL(ALL, Id("ip", address)), world(READ | WRITE), digest_acl(BOB, READ)]
    zk.create(ctx.path("n"), acl=acl)
    expected = [(31, "ip", address), (3, "world", "anyone"), (1, "digest", digest_id(*BOB))]
    expect(shown(zk.get_acls(ctx.path("n"))[0]), expected, "ACL")


@scenario(group=GROUP)
def permission_bits_stored_as_given(ctx: Context) -> None:
    """Permission values outside 0..31 are stored as given: 63 and -1 come back unchanged."""
    zk = ctx.client()
    zk.create(ctx.path("a"), acl=[world(63)])
    zk.create(ctx.path("b"), acl=[world(-1)])
    expect(zk.get_acls(ctx.path("a"))[0][0].perms, 63, "perms of a")
    expect(zk.get_acls(ctx.path("b"))[0][0].perms, -1, "perms of b")
    zk.set(ctx.path("b"), b"writable")
    expect(zk.get(ctx.path("b"))[0], b"writable", "data of b")


# --- InvalidACL ------------------------------------------------------------------------------


@scenario(group=GROUP)
def unknown_scheme_is_invalid(ctx: Context) -> None:
    """An ACL with an unknown scheme is InvalidACL on create and on setACL."""
    zk = ctx.client()
    with expect_raises(InvalidACLError, "create with foo:bar"):
        zk.create(ctx.path("n"), acl=[ACL(ALL, Id("foo", "bar"))])
    zk.create(ctx.path("m"))
    with expect_raises(InvalidACLError, "setACL with foo:bar"):
        zk.set_acls(ctx.path("m"), [ACL(ALL, Id("foo", "bar"))])


@scenario(group=GROUP)
def world_with_other_id_is_invalid(ctx: Context) -> None:
    """world:<anything but anyone> is InvalidACL."""
    zk = ctx.client()
    for index, name in enumerate(("bob", "Anyone")):
        with expect_raises(InvalidACLError, f"create with world:{name!r}"):
            zk.create(ctx.path(f"n{index}"), acl=[ACL(ALL, Id("world", name))])


@scenario(group=GROUP)
def malformed_digest_is_invalid(ctx: Context) -> None:
    """digest ids must be user:hash: no colon, two colons or an empty hash are InvalidACL."""
    zk = ctx.client()
    for index, ident in enumerate(("nocolon", "a:b:c", "a:")):
        with expect_raises(InvalidACLError, f"create with digest:{ident}"):
            zk.create(ctx.path(f"n{index}"), acl=[ACL(ALL, Id("digest", ident))])


@scenario(group=GROUP)
def empty_acl_is_invalid(ctx: Context) -> None:
    """An empty ACL list is InvalidACL on create and on setACL (sent raw)."""
    zk = ctx.client()
    with expect_raises(InvalidACLError, "create with []"):
        ctx.raw(zk, Create(ctx.path("n"), b"", [], 0))
    zk.create(ctx.path("m"))
    with expect_raises(InvalidACLError, "setACL with []"):
        ctx.raw(zk, SetACL(ctx.path("m"), [], -1))
    expect(zk.exists(ctx.path("m")).aversion, 0, "aversion after the refused setACL")


@scenario(group=GROUP)
def one_invalid_entry_spoils_the_list(ctx: Context) -> None:
    """A list with valid entries and one invalid entry is InvalidACL as a whole."""
    zk = ctx.client()
    with expect_raises(InvalidACLError, "create with world ALL + foo:bar"):
        zk.create(ctx.path("n"), acl=[world(ALL), ACL(ALL, Id("foo", "bar"))])
    expect(zk.exists(ctx.path("n")), None, "node after the refused create")


@scenario(group=GROUP)
def invalid_acl_in_multi(ctx: Context) -> None:
    """A multi creating with an invalid ACL reports InvalidACL and rolls back the rest."""
    zk = ctx.client()
    tx = zk.transaction()
    tx.create(ctx.path("a"))
    tx.create(ctx.path("b"), acl=[ACL(ALL, Id("foo", "bar"))])
    tx.create(ctx.path("c"))
    kinds = [type(result).__name__ for result in tx.commit()]
    expected = [RolledBackError.__name__, InvalidACLError.__name__, RuntimeInconsistency.__name__]
    expect(kinds, expected, "results")
    expect(zk.get_children(ctx.path()), [], "children")


@scenario(group=GROUP)
def raw_error_codes(ctx: Context) -> None:
    """On the wire: NoAuth is -102 and InvalidACL is -114."""
    setup(ctx)
    raw = raw_session(ctx, 10000)
    header, _ = raw.request(Create(ctx.path("n"), b"", [ACL(ALL, Id("foo", "bar"))], 0))
    expect(header.err, INVALID_ACL, "create with an unknown scheme")
    raw.request(Create(ctx.path("m"), b"", [world(0)], 0))
    expect(raw.request(GetData(ctx.path("m"), False))[0].err, NO_AUTH, "getData without READ")
    expect(raw.request(Exists(ctx.path("m"), False))[0].err, 0, "exists without READ")
    raw.request(Close)


@scenario(group=GROUP)
def restricted_non_empty_delete_is_not_empty(ctx: Context) -> None:
    """Deleting a restricted node that has children, with DELETE on its parent, is NotEmpty."""
    setup(ctx)
    alice = authed(ctx, ALICE)
    alice.create(ctx.path("p"), acl=[digest_acl(ALICE, ALL)])
    alice.create(ctx.path("p", "c"))
    with expect_raises(NotEmptyError, "anonymous delete of a restricted non-empty node"):
        ctx.client().delete(ctx.path("p"))
