"""errors: which error code each operation returns, and when.

Malformed paths are sent with `ctx.raw` because kazoo normalises paths before sending them.
Apache ZooKeeper validates paths only on some operations: create, setData, setACL and check
reject them with BadArguments; reads simply find no such node.
"""

from __future__ import annotations

from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    InvalidACLError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
)
from kazoo.protocol.serialization import (
    Create,
    Create2,
    Delete,
    Exists,
    GetACL,
    GetChildren,
    GetData,
    SetACL,
    SetData,
    Sync,
)
from kazoo.security import OPEN_ACL_UNSAFE

from conformance.context import Context
from conformance.scenario import expect, expect_raises, scenario

# --- NoNode -----------------------------------------------------------------------------------


@scenario(group="errors")
def get_missing_node(ctx: Context) -> None:
    """getData of a missing node raises NoNode."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "get of a missing node"):
        zk.get(ctx.path("missing"))


@scenario(group="errors")
def set_missing_node(ctx: Context) -> None:
    """setData of a missing node raises NoNode, whatever the version."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "set of a missing node, version -1"):
        zk.set(ctx.path("missing"), b"x")
    with expect_raises(NoNodeError, "set of a missing node, version 3"):
        zk.set(ctx.path("missing"), b"x", version=3)


@scenario(group="errors")
def delete_missing_node(ctx: Context) -> None:
    """delete of a missing node raises NoNode."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "delete of a missing node"):
        zk.delete(ctx.path("missing"))


@scenario(group="errors")
def children_of_missing_node(ctx: Context) -> None:
    """getChildren and getChildren2 of a missing node raise NoNode."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "getChildren of a missing node"):
        zk.get_children(ctx.path("missing"))
    with expect_raises(NoNodeError, "getChildren2 of a missing node"):
        zk.get_children(ctx.path("missing"), include_data=True)


@scenario(group="errors")
def acl_of_missing_node(ctx: Context) -> None:
    """getACL and setACL of a missing node raise NoNode."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "getACL of a missing node"):
        zk.get_acls(ctx.path("missing"))
    with expect_raises(NoNodeError, "setACL of a missing node"):
        zk.set_acls(ctx.path("missing"), OPEN_ACL_UNSAFE)


@scenario(group="errors")
def create_under_missing_parent(ctx: Context) -> None:
    """create whose parent does not exist raises NoNode and creates nothing."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "create under a missing parent"):
        zk.create(ctx.path("no", "child"))
    expect(zk.get_children(ctx.path()), [], "children of the base after the failed create")


@scenario(group="errors")
def sequential_create_under_missing_parent(ctx: Context) -> None:
    """A sequential create under a missing parent raises NoNode too."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "sequential create under a missing parent"):
        zk.create(ctx.path("no", "s-"), sequence=True)


# --- NodeExists -------------------------------------------------------------------------------


@scenario(group="errors")
def create_existing_node(ctx: Context) -> None:
    """create of an existing path raises NodeExists and leaves the node unchanged."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"first")
    with expect_raises(NodeExistsError, "second create of the same path"):
        zk.create(ctx.path("node"), b"second")
    data, stat = zk.get(ctx.path("node"))
    expect((data, stat.version), (b"first", 0), "(data, version) after the failed create")


@scenario(group="errors")
def create_existing_ephemeral(ctx: Context) -> None:
    """Creating an ephemeral over an existing node raises NodeExists."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    with expect_raises(NodeExistsError, "ephemeral create of an existing path"):
        zk.create(ctx.path("node"), ephemeral=True)


@scenario(group="errors")
def create_root(ctx: Context) -> None:
    """create of "/" raises NodeExists."""
    zk = ctx.client()
    with expect_raises(NodeExistsError, "create /"):
        ctx.raw(zk, Create("/", b"", OPEN_ACL_UNSAFE, 0))


# --- BadVersion -------------------------------------------------------------------------------


@scenario(group="errors")
def set_with_wrong_version(ctx: Context) -> None:
    """setData with a stale version raises BadVersion and changes nothing."""
    zk = ctx.client()
    zk.create(ctx.path("node"), b"v0")
    zk.set(ctx.path("node"), b"v1")
    with expect_raises(BadVersionError, "set with version 0 when the node is at 1"):
        zk.set(ctx.path("node"), b"stale", version=0)
    data, stat = zk.get(ctx.path("node"))
    expect((data, stat.version), (b"v1", 1), "(data, version) after the failed set")


@scenario(group="errors")
def set_with_future_version(ctx: Context) -> None:
    """setData with a version ahead of the node's raises BadVersion."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    with expect_raises(BadVersionError, "set with version 5 on a new node"):
        zk.set(ctx.path("node"), b"x", version=5)


