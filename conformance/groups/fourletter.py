"""fourletter: four-letter words sent as raw bytes on the client port.

The suite expects `4lw.commands.whitelist=*` (as `oracle-run` configures). Values that move
with load (latencies, packet counts) are checked for shape, never for amounts.
"""

from __future__ import annotations

import re
from typing import Any

from conformance.context import Context
from conformance.scenario import expect, expect_in, expect_match, expect_order, scenario

MODES = ("standalone", "leader", "follower", "observer", "read-only")

SRVR_LINES = (
    r"^Zookeeper version: \d+\.\d+\.\d+",
    r"^Latency min/avg/max: \d+/[\d.]+(E-?\d+)?/\d+$",  # Java prints 5.0E-4 below 10^-3
    r"^Received: \d+$",
    r"^Sent: \d+$",
    r"^Connections: \d+$",
    r"^Outstanding: \d+$",
    r"^Zxid: 0x[0-9a-f]+$",
    r"^Mode: \S+$",
    r"^Node count: \d+$",
)

MNTR_KEYS = (
    "zk_version",
    "zk_server_state",
    "zk_avg_latency",
    "zk_max_latency",
    "zk_min_latency",
    "zk_packets_received",
    "zk_packets_sent",
    "zk_num_alive_connections",
    "zk_outstanding_requests",
    "zk_znode_count",
    "zk_watch_count",
    "zk_ephemerals_count",
    "zk_approximate_data_size",
    "zk_open_file_descriptor_count",
    "zk_max_file_descriptor_count",
)


def ignore(event: Any) -> None:
    """A watch callback for watches that are only counted."""


def fields(answer: str, separator: str) -> dict[str, str]:
    """`key<separator>value` lines as a dict."""
    found = {}
    for line in answer.splitlines():
        key, sep, value = line.partition(separator)
        if sep:
            found[key.strip()] = value.strip()
    return found


@scenario(group="fourletter")
def ruok_answers_imok(ctx: Context) -> None:
    """ruok answers exactly "imok" (no newline) and closes the connection."""
    expect(ctx.four_letter("ruok"), "imok", "answer to ruok")


@scenario(group="fourletter")
def srvr_lines(ctx: Context) -> None:
    """srvr reports version, latency, packets, connections, outstanding, zxid, mode, node count."""
    answer = ctx.four_letter("srvr")
    for pattern in SRVR_LINES:
        expect_match(answer, pattern, f"srvr line {pattern}")


@scenario(group="fourletter")
def srvr_mode(ctx: Context) -> None:
    """srvr's Mode is one of standalone, leader, follower, observer, read-only."""
    mode = fields(ctx.four_letter("srvr"), ":").get("Mode", "")
    expect_in(mode, MODES, "srvr Mode")


@scenario(group="fourletter")
def srvr_zxid_follows_writes(ctx: Context) -> None:
    """srvr's Zxid is at least the zxid of a write that has just been acknowledged."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    written = zk.last_zxid
    zxid = int(fields(ctx.four_letter("srvr"), ":")["Zxid"], 16)
    expect_order(zxid, ">=", written, "srvr Zxid vs the create's zxid")


@scenario(group="fourletter")
def srvr_node_count_follows_creates(ctx: Context) -> None:
    """srvr's Node count grows by 3 when three nodes are created (nothing else running)."""
    zk = ctx.client()
    before = int(fields(ctx.four_letter("srvr"), ":")["Node count"])
    for name in ("a", "b", "c"):
        zk.create(ctx.path(name))
    after = int(fields(ctx.four_letter("srvr"), ":")["Node count"])
    expect(after - before, 3, "change in Node count")


@scenario(group="fourletter")
def stat_lists_clients(ctx: Context) -> None:
    """stat has srvr's lines plus a Clients: section listing connections."""
    ctx.client()
    answer = ctx.four_letter("stat")
    expect_match(answer, r"^Clients:$", "stat's Clients: header")
    expect_match(answer, r"^ /[^\s]+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+", "a client line")
    expect_match(answer, r"^Node count: \d+$", "stat's Node count line")


@scenario(group="fourletter")
def mntr_keys(ctx: Context) -> None:
    """mntr answers tab-separated key/value lines including the standard zk_* keys."""
    answer = ctx.four_letter("mntr")
    found = fields(answer, "\t")
    for key in MNTR_KEYS:
        expect_in(key, found, "mntr keys")
    expect_in(found["zk_server_state"], MODES, "zk_server_state")


