"""The example Airflow DAG (deploy/airflow/rapport_dag.py), checked without installing Airflow.

The file is parsed (valid Python, SparkSubmitOperator imported from the Spark provider), then run
against stand-ins of the few Airflow names it uses, which take only the keyword arguments the real
ones take: every task submits a job module that exists and has `main`, with arguments that job's
own parser accepts once `{{ ds }}` is rendered, on a daily schedule, in the pipeline's order
(retention of raw text last, as in `jobs.pipeline`), with similar won deals behind a gate that opens
on Mondays only and maintenance behind one that opens on Sundays only.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import runpy
import sys
import types
from datetime import date
from pathlib import Path

import pytest

from jobs.config import REPO_ROOT

DAG_FILE = REPO_ROOT / "deploy" / "airflow" / "rapport_dag.py"
SPARK_SUBMIT_MODULE = "airflow.providers.apache.spark.operators.spark_submit"
DS = "2026-03-31"  # a Tuesday
MONDAY = "2026-03-30"
SUNDAY = "2026-03-29"

# The keyword arguments of apache-airflow-providers-apache-spark's SparkSubmitOperator, and of
# BaseOperator those a DAG commonly sets: a misspelt one fails here as it would in Airflow.


def words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPARK_SUBMIT_PARAMETERS = words(
    """application conf conn_id files py_files archives driver_class_path jars java_class packages
    exclude_packages repositories total_executor_cores executor_cores executor_memory driver_memory
    keytab principal proxy_user name num_executors status_poll_interval application_args env_vars
    verbose spark_binary properties_file yarn_queue deploy_mode use_krb5ccache"""
)
SHORT_CIRCUIT_PARAMETERS = words(
    """python_callable op_args op_kwargs templates_dict templates_exts show_return_value_in_logs
    ignore_downstream_trigger_rules"""
)
BASE_OPERATOR_PARAMETERS = words(
    """task_id dag owner email email_on_retry email_on_failure retries retry_delay
    retry_exponential_backoff max_retry_delay start_date end_date depends_on_past wait_for_downstream
    trigger_rule pool pool_slots queue priority_weight execution_timeout doc_md
    on_failure_callback on_success_callback on_retry_callback"""
)
DAG_PARAMETERS = words(
    """dag_id description schedule start_date end_date catchup max_active_runs max_active_tasks
    default_args tags doc_md params dagrun_timeout is_paused_upon_creation"""
)


class FakeDag:
    def __init__(self, registry: dict, **kwargs):
        unknown = set(kwargs) - DAG_PARAMETERS
        if unknown:
            raise TypeError(f"DAG() got unexpected keyword arguments {sorted(unknown)}")
        self.kwargs = kwargs
        self.tasks: dict[str, FakeTask] = {}
        self._registry = registry
        registry["dags"].append(self)

    def __enter__(self):
        self._registry["current"] = self
        return self

    def __exit__(self, *exc):
        self._registry["current"] = None


class FakeTask:
    parameters = BASE_OPERATOR_PARAMETERS

    def __init__(self, registry: dict, **kwargs):
        unknown = set(kwargs) - self.parameters
        if unknown:
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments {sorted(unknown)}")
        self.kwargs = kwargs
        self.task_id = kwargs["task_id"]
        self.downstream: set[str] = set()
        dag = kwargs.get("dag") or registry["current"]
        if dag is None:
            raise RuntimeError(f"task {self.task_id} belongs to no DAG")
        dag.tasks[self.task_id] = self

    def __rshift__(self, other):
        for task in other if isinstance(other, list | tuple) else [other]:
            self.downstream.add(task.task_id)
        return other

    def __rrshift__(self, other):  # [a, b] >> task
        for task in other:
            task >> self
        return self


class FakeSparkSubmitOperator(FakeTask):
    parameters = BASE_OPERATOR_PARAMETERS | SPARK_SUBMIT_PARAMETERS


class FakeShortCircuitOperator(FakeTask):
    parameters = BASE_OPERATOR_PARAMETERS | SHORT_CIRCUIT_PARAMETERS


class FakeCronDataIntervalTimetable:
    def __init__(self, cron: str, timezone):
        self.cron = cron
        self.timezone = timezone


def fake_airflow(registry: dict) -> dict[str, types.ModuleType]:
    """Modules named as Airflow 2 and 3 name them, holding the stand-ins."""

    def bound(cls):
        return type(
            cls.__name__.removeprefix("Fake"), (cls,), {"__init__": lambda s, **kw: cls.__init__(s, registry, **kw)}
        )

    names = {
        "DAG": bound(FakeDag),
        "SparkSubmitOperator": bound(FakeSparkSubmitOperator),
        "ShortCircuitOperator": bound(FakeShortCircuitOperator),
        "CronDataIntervalTimetable": FakeCronDataIntervalTimetable,
    }
    contents = {
        "airflow": ["DAG"],
        "airflow.sdk": ["DAG"],
        SPARK_SUBMIT_MODULE: ["SparkSubmitOperator"],
        "airflow.operators.python": ["ShortCircuitOperator"],
        "airflow.providers.standard.operators.python": ["ShortCircuitOperator"],
        "airflow.timetables.interval": ["CronDataIntervalTimetable"],
    }
    modules: dict[str, types.ModuleType] = {}
    for dotted, members in contents.items():
        parts = dotted.split(".")
        for depth in range(1, len(parts) + 1):
            modules.setdefault(".".join(parts[:depth]), types.ModuleType(".".join(parts[:depth])))
        for member in members:
            setattr(modules[dotted], member, names[member])
    return modules


@pytest.fixture(scope="module")
def dag_module():
    """The DAG file run with the stand-ins: its globals, its one DAG and that DAG's tasks."""
    registry: dict = {"dags": [], "current": None}
    with pytest.MonkeyPatch.context() as patch:
        for name, module in fake_airflow(registry).items():
            patch.setitem(sys.modules, name, module)
        namespace = runpy.run_path(str(DAG_FILE), run_name="rapport_dag")
    (dag,) = registry["dags"]
    return namespace, dag