@scenario(group="errors")
def delete_with_wrong_version(ctx: Context) -> None:
    """delete with a wrong version raises BadVersion and the node stays."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    with expect_raises(BadVersionError, "delete with version 1 of a version-0 node"):
        zk.delete(ctx.path("node"), version=1)
    expect(zk.exists(ctx.path("node")) is not None, True, "node exists after the failed delete")


@scenario(group="errors")
def set_acl_with_wrong_version(ctx: Context) -> None:
    """setACL checks the ACL version (aversion), not the data version."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.set(ctx.path("node"), b"x")
    with expect_raises(BadVersionError, "setACL with version 1 (the data version)"):
        zk.set_acls(ctx.path("node"), OPEN_ACL_UNSAFE, version=1)
    expect(
        zk.set_acls(ctx.path("node"), OPEN_ACL_UNSAFE, version=0).aversion,
        1,
        "aversion after setACL",
    )


@scenario(group="errors")
def bad_version_wins_over_not_empty(ctx: Context) -> None:
    """Deleting a node that has children, with a wrong version, raises BadVersion."""
    zk = ctx.client()
    zk.create(ctx.path("parent"))
    zk.create(ctx.path("parent", "child"))
    with expect_raises(BadVersionError, "delete with wrong version of a non-empty node"):
        zk.delete(ctx.path("parent"), version=7)


# --- NotEmpty, NoChildrenForEphemerals --------------------------------------------------------


@scenario(group="errors")
def delete_node_with_children(ctx: Context) -> None:
    """delete of a node that has children raises NotEmpty and deletes nothing."""
    zk = ctx.client()
    zk.create(ctx.path("parent"))
    zk.create(ctx.path("parent", "child"))
    with expect_raises(NotEmptyError, "delete of a node with a child"):
        zk.delete(ctx.path("parent"))
    expect(zk.get_children(ctx.path("parent")), ["child"], "children after the failed delete")


@scenario(group="errors")
def child_of_ephemeral(ctx: Context) -> None:
    """Creating any child under an ephemeral node raises NoChildrenForEphemerals."""
    zk = ctx.client()
    zk.create(ctx.path("eph"), ephemeral=True)
    with expect_raises(NoChildrenForEphemeralsError, "persistent child of an ephemeral"):
        zk.create(ctx.path("eph", "child"))
    with expect_raises(NoChildrenForEphemeralsError, "ephemeral child of an ephemeral"):
        zk.create(ctx.path("eph", "child"), ephemeral=True)
    with expect_raises(NoChildrenForEphemeralsError, "sequential child of an ephemeral"):
        zk.create(ctx.path("eph", "s-"), sequence=True)


@scenario(group="errors")
def child_of_another_sessions_ephemeral(ctx: Context) -> None:
    """Another session cannot create under an ephemeral node either."""
    owner = ctx.client()
    other = ctx.client()
    owner.create(ctx.path("eph"), ephemeral=True)
    with expect_raises(NoChildrenForEphemeralsError, "child of another session's ephemeral"):
        other.create(ctx.path("eph", "child"))


# --- BadArguments and malformed requests ------------------------------------------------------


@scenario(group="errors")
def create_with_trailing_slash(ctx: Context) -> None:
    """create of "parent/child/" (parent exists) raises BadArguments."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    with expect_raises(BadArgumentsError, "create of a path ending in /"):
        ctx.raw(zk, Create(ctx.path("node") + "/", b"", OPEN_ACL_UNSAFE, 0))


@scenario(group="errors")
def create_with_dot_components(ctx: Context) -> None:
    """create of ".../." or ".../.." raises BadArguments."""
    zk = ctx.client()
    for name in (".", ".."):
        with expect_raises(BadArgumentsError, f"create of base/{name}"):
            ctx.raw(zk, Create(ctx.path(name), b"", OPEN_ACL_UNSAFE, 0))


@scenario(group="errors")
def create_with_nul_character(ctx: Context) -> None:
    """create of a path containing NUL raises BadArguments."""
    zk = ctx.client()
    with expect_raises(BadArgumentsError, "create of a path with \\x00"):
        ctx.raw(zk, Create(ctx.path("a\x00b"), b"", OPEN_ACL_UNSAFE, 0))


@scenario(group="errors")
def create_with_forbidden_characters(ctx: Context) -> None:
    """create rejects control characters, U+FFFF and the like with BadArguments."""
    zk = ctx.client()
    for char in ("\x01", "\x1f", "\x7f", "\x9f", "\ufff0", "\uffff", "\ue000"):
        with expect_raises(BadArgumentsError, f"create of a name containing {char!r}"):
            ctx.raw(zk, Create(ctx.path("a" + char), b"", OPEN_ACL_UNSAFE, 0))
    expect(zk.get_children(ctx.path()), [], "nothing was created")


@scenario(group="errors")
def create_with_double_slash_finds_no_parent(ctx: Context) -> None:
    """create of "base//x" raises NoNode: the parent looked up is "base/", which is missing."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "create of base//x"):
        ctx.raw(zk, Create(ctx.path() + "//x", b"", OPEN_ACL_UNSAFE, 0))