@scenario(group="fourletter")
def mntr_znode_count_matches_srvr(ctx: Context) -> None:
    """mntr's zk_znode_count equals srvr's Node count when nothing changes in between."""
    ctx.client()
    count = fields(ctx.four_letter("mntr"), "\t")["zk_znode_count"]
    expect(fields(ctx.four_letter("srvr"), ":")["Node count"], count, "srvr Node count vs mntr")


@scenario(group="fourletter")
def mntr_counts_ephemerals_and_watches(ctx: Context) -> None:
    """mntr's zk_ephemerals_count and zk_watch_count grow with a new ephemeral and a new watch."""
    zk = ctx.client()
    before = fields(ctx.four_letter("mntr"), "\t")
    zk.create(ctx.path("e"), ephemeral=True)
    zk.get(ctx.path("e"), watch=lambda event: None)
    after = fields(ctx.four_letter("mntr"), "\t")
    expect(
        int(after["zk_ephemerals_count"]) - int(before["zk_ephemerals_count"]),
        1,
        "change in zk_ephemerals_count",
    )
    expect(
        int(after["zk_watch_count"]) - int(before["zk_watch_count"]), 1, "change in zk_watch_count"
    )


@scenario(group="fourletter")
def mntr_counts_bytes_per_namespace(ctx: Context) -> None:
    """mntr sums the bytes of reads and writes per top-level znode, with a 68-byte stat allowance.

    A write counts the path's length plus the data; a read counts the path, the data (or the
    child names) and 68 bytes for the Stat. Namespace: the first component of the path.
    """
    zk = ctx.client()
    namespace = ctx.base.split("/")[1]
    path = ctx.path("counted")

    def totals(kind: str) -> tuple[int, int]:
        found = fields(ctx.four_letter("mntr"), "\t")
        name = f"{namespace}_{kind}_per_namespace"
        return int(found.get(f"zk_cnt_{name}", 0)), int(found.get(f"zk_sum_{name}", 0))

    writes, reads = totals("write"), totals("read")
    zk.create(path, b"12345")
    zk.set(path, b"1")
    zk.get(path)
    zk.exists(path)
    zk.get_children(ctx.path())
    after_writes, after_reads = totals("write"), totals("read")
    expect(
        (after_writes[0] - writes[0], after_writes[1] - writes[1]),
        (2, 2 * len(path) + 5 + 1),
        "change in (cnt, sum) of write_per_namespace after a create and a set",
    )
    expect(
        (after_reads[0] - reads[0], after_reads[1] - reads[1]),
        (3, (len(path) + 1 + 68) + (len(path) + 68) + (len(ctx.path()) + len("counted") + 68)),
        "change in (cnt, sum) of read_per_namespace after getData, exists and getChildren",
    )


@scenario(group="fourletter")
def mntr_counts_watchers_per_trigger(ctx: Context) -> None:
    """mntr's node_*_watch_count summaries take, per trigger, how many watchers it notified.

    A delete triggers the data table and the child table separately, and each call that
    notifies anyone counts, so one delete seen by three watches counts twice (2 + 1).
    """
    a, b = ctx.client(), ctx.client()
    parent, child = ctx.path("w"), ctx.path("w", "c")
    a.create(parent)

    def counts() -> dict[str, int]:
        found = fields(ctx.four_letter("mntr"), "\t")
        return {
            f"{kind}_{event}": int(found[f"zk_{kind}_node_{event}_watch_count"])
            for kind in ("cnt", "sum")
            for event in ("created", "deleted", "children", "changed")
        }

    before = counts()
    a.exists(child, watch=ignore)
    a.get_children(parent, watch=ignore)
    b.get_children(parent, watch=ignore)
    b.create(child)
    a.get(child, watch=ignore)
    a.get_children(child, watch=ignore)
    b.get(child, watch=ignore)
    b.delete(child)
    b.sync("/")
    after = counts()
    expect(
        {key: after[key] - before[key] for key in after},
        {
            "cnt_created": 1,
            "cnt_deleted": 2,
            "cnt_children": 1,
            "cnt_changed": 0,
            "sum_created": 1,
            "sum_deleted": 3,
            "sum_children": 2,
            "sum_changed": 0,
        },
        "change in the node_*_watch_count summaries",
    )


