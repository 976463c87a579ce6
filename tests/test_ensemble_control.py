"""The cluster-control interface of the conformance suite (`conformance.ensemble`).

Spec parsing and templating need no server. Process control is checked against a tiny fake
member (a Python script that answers `srvr` the way ZooKeeper does), and once against a real
three-member Apache ZooKeeper ensemble when Debian's ZooKeeper is installed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.ensemble import (
    APACHE_CONFIG,
    QUORUM_MAIN,
    Cluster,
    ClusterError,
    ClusterSpec,
    SpecError,
    builtin_apache_spec,
    ephemeral_port_floor,
    load_spec,
    parse_srvr,
    plan_members,
    render,
    resolve_spec,
)
from conformance.zookeeper import JAR_DIR, SERVER_JAR

ZKCOMPAT_TOML = """\
name = "zkcompat"
command = ["{python}", "-m", "zkcompat", "serve", "{config}"]
config = '''
tickTime=500
dataDir={data_dir}
clientPort={client_port}
{server_lines}
'''
[variables]
flavour = "test"
[environment]
ZKCOMPAT_LOG = "debug"
"""

LEADER_SRVR = """\
Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
Latency min/avg/max: 0/0.0/0
Received: 8
Sent: 7
Connections: 1
Outstanding: 0
Zxid: 0x200000003
Mode: leader
Node count: 5
Proposal sizes last/min/max: -1/-1/-1
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- templates ---------------------------------------------------------------------------------


def test_render_fills_placeholders_and_leaves_other_braces_alone() -> None:
    text = "id={myid} dir={data_dir} {{literal}} ${zookeeper.log.dir} %d{ISO8601}"
    assert render(text, {"myid": 2, "data_dir": "/d"}) == (
        "id=2 dir=/d {literal} ${zookeeper.log.dir} %d{ISO8601}"
    )


def test_render_refuses_an_unknown_placeholder() -> None:
    with pytest.raises(SpecError, match=r"unknown placeholder \{client_prot\}"):
        render("clientPort={client_prot}", {"client_port": 1})


def test_server_lines_list_every_member_with_its_ports(tmp_path: Path) -> None:
    spec = ClusterSpec(command=("x",), config="{server_lines}")
    plan = plan_members(3, tmp_path, list(range(21000, 21009)))
    values = spec.values_for(plan[1], plan)
    assert values["server_lines"] == (
        "server.1=127.0.0.1:21001:21002\n"
        "server.2=127.0.0.1:21004:21005\n"
        "server.3=127.0.0.1:21007:21008"
    )
    assert values["myid"] == 2
    assert values["client_port"] == 21003
    assert values["hosts"] == "127.0.0.1:21000,127.0.0.1:21003,127.0.0.1:21006"
    assert values["data_dir"] == tmp_path / "member-2" / "data"


# --- spec files --------------------------------------------------------------------------------


def test_toml_spec_is_loaded_with_defaults(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path / "zkcompat.toml", ZKCOMPAT_TOML))
    assert spec.name == "zkcompat"
    assert spec.command == ("{python}", "-m", "zkcompat", "serve", "{config}")
    assert spec.server_line == "server.{myid}=127.0.0.1:{quorum_port}:{election_port}"
    assert spec.myid_file == "{data_dir}/myid"
    assert dict(spec.variables) == {"flavour": "test", "spec_dir": str(tmp_path.resolve())}
    assert dict(spec.environment) == {"ZKCOMPAT_LOG": "debug"}
    assert spec.start_timeout == 60.0


def test_json_spec_is_loaded(tmp_path: Path) -> None:
    data = {
        "command": ["run", "{config}"],
        "config": "clientPort={client_port}\n",
        "files": {"conf/extra.txt": "member {myid}"},
        "start_timeout": 5,
    }
    spec = load_spec(write(tmp_path / "spec.json", json.dumps(data)))
    assert spec.command == ("run", "{config}")
    assert dict(spec.files) == {"conf/extra.txt": "member {myid}"}
    assert spec.start_timeout == 5.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"config": "x=1"}, "'command' must be a non-empty list"),
        ({"command": [], "config": "x=1"}, "'command' must be a non-empty list"),
        ({"command": ["a"]}, "'config' must be the zoo.cfg template"),
        ({"command": ["a"], "config": "x", "comand": []}, r"unknown key\(s\).*comand"),
        ({"command": ["a"], "config": "port={clientport}"}, "unknown placeholder"),
        ({"command": ["{jav}"], "config": "x"}, "unknown placeholder"),
        ({"command": ["a"], "config": "x", "files": {"/etc/x": ""}}, "must be relative"),
        ({"command": ["a"], "config": "x", "files": {"../x": ""}}, "must be relative"),
        ({"command": ["a"], "config": "x", "variables": {"a": 1}}, "table of strings"),
        ({"command": ["a"], "config": "x", "start_timeout": 0}, "positive number"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        ClusterSpec.from_mapping(data)


def test_unreadable_or_malformed_spec_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "missing.toml")
    with pytest.raises(SpecError, match=r"bad\.toml"):
        load_spec(write(tmp_path / "bad.toml", "command = ["))


def test_builtin_apache_spec_runs_quorum_peer_main(tmp_path: Path) -> None:
    (tmp_path / SERVER_JAR).write_bytes(b"")
    spec = builtin_apache_spec(jar_dir=tmp_path, java="/opt/java/bin/java")
    plan = plan_members(3, tmp_path / "c", list(range(22000, 22009)))
    values = spec.values_for(plan[0], plan)
    command = [render(argument, values) for argument in spec.command]
    assert command[0] == "/opt/java/bin/java"
    assert command[-2:] == [QUORUM_MAIN, str(plan[0].config_path)]
    assert command[command.index("-cp") + 1] == str(tmp_path / SERVER_JAR)
    config = render(spec.config, values)
    assert "4lw.commands.whitelist=*\n" in config
    assert "clientPort=22000\n" in config
    assert "server.3=127.0.0.1:22007:22008" in config
    assert spec.config is APACHE_CONFIG