@scenario(group="errors")
def create_relative_path(ctx: Context) -> None:
    """create of a path without the leading "/" raises NoNode (its parent cannot exist)."""
    zk = ctx.client()
    with expect_raises(NoNodeError, "create of a relative path"):
        ctx.raw(zk, Create(ctx.path("x").lstrip("/"), b"", OPEN_ACL_UNSAFE, 0))


@scenario(group="errors")
def create2_with_bad_path(ctx: Context) -> None:
    """create2 validates paths exactly like create."""
    zk = ctx.client()
    with expect_raises(BadArgumentsError, "create2 of base/.."):
        ctx.raw(zk, Create2(ctx.path(".."), b"", OPEN_ACL_UNSAFE, 0))


@scenario(group="errors")
def set_with_malformed_path(ctx: Context) -> None:
    """setData and setACL of a malformed path raise BadArguments (not NoNode)."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    malformed = ctx.path("node") + "/"
    with expect_raises(BadArgumentsError, "setData of a path ending in /"):
        ctx.raw(zk, SetData(malformed, b"x", -1))
    with expect_raises(BadArgumentsError, "setACL of a path ending in /"):
        ctx.raw(zk, SetACL(malformed, OPEN_ACL_UNSAFE, -1))


@scenario(group="errors")
def reads_of_malformed_paths_find_nothing(ctx: Context) -> None:
    """getData, getChildren and getACL do not validate paths: a malformed one is NoNode."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    malformed = ctx.path("node") + "/"
    for label, request in (
        ("getData", GetData(malformed, None)),
        ("getChildren", GetChildren(malformed, None)),
        ("getACL", GetACL(malformed)),
    ):
        with expect_raises(NoNodeError, f"{label} of a path ending in /"):
            ctx.raw(zk, request)
    expect(ctx.raw(zk, Exists(malformed, None)), None, "exists of a path ending in /")


@scenario(group="errors")
def nul_in_exists_and_delete(ctx: Context) -> None:
    """exists and delete reject a path containing NUL with BadArguments; getData says NoNode."""
    zk = ctx.client()
    path = ctx.path("a\x00")
    with expect_raises(BadArgumentsError, "exists of a path with \\x00"):
        ctx.raw(zk, Exists(path, None))
    with expect_raises(BadArgumentsError, "delete of a path with \\x00"):
        ctx.raw(zk, Delete(path, -1))
    with expect_raises(NoNodeError, "getData of a path with \\x00"):
        ctx.raw(zk, GetData(path, None))


@scenario(group="errors")
def delete_of_malformed_path(ctx: Context) -> None:
    """delete of a path ending in "/" raises NoNode (it is looked up, not validated)."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    with expect_raises(NoNodeError, "delete of a path ending in /"):
        ctx.raw(zk, Delete(ctx.path("node") + "/", -1))
    expect(zk.exists(ctx.path("node")) is not None, True, "the real node is untouched")


@scenario(group="errors")
def sync_does_not_validate(ctx: Context) -> None:
    """sync echoes any path back, even one that is malformed or missing."""
    zk = ctx.client()
    for path in (ctx.path("missing"), ctx.path() + "//x/"):
        expect(ctx.raw(zk, Sync(path)), path, f"sync of {path!r}")


@scenario(group="errors")
def delete_root(ctx: Context) -> None:
    """delete of "/" raises BadArguments."""
    zk = ctx.client()
    with expect_raises(BadArgumentsError, "delete /"):
        zk.delete("/")


@scenario(group="errors")
def unknown_create_flags(ctx: Context) -> None:
    """create with flags that name no create mode (7, 99, -1) raises BadArguments."""
    zk = ctx.client()
    for flags in (7, 99, -1):
        with expect_raises(BadArgumentsError, f"create with flags {flags}"):
            ctx.raw(zk, Create2(ctx.path(f"f{flags}"), b"", OPEN_ACL_UNSAFE, flags))


@scenario(group="errors")
def create_with_empty_acl(ctx: Context) -> None:
    """create with an empty ACL list raises InvalidACL."""
    zk = ctx.client()
    with expect_raises(InvalidACLError, "create with an empty ACL"):
        ctx.raw(zk, Create(ctx.path("node"), b"", [], 0))
    expect(zk.exists(ctx.path("node")), None, "nothing was created")


@scenario(group="errors")
def set_acl_empty(ctx: Context) -> None:
    """setACL with an empty ACL list raises InvalidACL."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    with expect_raises(InvalidACLError, "setACL with an empty ACL"):
        ctx.raw(zk, SetACL(ctx.path("node"), [], -1))


@scenario(group="errors")
def nul_checked_before_parent(ctx: Context) -> None:
    """A NUL in a create path is BadArguments even when the parent is missing too."""
    zk = ctx.client()
    with expect_raises(BadArgumentsError, "create of missing/a\\x00"):
        ctx.raw(zk, Create(ctx.path("missing", "a\x00"), b"", OPEN_ACL_UNSAFE, 0))
