"""What every job shares: its command line, logging, and the SparkSession built from configuration."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import functools
import glob
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, date, datetime
from typing import TypeVar

from jobs.config import DEFAULT_CONF, REPO_ROOT, Config, ConfigError, is_uri, load_config

LOCAL_JARS_DIR = REPO_ROOT / ".jars"
LOG4J_CONF = REPO_ROOT / "conf" / "log4j2.properties"
log = logging.getLogger("rapport")
CATALOG_POLL_SECONDS = 0.5
# Spark's built-in catalog, as every session here has it: Delta's, over the Hive metastore.
DELTA_CATALOG = "org.apache.spark.sql.delta.catalog.DeltaCatalog"


Result = TypeVar("Result")


def side_by_side(steps: list[Callable[[], Result]], workers: int) -> list[Result]:
    """Run independent steps (each its own Spark jobs and Delta commits, to different tables) up to
    `workers` at a time, in threads of this driver; their results in order. A small write is a few
    small Spark jobs with the driver's own work between them, so two at once keep both cores busier.
    Once a step fails (or the caller is interrupted) no step starts any more, and the first failure
    in the steps' order is raised when the running ones have ended, the others logged: no write of
    the run goes on behind the error."""
    if workers <= 1 or len(steps) <= 1:
        return [step() for step in steps]
    failed = threading.Event()

    def guarded(step: Callable[[], Result]) -> Result:
        if failed.is_set():
            raise _NotStarted
        try:
            return step()
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(guarded, step) for step in steps]
        try:
            wait(futures)
        except BaseException:
            failed.set()  # interrupted: leaving the block waits for the running steps alone
            raise
    errors = [e for f in futures if (e := f.exception()) is not None and not isinstance(e, _NotStarted)]
    for error in errors[1:]:
        log.error("a step running beside the one that failed failed too: %s", error)
    if errors:
        raise errors[0]
    return [future.result() for future in futures]


class _NotStarted(Exception):
    """A step left out because another one failed first."""


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in YYYY-MM-DD form") from None


def today_utc() -> date:
    return datetime.now(UTC).date()


def job_parser(name: str, description: str, *, as_of: bool = True) -> argparse.ArgumentParser:
    """The options every job takes: --conf, --set and, where it matters, --as-of."""
    parser = argparse.ArgumentParser(
        prog=f"python -m jobs.{name}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--conf",
        metavar="FILE",
        default=str(DEFAULT_CONF),
        help="YAML configuration (default: conf/local.yaml, the embedded default)",
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override one configuration value, e.g. --set paths.landing=/data/landing (repeatable)",
    )
    if as_of:
        parser.add_argument(
            "--as-of",
            metavar="YYYY-MM-DD",
            type=iso_date,
            default=None,
            help="the day the run is for, UTC (default: today)",
        )
    parser.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return parser


def parse_job_args(parser: argparse.ArgumentParser, argv: list[str] | None) -> tuple[argparse.Namespace, Config]:
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    try:
        config = load_config(args.conf, args.overrides)
    except ConfigError as error:
        parser.error(str(error))
    if getattr(args, "as_of", "absent") is None:
        args.as_of = today_utc()
    return args, config


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%SZ",
        stream=sys.stderr,
        force=True,
    )
    logging.Formatter.converter = __import__("time").gmtime
    for noisy in ("py4j", "great_expectations", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # PySpark logs every failed query with its whole JVM trace as JSON before raising it; the
    # error itself reaches the job (or the SQL shell), which says it in one line.
    for query_logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        logging.getLogger(query_logger).setLevel(logging.CRITICAL)


def delta_jars(setting: str) -> list[str] | None:
    """Jar files to hand Spark as spark.jars, or None to let Spark resolve Delta as packages."""
    if setting == "packages":
        return None
    folder = LOCAL_JARS_DIR if setting == "auto" else setting
    jars = sorted(glob.glob(os.path.join(str(folder), "*.jar")))
    if not jars and setting != "auto":
        raise ConfigError(f"spark.delta_jars: no .jar files in {folder}")
    return jars or None


_held_lakes: dict[str, object] = {}  # catalog folder -> the open lock file this process holds


def hold_lake(catalog_dir: str, wait_seconds: int = 0, *, keep: bool = True) -> None:
    """Take the lake's run lock, waiting up to `wait_seconds` for another run to let it go, then
    stop with one line; keep it for the life of this process (`keep`), or only check.

    With the embedded catalog one process at a time may open the lake: Derby, the embedded
    metastore, allows one, and two jobs racing to open it would fail deep in Hive with pages of Java
    traces. The lock is `<lake>/_catalog/rapport.lock`, held with `lockf` by the job's Python
    process: the kernel lets it go when the process ends, however it ends (a SIGKILL included), so a
    crashed run never blocks the next. Then Derby's own lock is checked the same way: the previous
    job's JVM lets go of it a moment after its Python process has ended (`make run && make dq-docs`,
    a scheduler's chain)."""
    if catalog_dir in _held_lakes:
        return
    os.makedirs(catalog_dir, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    handle = open(os.path.join(catalog_dir, "rapport.lock"), "a+b")  # noqa: SIM115 (held past this function)
    try:
        _wait_for_lock(handle, catalog_dir, deadline)
        derby_lock = os.path.join(catalog_dir, "metastore_db", "dbex.lck")
        if os.path.exists(derby_lock):
            with open(derby_lock, "a+b") as derby:
                _wait_for_lock(derby, catalog_dir, deadline, release=True)
    except BaseException:
        handle.close()
        raise
    if keep:
        _held_lakes[catalog_dir] = handle
    else:
        handle.close()  # closing the file lets go of its lock


def _wait_for_lock(handle, catalog_dir: str, deadline: float, release: bool = False) -> None:
    announced = False
    while True:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass
        else:
            if release:
                fcntl.lockf(handle, fcntl.LOCK_UN)
            return
        lake = os.path.dirname(catalog_dir)
        if time.monotonic() >= deadline:
            raise CatalogInUseError(
                f"another run holds the lake {lake} (a job, `make sql` or `make serve`; with the embedded "
                "catalog one process at a time opens it): wait for it to finish, or read the tables by path, "
                f"e.g. SELECT * FROM delta.`{lake}/gold/relationship_kpis`"
            )
        if not announced:
            log.info("another run holds the lake %s: waiting for it", lake)
            announced = True
        time.sleep(CATALOG_POLL_SECONDS)


@contextlib.contextmanager
def session_settings(spark, settings: dict[str, str]) -> Iterator[None]:
    """The session's Spark SQL `settings` changed for the block; its own come back after."""
    saved = {key: spark.conf.get(key, None) for key in settings}
    try:
        for key, value in settings.items():
            spark.conf.set(key, value)
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


@functools.cache
def socket_dir() -> str:
    """A folder only this process may enter (0700), for the Unix domain sockets between Spark and
    its Python workers; removed with what is in it when the process exits. A killed process leaves
    it, as Spark leaves its own scratch folders."""
    path = tempfile.mkdtemp(prefix="rapport-sockets-")
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def build_session(config: Config, app_name: str | None = None):
    """The SparkSession of a job: Delta, UTC, small-machine defaults and the configured catalog."""
    from delta import configure_spark_with_delta_pip
    from pyspark.sql import SparkSession

    lake = config.paths.lake
    builder = SparkSession.builder.appName(app_name or config.spark.app_name)
    master = config.spark.master
    if master:
        builder = builder.master(master)
    if str(master).startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        # Python workers run the driver's interpreter (the project's virtualenv), not python3 on PATH.
        # PySpark reads PYSPARK_PYTHON when the context starts; the conf alone is not enough here.
        os.environ["PYSPARK_PYTHON"] = sys.executable
    driver_java = "-Duser.timezone=UTC"
    if LOG4J_CONF.is_file():  # not when the packages run from a zip under spark-submit
        driver_java += f" -Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}"
    conf = {
        "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog": DELTA_CATALOG,
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.extraJavaOptions": driver_java,
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.sql.ansi.enabled": "true",
        # Ingest reads the files it planned by their paths. Spark lists more than 32 given paths in a
        # job of one task per path (10,000 by default): 22 s of task overhead for 10,000 landed
        # files, twice a run. 32 tasks list them in about 5 s here and still fan out on object storage.
        "spark.sql.sources.parallelPartitionDiscovery.parallelism": "32",
    }
    workers_python = config.spark.conf.get("spark.pyspark.python", os.environ.get("PYSPARK_PYTHON"))
    if str(master).startswith("local") and workers_python == sys.executable:
        # Python workers on this machine, of this virtualenv: about 100 ms of each Python task's
        # fixed cost goes (jobs/python_daemon.py says why), and the workers talk to the JVM over
        # Unix domain sockets, in a folder of this process's own, rather than TCP. 60 trivial
        # tasks: 3.8 s -> 0.9 s.
        conf["spark.python.daemon.module"] = "jobs.python_daemon"
        conf["spark.python.unix.domain.socket.enabled"] = "true"
        conf["spark.python.unix.domain.socket.dir"] = socket_dir()
    if config.catalog.metastore == "embedded":
        if is_uri(lake) and not lake.startswith("file:"):
            raise ConfigError("catalog.metastore: embedded needs a local paths.lake; use external on a cluster")
        catalog_dir = os.path.join(lake.removeprefix("file:"), "_catalog")
        # A process that has a session already (a test run) reuses it and never opens this catalog.
        hold_lake(catalog_dir, config.catalog.wait_seconds, keep=SparkSession.getActiveSession() is None)
        conf.update(
            {
                "spark.sql.warehouse.dir": os.path.join(catalog_dir, "warehouse"),
                "spark.hadoop.javax.jdo.option.ConnectionURL": (
                    f"jdbc:derby:;databaseName={os.path.join(catalog_dir, 'metastore_db')};create=true"
                ),
                "spark.driver.extraJavaOptions": (
                    f"{driver_java} -Dderby.system.home={catalog_dir} "
                    f"-Dderby.stream.error.file={os.path.join(catalog_dir, 'derby.log')}"
                ),
            }
        )
    conf.update(config.spark.conf)
    for key, value in conf.items():
        builder = builder.config(key, value)
    builder = builder.enableHiveSupport()

    jars = delta_jars(config.spark.delta_jars)
    builder = builder.config("spark.jars", ",".join(jars)) if jars else configure_spark_with_delta_pip(builder)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def run_job(main_body, name: str):
    """Run a job's body, turning expected failures into one clear line and exit code 1."""
    from expectations.runner import DataQualityError

    try:
        return main_body()
    except (ConfigError, DataQualityError, JobError) as error:
        log.error("%s failed: %s", name, error)
        return 1


class JobError(RuntimeError):
    """A job stopped on purpose; the message says what to look at."""


class CatalogInUseError(JobError):
    """Another process holds the lake (its embedded catalog)."""
