"""Apache ZooKeeper 3.8 as a throwaway standalone server: the oracle the suite is proven against.

Owns starting `org.apache.zookeeper.server.ZooKeeperServerMain` from Debian's jars in a
temporary directory on a free loopback port, waiting until a kazoo session connects, and
stopping it by PID and removing the directory. It knows nothing about scenarios.
`ZkcompatServer` starts zkcompat from the same `zoo.cfg` in the same way, for live
differential runs.

Debian's `zookeeper.jar` names its dependencies in its manifest `Class-Path`, so the class path
is that jar plus an SLF4J binding for log4j 1.2 (so the server's log lands in the temp dir).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from kazoo.client import KazooClient

log = logging.getLogger(__name__)

JAR_DIR = Path("/usr/share/java")
SERVER_JAR = "zookeeper.jar"
LOGGING_JARS = ("slf4j-log4j12.jar", "log4j-1.2.jar")
MAIN_CLASS = "org.apache.zookeeper.server.ZooKeeperServerMain"

LOG4J_PROPERTIES = """\
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${zookeeper.log.dir}/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
"""


class ZooKeeperUnavailable(RuntimeError):
    """Apache ZooKeeper is not installed here, or would not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def default_classpath(jar_dir: Path = JAR_DIR) -> list[str]:
    """Debian's server jar (its manifest pulls in its dependencies) plus a log4j binding."""
    server = jar_dir / SERVER_JAR
    if not server.exists():
        raise ZooKeeperUnavailable(
            f"{server} not found: install Debian's ZooKeeper "
            "(apt-get install zookeeper zookeeper-bin)"
        )
    extra = [str(jar_dir / name) for name in LOGGING_JARS if (jar_dir / name).exists()]
    return [str(server), *extra]


class ApacheZooKeeper:
    """One standalone Apache ZooKeeper server, started and stopped from Python.

    Use as a context manager, or call `start()` and `stop()`. `config` adds or overrides
    `zoo.cfg` lines; `system_properties` become `-D` options of the JVM (for example
    `zookeeper.extendedTypesEnabled`).
    """

    directory_prefix = "zkconf-apache-"

    def __init__(
        self,
        *,
        config: Mapping[str, str] | None = None,
        system_properties: Mapping[str, str] | None = None,
        classpath: list[str] | None = None,
        java: str | None = None,
        keep_dir: bool = False,
        start_timeout: float = 60.0,
        data_dir: Path | None = None,
        max_heap: str = "512m",
    ) -> None:
        self.extra_config = dict(config or {})
        self.data_dir = data_dir  # an existing data directory to serve, instead of a fresh one
        self.max_heap = max_heap
        self.system_properties = dict(system_properties or {})
        self.classpath = classpath
        self.java = java
        self.keep_dir = keep_dir
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.directory: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def hosts(self) -> str:
        if self.port is None:
            raise RuntimeError("ZooKeeper is not running")
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log_path(self) -> Path | None:
        return self.directory / "zookeeper.log" if self.directory else None

    def config_text(self, port: int, data_dir: Path) -> str:
        settings = {
            "tickTime": "2000",
            "initLimit": "10",
            "syncLimit": "5",
            "dataDir": str(data_dir),
            "clientPort": str(port),
            "clientPortAddress": "127.0.0.1",
            "admin.enableServer": "false",
            "4lw.commands.whitelist": "*",
        }
        settings.update(self.extra_config)
        return "".join(f"{key}={value}\n" for key, value in settings.items())

    def start(self) -> ApacheZooKeeper:
        """Start the server and return once a kazoo session has connected to it."""
        if self._process is not None:
            raise RuntimeError("already started")
        self.directory = Path(tempfile.mkdtemp(prefix=self.directory_prefix))
        try:
            self._launch()
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        log.info("Apache ZooKeeper pid %s serving on %s", self.pid, self.hosts)
        return self

    def command(self, conf_dir: Path, config_path: Path) -> list[str]:
        """The server's command line: Debian's jars on a JVM."""
        java = self.java or shutil.which("java")
        if java is None:
            raise ZooKeeperUnavailable("java not found on PATH")
        classpath = self.classpath or default_classpath()
        properties = {
            "zookeeper.log.dir": str(self.directory),
            "zookeeper.admin.enableServer": "false",
            **self.system_properties,
        }
        return [
            java,
            f"-Xmx{self.max_heap}",
            "-XX:+UseSerialGC",
            *(f"-D{key}={value}" for key, value in properties.items()),
            "-cp",
            os.pathsep.join([str(conf_dir), *classpath]),
            MAIN_CLASS,
            str(config_path),
        ]

    def _launch(self) -> None:
        assert self.directory is not None
        data_dir = self.data_dir or self.directory / "data"
        data_dir.mkdir(exist_ok=True)
        conf_dir = self.directory / "conf"
        conf_dir.mkdir()
        (conf_dir / "log4j.properties").write_text(LOG4J_PROPERTIES)
        self.port = free_port()
        config_path = conf_dir / "zoo.cfg"
        config_path.write_text(self.config_text(self.port, data_dir))
        command = self.command(conf_dir, config_path)
        log.debug("starting %s", " ".join(command))
        with open(self.directory / "stdout.log", "wb") as out:
            # Its own session: a Ctrl-C in the terminal reaches us, and we stop it cleanly.
            self._process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.directory,
                start_new_session=True,
            )

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ZooKeeperUnavailable(
                    f"ZooKeeper exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            client = KazooClient(hosts=self.hosts, timeout=10.0)
            try:
                client.start(timeout=2.0)
            except Exception as exc:  # still booting: connection refused or timed out
                log.debug("not serving yet: %s", exc)
                time.sleep(0.2)
                continue
            finally:
                client.stop()
                client.close()
            return
        raise ZooKeeperUnavailable(
            f"ZooKeeper did not accept a session within {self.start_timeout}s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's output and log, for error messages."""
        if self.directory is None:
            return ""
        text = []
        for name in ("stdout.log", "zookeeper.log"):
            path = self.directory / name
            if path.exists():
                text.extend(path.read_text(errors="replace").splitlines()[-lines:])
        return "\n".join(text)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the server by PID (TERM, then KILL) and remove its directory."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("ZooKeeper pid %s ignored SIGTERM; killing it", process.pid)
                process.kill()
                process.wait(timeout=timeout)
        if self.directory is not None and not self.keep_dir:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        self.port = None

    def __enter__(self) -> ApacheZooKeeper:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class ZkcompatServer(ApacheZooKeeper):
    """zkcompat started the same way, from the same `zoo.cfg`: the subject of a live
    differential run. `system_properties` become its `-D` options."""

    directory_prefix = "zkconf-zkcompat-"

    def command(self, conf_dir: Path, config_path: Path) -> list[str]:
        properties = (f"-D{key}={value}" for key, value in self.system_properties.items())
        return [sys.executable, "-m", "zkcompat", "serve", *properties, str(config_path)]