def test_cluster_option_names_a_spec_file_or_the_builtin(tmp_path: Path) -> None:
    spec_file = write(tmp_path / "zkcompat.toml", ZKCOMPAT_TOML)
    assert resolve_spec(spec_file).name == "zkcompat"
    assert resolve_spec(str(spec_file)).name == "zkcompat"
    with pytest.raises(SpecError, match="cannot read"):
        resolve_spec(tmp_path / "apache")


def test_parse_srvr_reads_mode_and_zxid() -> None:
    assert parse_srvr(LEADER_SRVR) == ("leader", 0x200000003)
    assert parse_srvr("This ZooKeeper instance is not currently serving requests\n") == (
        None,
        None,
    )


def test_a_cluster_lays_out_members_below_the_ephemeral_ports(tmp_path: Path) -> None:
    cluster = Cluster(ClusterSpec(command=("x",), config="x"), 5, root=tmp_path / "five")
    try:
        assert cluster.ids == [1, 2, 3, 4, 5]
        assert cluster.majority == 3
        assert len(cluster.hosts.split(",")) == 5
        ports = [
            port
            for member in cluster.plan
            for port in (member.client_port, member.quorum_port, member.election_port)
        ]
        assert len(set(ports)) == 15
        assert max(ports) < ephemeral_port_floor()
        assert cluster.member_hosts(2, 4) == ",".join(cluster.plan[index].host for index in (1, 3))
        assert cluster.running_ids() == []
    finally:
        cluster.close()
    assert not (tmp_path / "five").exists()


# --- processes, with a fake member -------------------------------------------------------------

FAKE_MEMBER = '''\
"""Answers four-letter words like a ZooKeeper member: member 1 leads, the others follow."""
import socket, sys
settings = dict(line.split("=", 1) for line in open(sys.argv[1]).read().split())
myid = int(open(settings["dataDir"] + "/myid").read())
server = socket.create_server(("127.0.0.1", int(settings["clientPort"])))
mode = "leader" if myid == 1 else "follower"
while True:
    conn, _ = server.accept()
    with conn:
        word = conn.recv(4)
        if word == b"srvr":
            conn.sendall(f"Zxid: 0x100000005\\nMode: {mode}\\n".encode())
        elif word == b"ruok":
            conn.sendall(b"imok")
'''


@pytest.fixture
def fake_cluster(tmp_path: Path) -> Iterator[Cluster]:
    script = write(tmp_path / "fake_member.py", FAKE_MEMBER)
    spec = ClusterSpec.from_mapping(
        {
            "command": ["{python}", "{spec_dir}/fake_member.py", "{config}"],
            "config": "dataDir={data_dir}\nclientPort={client_port}\n",
            "start_timeout": 20,
        },
        spec_dir=script.parent,
    )
    cluster = Cluster(spec, 3, root=tmp_path / "cluster")
    yield cluster
    cluster.close()


def test_fake_members_start_report_modes_and_stop_by_pid(fake_cluster: Cluster) -> None:
    fake_cluster.start()
    assert fake_cluster.wait_for_quorum() == 1
    assert fake_cluster.zxids() == {1: 0x100000005, 2: 0x100000005, 3: 0x100000005}
    assert fake_cluster.four_letter(2, "ruok") == "imok"
    pids = [fake_cluster.pid(myid) for myid in fake_cluster.ids]
    fake_cluster.kill(2)
    assert fake_cluster.stopped_ids() == [2]
    assert fake_cluster.mode(2) is None
    assert fake_cluster.restart(3) == "follower"
    fake_cluster.close()
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_member_that_exits_is_reported_with_its_output(tmp_path: Path) -> None:
    spec = ClusterSpec.from_mapping(
        {
            "command": ["{python}", "-c", "print('no such config'); raise SystemExit(3)"],
            "config": "x",
        }
    )
    cluster = Cluster(spec, 1, root=tmp_path / "broken")
    try:
        cluster.start()
        with pytest.raises(ClusterError, match=r"exited with 3(.|\n)*no such config"):
            cluster.wait_until_serving(1, timeout=20)
    finally:
        cluster.close()


def test_a_minority_cannot_be_waited_on_for_a_quorum(fake_cluster: Cluster) -> None:
    fake_cluster.start(1)
    with pytest.raises(ClusterError, match="not a majority"):
        fake_cluster.wait_for_quorum()


# --- a real ensemble -----------------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("java") is None or not (JAR_DIR / SERVER_JAR).exists(),
    reason="needs java and Debian's Apache ZooKeeper (/usr/share/java/zookeeper.jar)",
)
def test_apache_ensemble_elects_one_leader_and_fails_over() -> None:
    cluster = Cluster(builtin_apache_spec(), 3)
    try:
        cluster.start()
        leader = cluster.wait_for_quorum(timeout=30)
        modes = sorted(str(cluster.mode(myid)) for myid in cluster.ids)
        assert modes == ["follower", "follower", "leader"]
        cluster.kill(leader)
        survivors = [myid for myid in cluster.ids if myid != leader]
        assert cluster.wait_for_quorum(survivors, timeout=30) in survivors
        assert cluster.mode(leader) is None
    finally:
        cluster.close()
    assert not cluster.root.exists()