def spark_tasks(dag) -> dict[str, FakeTask]:
    return {task_id: t for task_id, t in dag.tasks.items() if isinstance(t, FakeSparkSubmitOperator)}


def rendered(value: str) -> str:
    """`value` as Airflow renders it for the run of DS: `{{ ds }}` is the only template the DAG uses."""
    text = re.sub(r"\{\{\s*ds\s*\}\}", DS, value)
    assert "{{" not in text and "{%" not in text, f"a template this test does not render: {value!r}"
    return text


class _Parsed(Exception):
    """Raised in place of the job's start once its parser has read the arguments."""


def parsed_by_job(job: str, argv: list[str], monkeypatch):
    """What `python -m jobs.<job> argv` parses, read by the job's own parser in its own `main`."""
    module = importlib.import_module(f"jobs.{job}")
    seen = {}

    def parse_only(parser, args):
        try:
            seen["args"] = parser.parse_args(args)
        except SystemExit:
            pytest.fail(f"jobs.{job} does not accept {args} (its usage: {parser.format_usage().strip()})")
        raise _Parsed

    monkeypatch.setattr(module, "parse_job_args", parse_only)
    with pytest.raises(_Parsed):
        module.main(argv)
    return seen["args"]


def test_the_dag_file_is_python_that_imports_spark_submit_operator():
    tree = ast.parse(DAG_FILE.read_text(encoding="utf-8"), filename=str(DAG_FILE))

    imported = {
        (node.module, alias.name) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert (SPARK_SUBMIT_MODULE, "SparkSubmitOperator") in imported


def test_every_task_submits_a_job_module_of_the_packages_with_a_main(dag_module):
    namespace, dag = dag_module
    tasks = spark_tasks(dag)

    jobs = set()
    for task_id, task in tasks.items():
        application = Path(task.kwargs["application"])
        assert application.parent.name == "jobs", f"{task_id}: {application} is not a job module"
        assert (REPO_ROOT / "jobs" / application.name).is_file(), f"{task_id}: no jobs/{application.name}"
        assert callable(getattr(importlib.import_module(f"jobs.{application.stem}"), "main", None))
        # The packages travel in `make dist`'s zip.
        assert task.kwargs["py_files"] == f"{namespace['RAPPORT_HOME']}/dist/rapport.zip"
        jobs.add(application.stem)
    assert jobs == {
        "ingest",
        "conform",
        "daily_kpis",
        "conversation_insights",
        "retention",
        "similar_deals",
        "maintenance",
    }
    assert "zip -qr dist/rapport.zip jobs " in (REPO_ROOT / "Makefile").read_text(encoding="utf-8")


def test_each_job_s_parser_accepts_the_arguments_the_dag_gives_it(dag_module, monkeypatch):
    namespace, dag = dag_module

    for task_id, task in spark_tasks(dag).items():
        job = Path(task.kwargs["application"]).stem
        argv = [rendered(arg) for arg in task.kwargs["application_args"]]

        args = parsed_by_job(job, argv, monkeypatch)

        assert args.conf == namespace["CONF_FILE"], task_id
        if hasattr(args, "as_of"):  # a job that takes a day is given the run's, never its default of today
            assert args.as_of == date.fromisoformat(DS), task_id


def test_the_jobs_are_submitted_with_the_delta_of_the_installed_delta_spark(dag_module):
    _, dag = dag_module
    spark = ".".join(importlib.metadata.version("pyspark").split(".")[:2])
    expected = f"io.delta:delta-spark_{spark}_2.13:{importlib.metadata.version('delta-spark')}"

    assert {task.kwargs["packages"] for task in spark_tasks(dag).values()} == {expected}
    assert expected in (REPO_ROOT / "conf" / "cluster.example.yaml").read_text(encoding="utf-8")


def test_the_schedule_is_daily_for_the_day_that_has_ended(dag_module):
    _, dag = dag_module
    schedule = dag.kwargs["schedule"]

    # A data-interval timetable: `{{ ds }}` is the interval's start, the day before the run.
    assert isinstance(schedule, FakeCronDataIntervalTimetable)
    minute, hour, *every = schedule.cron.split()
    assert minute.isdigit() and hour.isdigit() and every == ["*", "*", "*"], schedule.cron
    assert schedule.timezone == "UTC"
    assert dag.kwargs["max_active_runs"] == 1  # one run at a time writes the lake


def test_the_tasks_run_in_the_pipeline_s_order_with_weekly_jobs_behind_monday_and_sunday_gates(dag_module):
    _, dag = dag_module
    edges = {(task_id, after) for task_id, task in dag.tasks.items() for after in task.downstream}

    assert edges == {
        ("ingest", "conform"),
        ("conform", "daily_kpis"),
        ("daily_kpis", "conversation_insights"),
        ("daily_kpis", "on_mondays"),
        ("on_mondays", "similar_deals"),
        ("conversation_insights", "retention"),
        ("retention", "on_sundays"),
        ("on_sundays", "maintenance"),
    }
    for gate_id, opens_on in (("on_mondays", MONDAY), ("on_sundays", SUNDAY)):
        gate = dag.tasks[gate_id]
        assert isinstance(gate, FakeShortCircuitOperator)
        kwargs = {key: rendered(value) for key, value in gate.kwargs["op_kwargs"].items()}
        assert gate.kwargs["python_callable"](**kwargs) is False  # DS, a Tuesday
        assert [gate.kwargs["python_callable"](**{**kwargs, "ds": d}) for d in (MONDAY, SUNDAY)] == [
            d == opens_on for d in (MONDAY, SUNDAY)
        ]
