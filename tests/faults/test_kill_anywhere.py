"""Kill a job anywhere with SIGKILL, run it again, and the lake is the lake of a run never killed;
start a job twice at once, and one waits or stops with a message, and the lake is as after one.

The kill points are named by the jobs themselves (`jobs.faults`): before each Delta write
(`writing`), after each commit (`committed`), across every job of two days (a first day made from
nothing, silver by a full refresh; a second merged incrementally). A few trials kill the job from
outside a moment after it started a write, so that it dies inside the write: data files written,
the commit not. After each kill the job runs again, as a scheduler's retry would, and every table
must equal the clean run's (run stamps aside): no row lost, none twice, and every ledger row with
exactly its file's rows. `make test-faults`; the sweep prints what it tried.
"""

from __future__ import annotations

import pytest

from tests.faults.harness import (
    FIRST_DAY,
    SECOND_DAY,
    SWEEP,
    CleanRunInBackground,
    KillPoint,
    Step,
    Workspace,
    differences,
    step_before,
    sweep,
)

pytestmark = pytest.mark.faults

FIRST, SECOND = FIRST_DAY, SECOND_DAY
KILL_POINTS = [
    # ingest: the tables being made; between sources' commits; before and after the ledger
    KillPoint(Step(FIRST, "ingest"), "committed bronze.crm_users#1"),
    KillPoint(Step(FIRST, "ingest"), "committed ops.ingest_files#1"),
    KillPoint(Step(FIRST, "ingest"), "committed bronze.crm_accounts#2"),
    KillPoint(Step(FIRST, "ingest"), "committed bronze.transcripts#2"),
    KillPoint(Step(FIRST, "ingest"), "writing ops.ingest_files#2"),
    KillPoint(Step(FIRST, "ingest"), "writing bronze.emails#2", after=0.3),
    KillPoint(Step(SECOND, "ingest"), "committed bronze.emails#1"),
    KillPoint(Step(SECOND, "ingest"), "committed bronze.transcripts#1"),
    KillPoint(Step(SECOND, "ingest"), "writing ops.ingest_files#1"),
    KillPoint(Step(SECOND, "ingest"), "committed ops.ingest_files#1"),
    # conform: a full refresh half written
    KillPoint(Step(FIRST, "conform"), "committed silver.users#1"),
    KillPoint(Step(FIRST, "conform"), "committed silver.email_responses#3"),
    KillPoint(Step(FIRST, "conform"), "writing silver.record_links#1", after=0.5),
    # conform: an incremental merge half merged
    KillPoint(Step(SECOND, "conform"), "committed silver.activities#1"),
    KillPoint(Step(SECOND, "conform"), "committed silver.email_responses#1"),
    KillPoint(Step(SECOND, "conform"), "committed silver.email_threads#1"),
    KillPoint(Step(SECOND, "conform"), "committed silver.call_turns#1"),
    KillPoint(Step(SECOND, "conform"), "writing ops.conform_state#1"),
    # the daily relationship KPIs
    KillPoint(Step(FIRST, "daily_kpis"), "committed gold.most_contacted#1"),
    KillPoint(Step(FIRST, "daily_kpis"), "writing gold.who_knows_whom#2", after=0.3),
    KillPoint(Step(SECOND, "daily_kpis"), "committed gold.relationship_kpis#1"),
    KillPoint(Step(SECOND, "daily_kpis"), "committed gold.email_engagement#1"),
    KillPoint(Step(SECOND, "daily_kpis"), "writing gold.deal_tracker#1", after=0.3),
    # conversation intelligence
    KillPoint(Step(FIRST, "conversation_insights"), "committed gold.call_insights#2"),
    KillPoint(Step(SECOND, "conversation_insights"), "committed gold.call_mentions#1"),
    KillPoint(Step(SECOND, "conversation_insights"), "committed gold.ci_top_terms#1"),
    KillPoint(Step(SECOND, "conversation_insights"), "committed gold.call_recording_kpis#1"),
    # the weekly similar won deals
    KillPoint(Step(FIRST, "similar_deals"), "committed gold.similar_won_deals#2"),
    KillPoint(Step(SECOND, "similar_deals"), "committed gold.similar_deal_features#1"),
    KillPoint(Step(SECOND, "similar_deals"), "committed gold.opportunity_benchmark#1"),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory, request):
    """The clean run, started: the sweep's first trials begin while it goes on."""
    root = tmp_path_factory.mktemp("faults")
    started = CleanRunInBackground(Workspace(root / "clean-run", root / "clean"))
    yield started
    if started.seconds:
        request.config.stash.setdefault(SWEEP, []).insert(
            0, "clean run: " + ", ".join(f"{name} {s:.0f} s" for name, s in started.seconds.items())
        )


@pytest.fixture(scope="module")
def workspace(clean):
    """The clean run's workspace once the clean run is over."""
    clean.wait()
    return clean.workspace


def test_the_kill_points_are_distinct_and_at_least_30():
    assert len({(k.step, k.point) for k in KILL_POINTS}) == len(KILL_POINTS) >= 30


def test_a_job_killed_at_any_point_and_run_again_leaves_what_a_clean_run_leaves(clean, request):
    trials = sweep(clean, KILL_POINTS)

    lines = request.config.stash.setdefault(SWEEP, [])
    lines += [f"{t.kill}: {'; '.join(t.problems) or t.account + ', lake as clean'}" for t in trials]
    lines.append(f"{len(trials)} kill points tried, {sum(not t.problems for t in trials)} recovered")
    failed = [f"{t.kill}:\n  " + "\n  ".join(t.problems) for t in trials if t.problems]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("job", ["ingest", "daily_kpis"])
def test_two_runs_of_a_job_started_together_one_waits_and_the_lake_is_as_after_one(workspace, job):
    # Ingest's in the clean run's own workspace: bronze and its ledger name landed files by path.
    step = Step(SECOND, job)
    ws = workspace if job == "ingest" else workspace.worker(0)
    ws.restore_landing(step.day)
    ws.restore(step_before(step))

    first, second = ws.run_together(step, 2, extra=["catalog.wait_seconds=900"])

    assert (first.returncode, second.returncode) == (0, 0), first.log + second.log
    waited = [o for o in (first, second) if "another run holds the lake" in o.log and "waiting for it" in o.log]
    assert len(waited) == 1, first.log + second.log
    assert differences(ws.copy_of(step.name), ws.lake) == []


def test_a_run_started_while_another_holds_the_lake_stops_with_one_line_and_the_lake_is_as_after_one(workspace):
    step, ws = Step(SECOND, "conform"), workspace.worker(1)
    ws.restore_landing(step.day)
    ws.restore(step_before(step))

    outcomes = ws.run_together(step, 2, extra=["catalog.wait_seconds=0"])

    assert sorted(o.returncode for o in outcomes) == [0, 1], "\n".join(o.log for o in outcomes)
    stopped = next(o for o in outcomes if o.returncode == 1)
    message = f"ERROR rapport: conform failed: another run holds the lake {ws.lake} "
    assert message in stopped.log and "Traceback" not in stopped.log, stopped.log
    assert differences(ws.copy_of(step.name), ws.lake) == []
