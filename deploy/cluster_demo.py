"""`make cluster-demo`: the whole pipeline submitted with spark-submit to a Spark standalone cluster on
this machine, a master and two workers bound to 127.0.0.1, on a generated landing zone of its own.

The master and the workers are started from the pyspark installation (`bin/spark-class`: pip's
pyspark ships no `sbin/start-master.sh`), each in its own process group, and are always stopped at
the end, executors included, whatever happened; the exit code is the run's. The application is
`jobs/pipeline.py` with the packages on `--py-files` (`make dist`'s zip) and Delta from the jars of
`.jars/` on `--jars`: the same spark-submit line, with `--master yarn` or `k8s://...`, runs it on a
real cluster (conf/cluster.example.yaml).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_CONF = REPO_ROOT / "conf" / "cluster-demo.yaml"
DEMO_ROOT = REPO_ROOT / "data" / "cluster-demo"
JARS_DIR = REPO_ROOT / ".jars"
LOG4J_CONF = REPO_ROOT / "conf" / "log4j2.properties"
APPLICATION = REPO_ROOT / "jobs" / "pipeline.py"
APP_NAME = "rapport-pipeline"  # what build_session names the pipeline's application
HOST = "127.0.0.1"  # every daemon, UI and the driver listen on the loopback only

DESCRIPTION = """\
Start a Spark standalone master and workers on 127.0.0.1 (from the pyspark installation), submit
the whole pipeline to them with spark-submit (jobs/pipeline.py, the packages from --py-files, Delta
from --jars), print what it wrote, and stop the master and the workers, also on failure or Ctrl-C.
The landing zone is generated into ROOT/landing when it has no files; the lake is ROOT/lake; the
daemons' and executors' logs are under ROOT/logs. Options it does not know go to the pipeline.

examples:
  python -m deploy.cluster_demo                                      # what `make cluster-demo` does
  python -m deploy.cluster_demo --as-of 2026-03-31 --scale 1000 --fresh
  python -m deploy.cluster_demo --port 7277 --ui-port 8277 --set kpi.health.frequency_days=14
"""


class ClusterError(RuntimeError):
    """The standalone cluster could not be started or used; the message says where to look."""


def spark_home() -> Path:
    """The Spark distribution inside the pyspark package: bin/spark-class, bin/spark-submit, jars/."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def free_port() -> int:
    """A TCP port nobody listens on at this instant, on the loopback."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def require_free_port(port: int, option: str) -> None:
    with socket.socket() as probe:
        # As the Spark daemons bind: a port still in TIME_WAIT from an earlier run is free, a listened one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise ClusterError(
                f"port {port} on {HOST} is taken (another cluster demo, or another service): choose one with {option}"
            ) from None


def spark_env() -> dict[str, str]:
    """The environment of every Spark process here: the pyspark distribution, the loopback only, and
    the project's interpreter for Python workers."""
    return dict(
        os.environ,
        SPARK_HOME=str(spark_home()),
        SPARK_LOCAL_IP=HOST,
        PYSPARK_PYTHON=python_executable(),
    )


def python_executable() -> str:
    """This interpreter as started (the virtualenv's `bin/python`, not the file its link points to)."""
    return os.path.abspath(sys.executable)