@scenario(group="fourletter")
def conf_lists_settings(ctx: Context) -> None:
    """conf lists key=value settings including clientPort, dataDir and tickTime."""
    found = fields(ctx.four_letter("conf"), "=")
    for key in (
        "clientPort",
        "dataDir",
        "tickTime",
        "maxClientCnxns",
        "minSessionTimeout",
        "maxSessionTimeout",
    ):
        expect_in(key, found, "conf keys")
    port = ctx.hosts.split(",")[0].rpartition(":")[2]
    expect(found["clientPort"], port, "conf clientPort vs the port we connected to")


@scenario(group="fourletter")
def conf_session_timeouts_follow_tick(ctx: Context) -> None:
    """conf's default session timeout bounds are 2 and 20 ticks."""
    found = fields(ctx.four_letter("conf"), "=")
    tick = int(found["tickTime"])
    expect(
        (int(found["minSessionTimeout"]), int(found["maxSessionTimeout"])),
        (2 * tick, 20 * tick),
        "(minSessionTimeout, maxSessionTimeout) for the default configuration",
    )


@scenario(group="fourletter")
def envi_lists_environment(ctx: Context) -> None:
    """envi starts with "Environment:" and includes zookeeper.version and host.name."""
    answer = ctx.four_letter("envi")
    expect(answer.splitlines()[0], "Environment:", "first line of envi")
    expect_match(answer, r"^zookeeper\.version=\d+\.\d+\.\d+", "zookeeper.version line")
    expect_match(answer, r"^host\.name=", "host.name line")


@scenario(group="fourletter")
def isro_answers_rw(ctx: Context) -> None:
    """isro answers "rw" on a server that serves writes."""
    expect(ctx.four_letter("isro"), "rw", "answer to isro")


@scenario(group="fourletter")
def cons_lists_sessions(ctx: Context) -> None:
    """cons lists each connection with its session id, in hex."""
    zk = ctx.client()
    session = f"sid=0x{zk.client_id[0]:x}"
    answer = ctx.four_letter("cons")
    expect_in(session, answer, "cons output")


@scenario(group="fourletter")
def wchs_counts_watches(ctx: Context) -> None:
    """wchs summarises watches: "N connections watching M paths" and "Total watches:N"."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.get(ctx.path("node"), watch=lambda event: None)
    answer = ctx.four_letter("wchs")
    expect_match(answer, r"^\d+ connections watching \d+ paths$", "wchs first line")
    total = re.search(r"^Total watches:(\d+)$", answer, re.MULTILINE)
    expect(total is not None, True, "wchs has a Total watches:N line")
    expect_order(int(total.group(1)) if total else 0, ">=", 1, "Total watches")


@scenario(group="fourletter")
def wchp_lists_watched_paths(ctx: Context) -> None:
    """wchp lists a watched path followed by the watching session id."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.get(ctx.path("node"), watch=lambda event: None)
    answer = ctx.four_letter("wchp")
    expect_match(
        answer,
        rf"^{re.escape(ctx.path('node'))}\n\t0x{zk.client_id[0]:x}$",
        "wchp entry for the node",
    )


@scenario(group="fourletter")
def wchc_lists_watches_by_session(ctx: Context) -> None:
    """wchc lists a session id followed by the paths it watches."""
    zk = ctx.client()
    zk.create(ctx.path("node"))
    zk.exists(ctx.path("node"), watch=lambda event: None)
    answer = ctx.four_letter("wchc")
    expect_match(
        answer,
        rf"^0x{zk.client_id[0]:x}\n\t{re.escape(ctx.path('node'))}$",
        "wchc entry for the session",
    )


@scenario(group="fourletter")
def dump_lists_ephemerals(ctx: Context) -> None:
    """dump lists sessions with ephemerals, and each ephemeral path under its session."""
    zk = ctx.client()
    zk.create(ctx.path("e"), ephemeral=True)
    answer = ctx.four_letter("dump")
    expect_match(answer, r"^Sessions with Ephemerals \(\d+\):$", "dump's ephemerals header")
    expect_match(
        answer,
        rf"^0x{zk.client_id[0]:x}:\n\t{re.escape(ctx.path('e'))}$",
        "dump entry for the session",
    )


@scenario(group="fourletter")
def unknown_word_closes_silently(ctx: Context) -> None:
    """An unknown four-letter word gets no answer: the server just closes the connection."""
    expect(ctx.four_letter("xyzw"), "", "answer to xyzw")


@scenario(group="fourletter")
def words_work_repeatedly(ctx: Context) -> None:
    """Each four-letter word uses its own connection; ten ruok in a row all answer imok."""
    answers = [ctx.four_letter("ruok") for _ in range(10)]
    expect(answers, ["imok"] * 10, "ten answers")
