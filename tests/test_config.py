"""zoo.cfg and -D options into ServerConfig, held to what Apache ZooKeeper 3.8 accepts.

Each test writes a real zoo.cfg into a temporary directory and checks the exact values the
server would run with, or the exact ConfigError a bad file gets.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from zkcompat.config import (
    KNOWN_FOUR_LETTER_WORDS,
    ConfigError,
    QuorumServer,
    ServerConfig,
    load_config,
    parse_defines,
)

# Debian's /etc/zookeeper/conf_example/zoo.cfg, less its comments.
EXAMPLE = """\
tickTime=2000
initLimit=10
syncLimit=5
dataDir={data}
clientPort=2181
#maxClientCnxns=60
#autopurge.snapRetainCount=3
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
"""


def write_cfg(tmp_path: Path, text: str, name: str = "zoo.cfg") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="latin-1")
    return str(path)


def data_dir(tmp_path: Path, myid: str | None = None) -> str:
    directory = tmp_path / "data"
    directory.mkdir(exist_ok=True)
    if myid is not None:
        (directory / "myid").write_text(myid)
    return str(directory)


# --- the standalone basics ------------------------------------------------------------------------


def test_example_zoo_cfg_gives_zookeepers_values(tmp_path: Path) -> None:
    data = data_dir(tmp_path)
    path = write_cfg(tmp_path, EXAMPLE.format(data=data))

    config = load_config(path, [])

    assert config.config_path == path
    assert config.tick_time == 2000
    assert config.data_dir == data
    assert config.data_log_dir == data
    assert config.client_port == 2181
    assert config.client_port_address is None  # every address, as ZooKeeper binds
    assert config.secure_client_port is None
    assert config.max_client_cnxns == 60
    assert config.init_limit == 10
    assert config.sync_limit == 5
    assert config.min_session_timeout == -1
    assert config.max_session_timeout == -1
    assert config.effective_min_session_timeout == 4000
    assert config.effective_max_session_timeout == 40000
    assert config.snap_retain_count == 3
    assert config.purge_interval == 0
    assert config.standalone_enabled is True
    assert config.reconfig_enabled is False
    assert config.servers == ()
    assert config.server_id is None
    assert config.distributed is False
    assert config.four_letter_words == frozenset({"srvr"})
    assert config.snap_count == 100000
    assert config.pre_alloc_size_bytes == 64 * 1024 * 1024
    assert config.global_outstanding_limit == 1000
    assert config.max_cnxns == 0
    assert config.admin_enable_server is True
    assert config.admin_server_port == 8080
    assert config.jute_max_buffer == 0xFFFFF
    assert config.extended_types_enabled is False
    assert config.container_check_interval_ms == 60000
    assert config.container_max_per_minute == 10000
    assert config.read_only_mode_enabled is False
    assert config.super_digest is None
    assert config.skip_acl is False
    assert config.force_sync is True
    assert dict(config.properties) == {}
    assert dict(config.ignored) == {}


def test_without_a_file_zkcompat_serves_localhost_2181(tmp_path: Path) -> None:
    config = load_config(None, [], default_data_dir=str(tmp_path))

    assert config.config_path is None
    assert config.data_dir == str(tmp_path)
    assert config.data_log_dir == str(tmp_path)
    assert config.tick_time == 2000
    assert config.client_port == 2181
    assert config.client_port_address == "127.0.0.1"
    assert config.effective_min_session_timeout == 4000
    assert config.effective_max_session_timeout == 40000
    assert config.four_letter_words == frozenset({"srvr"})


def test_without_a_file_or_default_data_dir_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no config file given and no default data directory"):
        load_config(None, [])


def test_a_file_without_ticktime_gets_zookeepers_3000(tmp_path: Path) -> None:
    config = load_config(write_cfg(tmp_path, "dataDir=/d\nclientPort=2181\n"), [])

    assert config.tick_time == 3000
    assert config.effective_min_session_timeout == 6000
    assert config.effective_max_session_timeout == 60000


def test_a_file_without_client_port_has_no_plain_client_port(tmp_path: Path) -> None:
    config = load_config(write_cfg(tmp_path, "dataDir=/d\n"), [])

    assert config.client_port is None
    assert config.client_port_address is None


def test_every_basic_key(tmp_path: Path) -> None:
    data = data_dir(tmp_path, "1")
    path = write_cfg(
        tmp_path,
        "tickTime=500\n"
        f"dataDir={data}\n"
        "dataLogDir=/var/zk/log\n"
        "clientPort=12181\n"
        "clientPortAddress=10.1.2.3\n"
        "secureClientPort=12281\n"
        "secureClientPortAddress=::1\n"
        "clientPortListenBacklog=128\n"
        "maxClientCnxns=0\n"
        "minSessionTimeout=3000\n"
        "autopurge.snapRetainCount=5\n"
        "autopurge.purgeInterval=24\n"
        "reconfigEnabled=TRUE\n"
        "standaloneEnabled=false\n"
        "initLimit=7\n"
        "syncLimit=3\n"
        "server.1=localhost:2888:3888\n",
    )

    config = load_config(path, [])

    assert config.tick_time == 500
    assert config.data_dir == data
    assert config.data_log_dir == "/var/zk/log"
    assert (config.client_port_address, config.client_port) == ("10.1.2.3", 12181)
    assert (config.secure_client_port_address, config.secure_client_port) == ("::1", 12281)
    assert config.client_port_listen_backlog == 128
    assert config.max_client_cnxns == 0
    assert config.min_session_timeout == 3000
    assert config.effective_min_session_timeout == 3000
    assert config.effective_max_session_timeout == 10000  # 20 ticks of 500 ms
    assert config.snap_retain_count == 5
    assert config.purge_interval == 24
    assert config.reconfig_enabled is True
    assert config.standalone_enabled is False
    assert config.server_id == 1
    assert config.distributed is True


def test_session_timeouts_are_derived_from_ticktime_unless_set(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\ntickTime=1000\nmaxSessionTimeout=90000\n")

    config = load_config(path, [])

    assert config.effective_min_session_timeout == 2000
    assert config.effective_max_session_timeout == 90000


def test_snap_retain_count_below_three_becomes_three(tmp_path: Path, caplog) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\nautopurge.snapRetainCount=1\n")

    with caplog.at_level(logging.WARNING, logger="zkcompat.config"):
        config = load_config(path, [])

    assert config.snap_retain_count == 3
    assert "autopurge.snapRetainCount=1 is below 3" in caplog.text


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(None, [], default_data_dir=str(tmp_path))

    with pytest.raises(dataclasses.FrozenInstanceError):
        config.tick_time = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.properties["x"] = "y"  # type: ignore[index]


def test_serverconfig_defaults_data_log_dir_to_data_dir() -> None:
    assert ServerConfig(data_dir="/a").data_log_dir == "/a"
    assert ServerConfig(data_dir="/a", data_log_dir="/b").data_log_dir == "/b"


# --- Java properties syntax --------------------------------------------------------------------


def test_zoo_cfg_is_read_with_java_properties_syntax(tmp_path: Path) -> None:
    path = write_cfg(
        tmp_path,
        "# a comment\n"
        "   ! another comment\n"
        "\n"
        "dataDir /var/zk\n"
        "tickTime : 1500\n"
        "clientPort=\\\n"
        "      2182\n"
        "superDigest=super:\\u0041bc\\=\n"
        "4lw.commands.whitelist=ruok,\\\n"
        "    stat\n",
    )

    config = load_config(path, [])

    assert config.data_dir == "/var/zk"
    assert config.tick_time == 1500
    assert config.client_port == 2182
    assert config.properties["zookeeper.superDigest"] == "super:Abc="
    assert config.four_letter_words == frozenset({"ruok", "stat", "srvr"})


def test_values_are_trimmed_and_later_duplicates_win(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\nclientPort= 2181 \t\nclientPort=2190\n")

    assert load_config(path, []).client_port == 2190


# --- system properties: -D and the zookeeper.<key> rule ------------------------------------------


def test_defines_set_the_properties_zkcompat_reads(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\n")
    defines = [
        "-Djute.maxbuffer=0x200000",
        "-Dzookeeper.extendedTypesEnabled=TRUE",
        "-Dznode.container.checkIntervalMs=1000",
        "-Dznode.container.maxPerMinute=50",
        "-Dreadonlymode.enabled=true",
        "-Dzookeeper.DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
        "-Dzookeeper.skipACL=yes",
        "-Dzookeeper.forceSync=no",
        "-Dzookeeper.snapCount=5000",
        "-Dzookeeper.preAllocSize=1024",
        "-Dzookeeper.globalOutstandingLimit=10",
        "-Dzookeeper.maxCnxns=100",
        "-Dzookeeper.admin.enableServer=false",
        "zookeeper.admin.serverPort=9090",
    ]

    config = load_config(path, defines)

    assert config.jute_max_buffer == 0x200000
    assert config.extended_types_enabled is True
    assert config.container_check_interval_ms == 1000
    assert config.container_max_per_minute == 50
    assert config.read_only_mode_enabled is True
    assert config.four_letter_words == frozenset({"srvr", "isro"})
    assert config.super_digest == "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
    assert config.skip_acl is True
    assert config.force_sync is False
    assert config.snap_count == 5000
    assert config.pre_alloc_size_bytes == 1024 * 1024
    assert config.global_outstanding_limit == 10
    assert config.max_cnxns == 100
    assert config.admin_enable_server is False
    assert config.admin_server_port == 9090
    assert config.properties["zookeeper.snapCount"] == "5000"
    assert config.properties["zookeeper.admin.serverPort"] == "9090"


def test_an_unknown_zoo_cfg_key_becomes_a_zookeeper_property(tmp_path: Path) -> None:
    path = write_cfg(
        tmp_path,
        "dataDir=/d\n"
        "forceSync=no\n"
        "skipACL=yes\n"
        "snapCount=20000\n"
        "preAllocSize=2048\n"
        "extendedTypesEnabled=true\n"
        "DigestAuthenticationProvider.superDigest=super:abc\n"
        "admin.enableServer=false\n"
        "admin.serverPort=8181\n"
        "globalOutstandingLimit=50\n"
        "maxCnxns=7\n",
    )

    config = load_config(path, [])

    assert config.properties["zookeeper.forceSync"] == "no"
    assert config.force_sync is False
    assert config.skip_acl is True
    assert config.snap_count == 20000
    assert config.pre_alloc_size_bytes == 2048 * 1024
    assert config.extended_types_enabled is True
    assert config.super_digest == "super:abc"
    assert config.admin_enable_server is False
    assert config.admin_server_port == 8181
    assert config.global_outstanding_limit == 50
    assert config.max_cnxns == 7
    assert config.ignored == {}


def test_a_define_is_used_unless_zoo_cfg_sets_the_same_property(tmp_path: Path, caplog) -> None:
    # ZooKeeper's parseProperties calls System.setProperty after the JVM has read -D, so a
    # zoo.cfg key replaces the -D option of the same property name.
    path = write_cfg(tmp_path, "dataDir=/d\nforceSync=no\n")

    with caplog.at_level(logging.INFO, logger="zkcompat.config"):
        config = load_config(path, ["-Dzookeeper.forceSync=yes", "-Dzookeeper.skipACL=yes"])

    assert config.force_sync is False
    assert config.skip_acl is True
    assert "zoo.cfg forceSync=no replaces -Dzookeeper.forceSync=yes" in caplog.text


def test_jute_maxbuffer_in_zoo_cfg_has_no_effect(tmp_path: Path) -> None:
    # It would become zookeeper.jute.maxbuffer, which ZooKeeper's server never reads.
    path = write_cfg(tmp_path, "dataDir=/d\njute.maxbuffer=4194304\n")

    config = load_config(path, [])

    assert config.jute_max_buffer == 0xFFFFF
    assert config.properties["zookeeper.jute.maxbuffer"] == "4194304"
    assert config.ignored == {"jute.maxbuffer": "4194304"}


def test_an_integer_property_that_does_not_decode_keeps_its_default(tmp_path: Path) -> None:
    config = load_config(None, ["-Dzookeeper.snapCount=lots"], default_data_dir=str(tmp_path))

    assert config.snap_count == 100000


def test_snap_count_below_two_becomes_two(tmp_path: Path) -> None:
    config = load_config(None, ["-Dzookeeper.snapCount=1"], default_data_dir=str(tmp_path))

    assert config.snap_count == 2


def test_integer_properties_decode_like_java(tmp_path: Path) -> None:
    config = load_config(
        None,
        ["-Djute.maxbuffer=#100", "-Dznode.container.maxPerMinute=010"],
        default_data_dir=str(tmp_path),
    )

    assert config.jute_max_buffer == 0x100
    assert config.container_max_per_minute == 8  # a leading 0 is octal to Integer.decode


def test_parse_defines() -> None:
    assert parse_defines(["-Da=1", "b=2", "-Dc", "-Dd=x=y", "-Da=3"]) == {
        "a": "3",
        "b": "2",
        "c": "",
        "d": "x=y",
    }
    with pytest.raises(ConfigError, match="-D option '-D=x' has no property name"):
        parse_defines(["-D=x"])


# --- 4lw.commands.whitelist ---------------------------------------------------------------------


def test_whitelist_star_enables_every_known_word(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\n4lw.commands.whitelist=*\n")

    config = load_config(path, [])

    assert config.four_letter_words == KNOWN_FOUR_LETTER_WORDS
    assert "mntr" in config.four_letter_words
    assert config.properties["zookeeper.4lw.commands.whitelist"] == "*"


def test_whitelist_list_always_includes_srvr(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\n4lw.commands.whitelist= stat, ruok ,,conf\n")

    assert load_config(path, []).four_letter_words == {"stat", "ruok", "conf", "srvr"}


def test_whitelist_from_a_define(tmp_path: Path) -> None:
    config = load_config(
        None, ["-Dzookeeper.4lw.commands.whitelist=mntr"], default_data_dir=str(tmp_path)
    )

    assert config.four_letter_words == {"mntr", "srvr"}


# --- server.N lines -----------------------------------------------------------------------------

ENSEMBLE = """\
tickTime=2000
initLimit=10
syncLimit=5
dataDir={data}
server.1=zk1.example.com:2888:3888;2181
server.2=zk2.example.com:2888:3888:participant;10.0.0.2:2182
server.3=[fe80::1]:2888:3888
server.4=zk4.example.com:2889:3889:observer
"""


def test_server_lines_are_parsed(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, ENSEMBLE.format(data=data_dir(tmp_path, "3\n")))

    config = load_config(path, [])

    assert config.servers == (
        QuorumServer(1, "zk1.example.com", 2888, 3888, "participant", None, 2181),
        QuorumServer(2, "zk2.example.com", 2888, 3888, "participant", "10.0.0.2", 2182),
        QuorumServer(3, "fe80::1", 2888, 3888, "participant", None, None),
        QuorumServer(4, "zk4.example.com", 2889, 3889, "observer", None, None),
    )
    assert config.server_id == 3
    assert config.distributed is True
    # ZooKeeper's catch-all also turns each server.N into a zookeeper.server.N property.
    assert config.properties["zookeeper.server.4"] == "zk4.example.com:2889:3889:observer"
    assert config.ignored == {}


def test_own_server_line_supplies_the_client_address(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, ENSEMBLE.format(data=data_dir(tmp_path, "2")))

    config = load_config(path, [])

    assert (config.client_port_address, config.client_port) == ("10.0.0.2", 2182)


def test_own_server_line_without_client_part_takes_client_port(tmp_path: Path) -> None:
    text = ENSEMBLE.format(data=data_dir(tmp_path, "3")) + "clientPort=2185\n"

    config = load_config(write_cfg(tmp_path, text), [])

    assert (config.client_port_address, config.client_port) == (None, 2185)
    assert config.servers[2] == QuorumServer(3, "fe80::1", 2888, 3888, "participant", None, 2185)


def test_wildcard_client_port_must_agree_with_own_server_line(tmp_path: Path) -> None:
    base = ENSEMBLE.format(data=data_dir(tmp_path, "2"))
    assert load_config(write_cfg(tmp_path, base + "clientPort=2182\n"), []).client_port == 2182

    with pytest.raises(ConfigError) as caught:
        load_config(write_cfg(tmp_path, base + "clientPort=2181\n"), [])

    assert str(caught.value) == (
        f"{tmp_path}/zoo.cfg: client address for server 2 is 0.0.0.0:2181 in clientPort/"
        "clientPortAddress but 10.0.0.2:2182 in its server.2 line"
    )


def test_one_server_line_runs_standalone(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, f"dataDir={data_dir(tmp_path, '1')}\nserver.1=h:2888:3888;2190\n")

    config = load_config(path, [])

    assert config.distributed is False
    assert config.client_port == 2190


def test_standalone_disabled_with_one_server_is_distributed(tmp_path: Path) -> None:
    path = write_cfg(
        tmp_path,
        f"dataDir={data_dir(tmp_path, '1')}\nstandaloneEnabled=false\n"
        "initLimit=5\nsyncLimit=2\nserver.1=h:2888:3888\n",
    )

    assert load_config(path, []).distributed is True


def test_ensemble_needs_a_myid_file(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, ENSEMBLE.format(data=data_dir(tmp_path)))

    with pytest.raises(ConfigError, match=r"zoo\.cfg: myid file is missing in .*data$"):
        load_config(path, [])


def test_ensemble_needs_init_limit(tmp_path: Path) -> None:
    text = ENSEMBLE.format(data=data_dir(tmp_path, "1")).replace("initLimit=10\n", "")

    with pytest.raises(ConfigError, match=r"zoo\.cfg: initLimit is not set$"):
        load_config(write_cfg(tmp_path, text), [])


def test_myid_must_be_a_number(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, ENSEMBLE.format(data=data_dir(tmp_path, "two\n")))

    with pytest.raises(ConfigError, match=r"data/myid: serverid two is not a number$"):
        load_config(path, [])


def test_observers_without_participants_are_refused(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\nserver.1=h:2888:3888:observer\n")

    with pytest.raises(ConfigError, match="observers without participants"):
        load_config(path, [])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            "h:2888",
            "expected host:quorumPort:electionPort[:participant|observer]"
            "[;[clientHost:]clientPort]",
        ),
        ("h:2888:2888", "quorum and election ports of server.1 must be different"),
        ("h:2888:3888:leader", "unrecognised peer type 'leader'"),
        ("h:2888:3888 ", "election port '3888 ' is not a number"),
        ("h:x:3888", "quorum port 'x' is not a number"),
        ("h:2888:3888;70000", "client port out of range: 70000"),
        ("h:2888:3888;a:b:2181", "expected host:quorumPort"),
        ("[::1:2888:3888", "[::1:2888:3888 starts with '[' but has no matching ']'"),
        (
            "a:1:2|b:1:2",
            "several addresses for server 1 but zookeeper.multiAddress.enabled is off",
        ),
    ],
)
def test_bad_server_lines(tmp_path: Path, line: str, reason: str) -> None:
    path = write_cfg(tmp_path, f"dataDir=/d\nserver.1={line}\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, [])

    assert str(caught.value).startswith(f"{path}: server.1={line}: {reason}")
    assert caught.value.key == "server.1"
    assert caught.value.value == line


def test_server_id_must_be_a_number(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\nserver.x=h:2888:3888\n")

    with pytest.raises(ConfigError, match=r"server\.x=h:2888:3888: server id is not"):
        load_config(path, [])


def test_dynamic_config_file_holds_the_servers(tmp_path: Path) -> None:
    dynamic = write_cfg(
        tmp_path,
        "server.1=a:2888:3888;2181\nserver.2=b:2888:3888;2181\nserver.3=c:2888:3888;2181\n",
        name="zoo.cfg.dynamic.100000000",
    )
    data = data_dir(tmp_path, "1")
    path = write_cfg(
        tmp_path,
        f"dataDir={data}\ninitLimit=5\nsyncLimit=2\nreconfigEnabled=true\n"
        f"dynamicConfigFile={dynamic}\n",
    )

    config = load_config(path, [])

    assert [s.host for s in config.servers] == ["a", "b", "c"]
    assert config.dynamic_config_file == dynamic
    assert config.quorum_version == 0x100000000
    assert config.client_port == 2181
    assert config.distributed is True


def test_server_lines_beside_a_dynamic_config_file_are_refused(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\ndynamicConfigFile=/x\nserver.1=a:1:2\n")

    with pytest.raises(ConfigError, match="must be in the separate dynamic config file"):
        load_config(path, [])


# --- settings zkcompat does not act on ------------------------------------------------------------


def test_jvm_only_keys_are_kept_logged_and_not_fatal(tmp_path: Path, caplog) -> None:
    path = write_cfg(
        tmp_path,
        "dataDir=/d\n"
        "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory\n"
        "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n"
        "ssl.keyStore.location=/etc/zk/keystore.jks\n"
        "metricsProvider.className=org.example.Prometheus\n"
        "sslQuorum=true\n"
        "jvm.pause.monitor=false\n",
    )

    with caplog.at_level(logging.INFO, logger="zkcompat.config"):
        config = load_config(path, [])

    # ssl.* and authProvider.N are read by zkcompat's TLS and SASL layers, so not "ignored".
    assert config.ignored == {
        "serverCnxnFactory": "org.apache.zookeeper.server.NettyServerCnxnFactory",
        "metricsProvider.className": "org.example.Prometheus",
        "sslQuorum": "true",
        "jvm.pause.monitor": "false",
    }
    assert config.properties["zookeeper.serverCnxnFactory"] == (
        "org.apache.zookeeper.server.NettyServerCnxnFactory"
    )
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert "zoo.cfg sslQuorum=true is not used by zkcompat" in info
    assert not any("ssl.keyStore.location" in message for message in info)


def test_jvm_only_define_is_info_and_other_defines_are_debug(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.DEBUG, logger="zkcompat.config"):
        config = load_config(
            None,
            [
                "-Dzookeeper.serverCnxnFactory=org.X",
                "-Dlog4j.configuration=file:/etc/zk/log4j.properties",
                "-Dzookeeper.log.dir=/var/log/zk",
            ],
            default_data_dir=str(tmp_path),
        )

    levels = {r.getMessage(): r.levelno for r in caplog.records}
    jvm_only = "-Dzookeeper.serverCnxnFactory=org.X configures the JVM server only; not used"
    assert levels[jvm_only + " by zkcompat"] == logging.INFO
    assert (
        levels["-Dlog4j.configuration=file:/etc/zk/log4j.properties is not read by zkcompat"]
        == logging.DEBUG
    )
    assert levels["-Dzookeeper.log.dir=/var/log/zk is not read by zkcompat"] == logging.DEBUG
    assert config.ignored == {"zookeeper.serverCnxnFactory": "org.X"}
    assert config.properties["zookeeper.log.dir"] == "/var/log/zk"


def test_known_unused_keys_are_still_type_checked(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\nlocalSessionsEnabled=maybe\n")

    with pytest.raises(ConfigError) as caught:
        load_config(path, [])

    assert str(caught.value) == (f"{path}: localSessionsEnabled=maybe: choose 'true' or 'false'")


# --- errors -------------------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.cfg")

    with pytest.raises(ConfigError) as caught:
        load_config(path, [])

    assert str(caught.value) == f"{path}: config file is missing"
    assert caught.value.path == path


@pytest.mark.parametrize(
    ("text", "key", "value", "reason"),
    [
        ("dataDir=/d\ntickTime=abc\n", "tickTime", "abc", "not a 32-bit integer"),
        ("dataDir=/d\ntickTime=2000ms\n", "tickTime", "2000ms", "not a 32-bit integer"),
        ("dataDir=/d\nclientPort=70000\n", "clientPort", "70000", "port out of range: 70000"),
        ("dataDir=/d\nclientPort=-1\n", "clientPort", "-1", "port out of range: -1"),
        (
            "dataDir=/d\nclientPort=3000000000\n",
            "clientPort",
            "3000000000",
            "not a 32-bit integer",
        ),
        ("dataDir=/d\nmaxClientCnxns=many\n", "maxClientCnxns", "many", "not a 32-bit integer"),
        (
            "dataDir=/d\nstandaloneEnabled=yes\n",
            "standaloneEnabled",
            "yes",
            "choose 'true' or 'false'",
        ),
        ("dataDir=/d\nelectionAlg=1\n", "electionAlg", "1", "only electionAlg 3 is supported"),
        (
            "dataDir=/d\npeerType=leader\n",
            "peerType",
            "leader",
            "peerType must be observer or participant",
        ),
        (
            "dataDir=/d\ntickTime=0\n",
            "tickTime",
            "0",
            "tickTime must be a positive number of ms",
        ),
    ],
)
def test_bad_values_name_file_key_and_value(
    tmp_path: Path, text: str, key: str, value: str, reason: str
) -> None:
    path = write_cfg(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, [])

    assert str(caught.value) == f"{path}: {key}={value}: {reason}"
    assert (caught.value.path, caught.value.key, caught.value.value) == (path, key, value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clientPort=2181\n", "dataDir is not set"),
        ("dataDir=/d\nclientPortAddress=1.2.3.4\n", "clientPortAddress is set but clientPort"),
        (
            "dataDir=/d\nsecureClientPortAddress=::1\n",
            "secureClientPortAddress is set but secureClientPort is not set",
        ),
        (
            "dataDir=/d\ntickTime=1000\nminSessionTimeout=5000\nmaxSessionTimeout=4000\n",
            "minSessionTimeout (5000 ms) must not be larger than maxSessionTimeout (4000 ms)",
        ),
        (
            "dataDir=/d\ntickTime=1000\nminSessionTimeout=30000\n",
            "minSessionTimeout (30000 ms) must not be larger than maxSessionTimeout (20000 ms)",
        ),
        (
            "dataDir=/d\nquorum.auth.serverRequireSasl=true\n",
            "quorum.auth.serverRequireSasl needs quorum.auth.enableSasl=true",
        ),
        ("dataDir=/d\nweight.1=2\n", "weight.1=2: zkcompat does not implement hierarchical"),
    ],
)
def test_whole_file_errors(tmp_path: Path, text: str, message: str) -> None:
    path = write_cfg(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_config(path, [])

    assert str(caught.value).startswith(f"{path}: {message}")


def test_malformed_unicode_escape(tmp_path: Path) -> None:
    path = write_cfg(tmp_path, "dataDir=/d\nfoo=\\u12\n")

    with pytest.raises(ConfigError, match=r"zoo\.cfg: malformed \\uxxxx escape"):
        load_config(path, [])


def test_tls_settings_are_read_and_passwords_never_logged(tmp_path, caplog) -> None:
    cfg = tmp_path / "zoo.cfg"
    cfg.write_text(
        f"dataDir={tmp_path}\nclientPort=2181\nsecureClientPort=2281\n"
        "ssl.keyStore.location=/k.pem\nssl.keyStore.password=s3cret\n"
        "someUnknownPassword=hunter2\n"
    )
    with caplog.at_level(logging.DEBUG, logger="zkcompat.config"):
        config = load_config(str(cfg), ["-Dzookeeper.ssl.trustStore.password=t0psecret"])
    logged = caplog.text
    assert "s3cret" not in logged and "t0psecret" not in logged and "hunter2" not in logged
    assert "ssl.keyStore.location" not in logged  # read by the TLS layer, not "unused"
    assert config.properties["zookeeper.ssl.keyStore.password"] == "s3cret"