class StandaloneCluster:
    """A Spark standalone master and its workers on 127.0.0.1, each its own process group.

    A worker's executors are its children in its group, so stopping a group stops them too."""

    def __init__(
        self,
        log_dir: Path,
        *,
        port: int = 7177,
        ui_port: int = 8177,
        workers: int = 2,
        worker_cores: int = 1,
        worker_memory: str = "1g",
        daemon_memory: str = "512m",
    ):
        self.log_dir = Path(log_dir)
        self.port = port
        self.ui_port = ui_port
        self.workers = workers
        self.worker_cores = worker_cores
        self.worker_memory = worker_memory
        self.daemon_memory = daemon_memory
        self.processes: list[tuple[str, subprocess.Popen]] = []

    @property
    def url(self) -> str:
        return f"spark://{HOST}:{self.port}"

    @property
    def pids(self) -> list[int]:
        return [process.pid for _, process in self.processes]

    def __enter__(self) -> StandaloneCluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _launch(self, name: str, main_class: str, *args: str) -> None:
        env = spark_env()
        env["SPARK_DAEMON_MEMORY"] = self.daemon_memory
        # No REST submission server (it would listen on 6066 too): spark-submit talks to the master's RPC port.
        env["SPARK_MASTER_OPTS"] = "-Dspark.master.rest.enabled=false"
        with open(self.log_dir / f"{name}.log", "wb") as log_file:
            process = subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), main_class, *args],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=self.log_dir,
                env=env,
                start_new_session=True,  # its own process group: Ctrl-C reaches it only through stop()
            )
        self.processes.append((name, process))

    def start(self, timeout_s: float = 180) -> dict:
        """Start the master, then the workers; return the master's state once every worker is alive."""
        require_free_port(self.port, "--port")
        require_free_port(self.ui_port, "--ui-port")
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._launch(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", HOST, "--port", str(self.port), "--webui-port", str(self.ui_port)),
        )
        self._wait_for(lambda state: state.get("status") == "ALIVE", "the master", timeout_s)
        for number in range(1, self.workers + 1):
            self._launch(
                f"worker-{number}",
                "org.apache.spark.deploy.worker.Worker",
                *("--host", HOST, "--cores", str(self.worker_cores), "--memory", self.worker_memory),
                *("--webui-port", "0", "--work-dir", str(self.log_dir / f"worker-{number}"), self.url),
            )
        return self._wait_for(
            lambda state: state.get("aliveworkers", 0) >= self.workers, f"{self.workers} workers", timeout_s
        )

    def state(self) -> dict | None:
        """The master's own account of itself (its web UI's /json/, on the loopback), or None."""
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.ui_port}/json/", timeout=5) as response:
                return json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def _wait_for(self, is_ready, what: str, timeout_s: float) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for name, process in self.processes:
                if process.poll() is not None:
                    raise ClusterError(
                        f"the {name} exited with {process.returncode} while starting: see {self.log_dir / name}.log"
                    )
            state = self.state()
            if state is not None and is_ready(state):
                return state
            time.sleep(1)
        raise ClusterError(f"{what} not up after {timeout_s:.0f} s: see the logs in {self.log_dir}")

    def stop(self, grace_s: float = 30) -> None:
        """Stop the workers, then the master: SIGTERM to each process group, SIGKILL to what is left
        after `grace_s` seconds, then to any executor that outlived its worker."""
        for _, process in reversed(self.processes):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        for _, process in reversed(self.processes):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for _, process in self.processes:
            _signal_group(process, signal.SIGKILL)  # the group outlives its leader while a child runs
        # What a group keeps after its leader: executors killed a moment ago, still exiting. (And the
        # zombie of the launcher's subshell, which each daemon's JVM never reaps: dead already, it
        # passes to init, or to whatever reaps orphans here, at the kill.)
        groups = set(self.pids)
        deadline = time.monotonic() + grace_s
        while (running := running_in(groups)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if running:
            print(f"processes of the cluster still running after SIGKILL: {running}", file=sys.stderr)
        self.processes.clear()


def running_in(groups: set[int]) -> list[int]:
    """The processes of these process groups that still run: every one in the process table but
    the zombies (state Z), which are dead and wait for their parent to reap them."""
    running = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        state, _, pgid = stat.rsplit(")", 1)[1].split()[:3]  # the fields after the command
        if int(pgid) in groups and state != "Z":
            running.append(int(entry.name))
    return running


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def delta_jar_files() -> list[str]:
    jars = sorted(glob.glob(str(JARS_DIR / "*.jar")))
    if not jars:
        raise ClusterError(f"no Delta jars in {JARS_DIR}: run `make setup`")
    return jars


def spark_submit_command(
    master: str,
    *,
    py_files: Path,
    conf: Path,
    as_of: date,
    landing: Path,
    lake: Path,
    pipeline_args: list[str] | tuple[str, ...] = (),
    driver_memory: str = "1g",
    executor_memory: str = "1g",
    total_cores: int = 2,
) -> list[str]:
    """spark-submit of the whole pipeline in client mode: the driver here, one 1-core executor per worker.

    Under spark-submit the driver's JVM starts before the job reads its configuration, so what
    jobs/runtime.py would give it as `spark.driver.extraJavaOptions` (UTC, the log settings, where
    the embedded catalog's Derby writes) is given here, on the command line."""
    catalog = Path(lake) / "_catalog"
    java_options = " ".join(
        [
            "-Duser.timezone=UTC",
            f"-Dlog4j2.configurationFile={LOG4J_CONF.as_uri()}",
            f"-Dderby.system.home={catalog}",
            f"-Dderby.stream.error.file={catalog / 'derby.log'}",
        ]
    )
    python = python_executable()
    return [
        str(spark_home() / "bin" / "spark-submit"),
        *("--master", master, "--deploy-mode", "client", "--name", APP_NAME),
        *("--driver-memory", driver_memory, "--executor-memory", executor_memory),
        *("--executor-cores", "1", "--total-executor-cores", str(total_cores)),
        *("--jars", ",".join(delta_jar_files()), "--py-files", str(py_files)),
        *("--conf", f"spark.pyspark.python={python}", "--conf", f"spark.pyspark.driver.python={python}"),
        *("--conf", f"spark.driver.host={HOST}", "--conf", f"spark.driver.bindAddress={HOST}"),
        *("--driver-java-options", java_options),
        str(APPLICATION),
        *("--conf", str(conf), "--as-of", as_of.isoformat()),
        *("--set", f"paths.landing={landing}", "--set", f"paths.lake={lake}"),
        *pipeline_args,
    ]


def run_timed(command: list[str], output: Path | None = None, timeout_s: float | None = None) -> tuple[int, float]:
    """Run `command` from the repository's root; its exit code (124 when it ran out of time) and its
    wall time in seconds. Its output goes to the file `output` if given, else to this process's own."""
    started = time.monotonic()
    try:
        if output is None:
            completed = subprocess.run(command, cwd=REPO_ROOT, env=spark_env(), check=False, timeout=timeout_s)
        else:
            with open(output, "wb") as out:
                completed = subprocess.run(
                    command,
                    cwd=REPO_ROOT,
                    env=spark_env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    check=False,
                    timeout=timeout_s,
                )
    except subprocess.TimeoutExpired:
        return 124, time.monotonic() - started
    return completed.returncode, time.monotonic() - started


def landing_has_files(landing: Path) -> bool:
    return landing.is_dir() and any(path.is_file() for path in landing.rglob("*"))


def generate_landing(landing: Path, as_of: date, scale: str, conf: Path = DEMO_CONF) -> None:
    command = [python_executable(), "-m", "jobs.generate_sample_data", "--conf", str(conf)]
    command += ["--set", f"paths.landing={landing}", "--as-of", as_of.isoformat(), "--scale", scale]
    subprocess.run(command, cwd=REPO_ROOT, check=True)


def lake_contents(lake: Path) -> str:
    """One line per layer of the lake: its Delta tables."""
    lines = []
    for layer in ("bronze", "silver", "gold", "quarantine", "ops"):
        tables = sorted(p.parent.name for p in (lake / layer).glob("*/_delta_log"))
        if tables:
            lines.append(f"  {layer}/ ({len(tables)}): {', '.join(tables)}")
    return "\n".join(lines)


def _stop_on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops the cluster


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.cluster_demo",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--as-of", type=date.fromisoformat, default=None, help="the run's day (default: today, UTC)")
    parser.add_argument("--root", type=Path, default=DEMO_ROOT, help="its folder (default: data/cluster-demo)")
    parser.add_argument("--conf", type=Path, default=DEMO_CONF, help="the jobs' configuration (conf/cluster-demo.yaml)")
    parser.add_argument("--scale", default="tiny", help="sample size if the landing zone is generated (tiny)")
    parser.add_argument("--fresh", action="store_true", help="delete ROOT's landing zone and lake first")
    parser.add_argument("--py-files", type=Path, default=REPO_ROOT / "dist" / "rapport.zip", help="`make dist`'s zip")
    parser.add_argument("--port", type=int, default=7177, help="the master's port (default: 7177)")
    parser.add_argument("--ui-port", type=int, default=8177, help="the master's web UI, on 127.0.0.1 (default: 8177)")
    parser.add_argument("--workers", type=int, default=2, help="workers of 1 core and 1g each (default: 2)")
    args, pipeline_args = parser.parse_known_args(argv)

    as_of = args.as_of or datetime.now(UTC).date()
    root = args.root.resolve()
    landing, lake = root / "landing", root / "lake"
    py_files = args.py_files.resolve()
    if not py_files.is_file():
        parser.error(f"{py_files} does not exist: run `make dist` (or `make cluster-demo`, which does)")
    if args.fresh:
        for folder in (landing, lake):
            shutil.rmtree(folder, ignore_errors=True)
    if landing_has_files(landing):
        print(f"landing zone {landing} has files: using them (--fresh generates it again)", flush=True)
    else:
        generate_landing(landing, as_of, args.scale, args.conf)
    (lake / "_catalog").mkdir(parents=True, exist_ok=True)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop_on_signal)
    cluster = StandaloneCluster(root / "logs", port=args.port, ui_port=args.ui_port, workers=args.workers)
    try:
        state = cluster.start()
        print(
            f"Spark standalone master {cluster.url} (UI http://{HOST}:{args.ui_port}) with "
            f"{state['aliveworkers']} workers of 1 core and 1g; logs in {cluster.log_dir}",
            flush=True,
        )
        command = spark_submit_command(
            cluster.url,
            py_files=py_files,
            conf=args.conf,
            as_of=as_of,
            landing=landing,
            lake=lake,
            pipeline_args=pipeline_args,
        )
        print("$ " + shlex.join(command), flush=True)
        code, seconds = run_timed(command)
    except ClusterError as error:
        print(f"cluster demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("cluster demo interrupted", file=sys.stderr)
        return 130
    finally:
        cluster.stop()
        print(f"stopped the master and the workers of {cluster.url}", flush=True)
    if code != 0:
        print(
            f"cluster run failed (exit {code}) after {seconds:.0f} s: the driver's output is above, the "
            f"executors' logs are in {cluster.log_dir}/worker-*/app-*/",
            file=sys.stderr,
        )
        return code
    print(f"\ncluster run: the whole pipeline as of {as_of} in {seconds:.0f} s on {cluster.url}; it wrote {lake}:")
    print(lake_contents(lake))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
