"""The ``zkcompat`` command: ``zkcompat serve [-Dname=value ...] [zoo.cfg]``.

``zkcompat bench`` measures zkcompat against Apache ZooKeeper (see ``zkcompat.bench``).

The arguments are those of ZooKeeper's own launch (a zoo.cfg path and JVM-style ``-D``
settings), so ZooKeeper's start scripts and test harnesses can start zkcompat unchanged.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile

from zkcompat.app import StandaloneServer, run
from zkcompat.config import ConfigError, ServerConfig, load_config
from zkcompat.sasl import JaasConfigError, auth_providers, sasl_config_from_properties
from zkcompat.server import ServerSettings
from zkcompat.storage.database import Database
from zkcompat.tls import server_tls, x509_auth_providers

log = logging.getLogger("zkcompat")

#: Where ``zkcompat serve`` without a zoo.cfg keeps its data (ZooKeeper's sample uses
#: /tmp/zookeeper the same way).
DEFAULT_DATA_DIR = os.path.join(tempfile.gettempdir(), "zkcompat")


def build_server(config: ServerConfig) -> StandaloneServer:
    """A standalone server with the settings of ``config``: the plain client port, the
    secure one (TLS from the ``ssl.*`` settings), or both."""
    secure = config.secure_client_port is not None
    if config.client_port is None and not secure:
        raise ConfigError("no clientPort or secureClientPort is set: a standalone server needs one")
    tls = server_tls(config.properties) if secure else None
    providers = x509_auth_providers(
        auth_providers(config.properties), config.properties, secure_port=secure
    )
    settings = ServerSettings(
        tick_time=config.tick_time,
        min_session_timeout=config.effective_min_session_timeout,
        max_session_timeout=config.effective_max_session_timeout,
        extended_types=config.extended_types_enabled,
        skip_acl=config.skip_acl,
        super_digest=config.super_digest,
        reconfig_enabled=config.reconfig_enabled,
        container_check_interval_ms=config.container_check_interval_ms,
        sasl=sasl_config_from_properties(config.properties),
        auth_providers=providers,
    )
    return StandaloneServer(
        settings,
        host=config.client_port_address or "0.0.0.0",
        port=config.client_port,
        tls=tls,
        secure_host=config.secure_client_port_address or "0.0.0.0",
        secure_port=config.secure_client_port or 0,
        max_buffer=config.jute_max_buffer,
        max_client_cnxns=config.max_client_cnxns,
        four_letter_whitelist=tuple(config.four_letter_words),
        config_lines=_conf_lines(config),
        data_dir=config.data_dir,
        data_log_dir=config.data_log_dir,
        database=Database(
            config.data_dir,
            config.data_log_dir,
            snap_count=config.snap_count,
            pre_alloc_size=config.pre_alloc_size_bytes,
            force_sync=config.force_sync,
        ),
    )


def _conf_lines(config: ServerConfig) -> tuple[str, ...]:
    """What the ``conf`` four-letter word prints, in ZooKeeper's order."""
    return (
        f"clientPort={config.client_port}",
        f"secureClientPort={config.secure_client_port or -1}",
        f"dataDir={_absolute(config.data_dir, 'version-2')}",
        f"dataLogDir={_absolute(config.data_log_dir, 'version-2')}",
        f"tickTime={config.tick_time}",
        f"maxClientCnxns={config.max_client_cnxns}",
        f"minSessionTimeout={config.effective_min_session_timeout}",
        f"maxSessionTimeout={config.effective_max_session_timeout}",
        f"clientPortListenBacklog={config.client_port_listen_backlog}",
        "serverId=0",
    )


def _absolute(directory: str, child: str) -> str:
    """File.getAbsolutePath: relative to the working directory, not normalised."""
    return os.path.join(os.getcwd(), directory, child)


def main(argv: list[str] | None = None) -> int:
    from zkcompat.storage import dump, purge  # the offline tools, beside serve

    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "conformance":  # the suite's own command line, as an alias
        from conformance.runner import main as conformance_main

        return conformance_main(argv[1:])
    if argv and argv[0] == "bench":  # zkcompat and Apache ZooKeeper side by side
        from zkcompat.bench.command import main as bench_main

        return bench_main(argv[1:])
    tools = {"purge": purge.main, "logdump": dump.logdump_main, "snapdump": dump.snapdump_main}
    if argv and argv[0] in tools:
        # Each parses its arguments itself, as the ZooKeeper tool it mirrors does.
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s - %(message)s")
        return tools[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(prog="zkcompat", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, summary in [
        ("purge", "delete old snapshots and logs: <dataLogDir> [<snapDir>] -n <count>"),
        ("logdump", "print a txn log as TxnLogToolkit does: [-d] <log file>"),
        ("snapdump", "print a snapshot as SnapshotFormatter does: [-d|-json] <snapshot file>"),
        ("conformance", "the conformance suite (python -m conformance): run|oracle-run|golden"),
        ("bench", "zkcompat and Apache ZooKeeper side by side: [--quick] [--rows ...]"),
    ]:
        commands.add_parser(name, help=summary, add_help=False)
    serve = commands.add_parser("serve", help="run a standalone server")
    serve.add_argument("config", nargs="?", help="a ZooKeeper zoo.cfg")
    serve.add_argument(
        "-D", dest="defines", action="append", default=[], metavar="NAME=VALUE",
        help="a setting ZooKeeper takes as a Java system property",
    )  # fmt: skip
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s [myid:] - %(levelname)s [%(name)s] - %(message)s",
    )
    try:
        config = load_config(args.config, args.defines, default_data_dir=DEFAULT_DATA_DIR)
        server = build_server(config)
    except (ConfigError, JaasConfigError) as error:
        print(f"zkcompat: invalid configuration: {error}", file=sys.stderr)
        return 2
    server.autopurge = purge.DatadirCleanup(
        config.data_dir, config.data_log_dir, config.snap_retain_count, config.purge_interval
    )
    os.makedirs(config.data_dir, exist_ok=True)
    log.info("Starting standalone server, data directory %s", config.data_dir)
    return run(server)
