"""Rapport on Airflow: each daily job as its own spark-submit, and similar won deals on Mondays.

An example to copy into Airflow's dags folder (it needs apache-airflow-providers-apache-spark). Each
task runs `spark-submit --packages <Delta> --py-files dist/rapport.zip jobs/<job>.py --conf
conf/acme.yaml ...`, the line README "On a cluster" gives. The Airflow connection `spark_default`
says where: its host is the master (`yarn`, `k8s://https://<api-server>:6443`, `spark://host:7077`)
and its extra the deploy mode, e.g. {"deploy-mode": "cluster"}; conf/cluster.example.yaml has the
whole spark-submit line for YARN and for Kubernetes.

Every day at 02:30 UTC a run is for the day that has just ended, `{{ ds }}`, the start of its data
interval (the timetable is named, so this holds whatever Airflow's default timetable is):
ingest >> conform >> daily_kpis >> conversation_insights, and on Mondays, once that day's
relationship KPIs are written, similar_deals refreshes the ISO week, as `jobs.pipeline` does on the
first run of a week. After the day's gold, retention removes raw text older than
`retention.raw_text_days` (`jobs.retention`; it writes nothing while that is unset). On Sundays,
once the day's chain is done, maintenance compacts the week's small files, checkpoints the Delta
logs and vacuums (`jobs.maintenance`), which also drops the files retention replaced. Each job run
twice for the same day changes nothing the second time, so retries are safe; one run at a time
writes the lake.

The jobs' Python dependencies (setup.cfg's pins) must be where the driver and the executors run: in
the Kubernetes image, or on YARN a packed virtualenv (`--archives rapport-env.tar.gz#env` with
`spark.pyspark.python=./env/bin/python`). Secrets never pass through Airflow: the pseudonym salt
reaches the driver from the cluster (`spark.yarn.appMasterEnv.RAPPORT_PSEUDONYM_SALT` in its
spark-defaults, or `spark.kubernetes.driver.secretKeyRef.RAPPORT_PSEUDONYM_SALT=<secret>:<key>`).
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator
from airflow.timetables.interval import CronDataIntervalTimetable

try:  # Airflow 3
    from airflow.providers.standard.operators.python import ShortCircuitOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
    from airflow.operators.python import ShortCircuitOperator

# A release of Rapport on the Airflow workers: jobs/, conf/acme.yaml and dist/rapport.zip (`make dist`).
RAPPORT_HOME = os.environ.get("RAPPORT_HOME", "/opt/rapport")
CONF_FILE = f"{RAPPORT_HOME}/conf/acme.yaml"
PY_FILES = f"{RAPPORT_HOME}/dist/rapport.zip"
DELTA_PACKAGE = "io.delta:delta-spark_4.1_2.13:4.1.0"  # the Delta of setup.cfg's delta-spark, for pyspark 4.1
SPARK_CONN_ID = "spark_default"
AS_OF = ("--as-of", "{{ ds }}")


def is_monday(ds: str) -> bool:
    """Whether the run's day opens an ISO week: similar won deals are refreshed once a week, then."""
    return date.fromisoformat(ds).weekday() == 0


def is_sunday(ds: str) -> bool:
    """Whether the run's day closes an ISO week: the lake's maintenance runs once a week, then."""
    return date.fromisoformat(ds).weekday() == 6


def rapport_job(job: str, *args: str) -> SparkSubmitOperator:
    """`spark-submit ... jobs/<job>.py --conf CONF_FILE <args>`, a task named after the job."""
    return SparkSubmitOperator(
        task_id=job,
        application=f"{RAPPORT_HOME}/jobs/{job}.py",
        py_files=PY_FILES,
        packages=DELTA_PACKAGE,
        conn_id=SPARK_CONN_ID,
        name=f"rapport-{job}",
        application_args=["--conf", CONF_FILE, *args],
    )


with DAG(
    dag_id="rapport_daily",
    description="Rapport: landing -> bronze -> silver -> gold for the day that has just ended",
    schedule=CronDataIntervalTimetable("30 2 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
    tags=["rapport"],
):
    ingest = rapport_job("ingest", *AS_OF)
    conform = rapport_job("conform")  # all of bronze that changed: it takes no day
    daily_kpis = rapport_job("daily_kpis", *AS_OF)
    conversation_insights = rapport_job("conversation_insights", *AS_OF)
    retention = rapport_job("retention", *AS_OF)
    on_mondays = ShortCircuitOperator(task_id="on_mondays", python_callable=is_monday, op_kwargs={"ds": "{{ ds }}"})
    similar_deals = rapport_job("similar_deals", *AS_OF)
    on_sundays = ShortCircuitOperator(task_id="on_sundays", python_callable=is_sunday, op_kwargs={"ds": "{{ ds }}"})
    maintenance = rapport_job("maintenance", *AS_OF)

    ingest >> conform >> daily_kpis >> conversation_insights >> retention
    daily_kpis >> on_mondays >> similar_deals
    retention >> on_sundays >> maintenance
