"""The commands as a user meets them: an empty landing zone they named, the SQL shell's exit codes
and formats, and the embedded catalog held by another process (a real `python -m jobs.sql`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from jobs import daily_kpis, pipeline, sql
from jobs.config import REPO_ROOT
from tests.conftest import TEST_SPARK_CONF

pytestmark = pytest.mark.integration


def settings(*assignments: str) -> list[str]:
    return [arg for assignment in (*TEST_SPARK_CONF, *assignments) for arg in ("--set", assignment)]


@pytest.mark.parametrize("make_folders", [False, True], ids=["mistyped", "empty"])
def test_a_landing_zone_the_user_named_gets_no_sample_data_and_the_run_stops_naming_it(tmp_path, capsys, make_folders):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    if make_folders:
        (landing / "activities" / "emails").mkdir(parents=True)

    code = pipeline.main(["--sample-if-empty", *settings(f"paths.landing={landing}", f"paths.lake={lake}")])

    assert code == 1
    error = capsys.readouterr().err
    assert f"landing zone {landing} " in error and "nothing was read or written" in error
    assert "is not the embedded default's: no sample data is generated" in error or not make_folders
    assert not lake.exists()  # no lake, no catalog
    assert [p for p in landing.rglob("*") if p.is_file()] == []  # and nothing generated


def test_a_failed_statement_exits_non_zero_with_its_error_in_one_line(spark, tmp_path, capsys):
    tmp_path.joinpath("lake").mkdir()
    code = sql.main([*settings(f"paths.lake={tmp_path / 'lake'}"), "-e", "SELECT * FROM no_such_table"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip().splitlines()[-1].startswith("error: [TABLE_OR_VIEW_NOT_FOUND] The table or view")
    assert "\tat org.apache" not in captured.err  # no Java trace


@pytest.mark.parametrize(
    ("output_format", "expected"),
    [
        ("csv", 'day,deal,revenue,note\n2026-03-31,o1,1500.5,"a, b"\n2026-03-31,o2,,\n'),
        (
            "json",
            '{"day": "2026-03-31", "deal": "o1", "revenue": 1500.5, "note": "a, b"}\n'
            '{"day": "2026-03-31", "deal": "o2", "revenue": null, "note": null}\n',
        ),
    ],
)
def test_statements_print_every_row_for_scripts(spark, tmp_path, capsys, output_format, expected):
    tmp_path.joinpath("lake").mkdir()
    statement = (
        "SELECT DATE'2026-03-31' AS day, * FROM VALUES ('o1', 1500.5D, 'a, b'), ('o2', NULL, NULL) "
        "AS t(deal, revenue, note) ORDER BY deal"
    )

    code = sql.main([*settings(f"paths.lake={tmp_path / 'lake'}"), "--format", output_format, "-e", statement])

    assert code == 0
    assert capsys.readouterr().out == expected
    if output_format == "json":
        assert [json.loads(line)["deal"] for line in expected.splitlines()] == ["o1", "o2"]


def test_a_lake_held_by_another_process_is_one_line_not_a_java_trace(spark, tmp_path, capsys):
    lake = tmp_path / "lake"
    lake.mkdir()
    shell = subprocess.Popen(
        [sys.executable, "-m", "jobs.sql", *settings(f"paths.lake={lake}")],
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        # The shell opens the catalog for its first SHOW SCHEMAS, then waits at its prompt.
        lines = []
        while "default" not in "".join(lines):
            line = shell.stdout.readline()
            assert line, "the SQL shell ended before it opened the catalog"
            lines.append(line)

        started = time.monotonic()
        sql_code = sql.main([*settings(f"paths.lake={lake}", "catalog.wait_seconds=2"), "-e", "SELECT 1"])
        waited = time.monotonic() - started
        job_code = daily_kpis.main(
            [*settings(f"paths.lake={lake}", f"paths.landing={tmp_path}", "catalog.wait_seconds=0")]
        )
    finally:
        shell.stdin.close()
        shell.wait(timeout=120)

    error = capsys.readouterr().err
    assert (sql_code, job_code, shell.returncode) == (1, 1, 0)
    assert waited >= 2  # it waited for the catalog before it gave up
    held = (
        f"another run holds the lake {lake} (a job, `make sql` or `make serve`; with the embedded catalog one "
        f"process at a time opens it): wait for it to finish, or read the tables by path, e.g. SELECT * FROM "
        f"delta.`{lake}/gold/relationship_kpis`"
    )
    messages = [line.split(" ERROR rapport: ", 1)[1] for line in error.splitlines() if " ERROR rapport: " in line]
    assert messages == [f"sql failed: {held}", f"daily_kpis failed: {held}"]
    assert "Exception" not in error and "\tat " not in error
