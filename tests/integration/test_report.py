"""`make report` end to end: the report of the shared lake with every gold table, opened in a real
headless browser (Debian's chromium) with no network, where every chart must draw."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest
from pyspark.sql import functions as F

from jobs import report
from jobs.config import load_config
from jobs.lake import GOLD
from jobs.runtime import JobError
from tests.conftest import TEST_SPARK_CONF
from tests.integration.conftest import AS_OF

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXPECTED_CHARTS = [
    "chart-deal-tracker",
    "chart-activity",
    "chart-health-states",
    "chart-health-scores",
    "chart-health-trend",
    "chart-benchmark",
    "chart-sentiment",
    "chart-recording",
    "chart-top-terms",
    "chart-top-sellers",
]
SPEC_STAGE_FILLS = {"darkblue", "lightblue", "red", "purple"}


class ChartsInDom(HTMLParser):
    """Per chart element (div.chart) of a rendered page: its data-* attributes, and the Vega marks
    drawn in it: the children of every `role-mark` group of its SVG, by their fill."""

    def __init__(self):
        super().__init__()
        self.charts: dict[str, dict] = {}
        self._stack: list[tuple[str, str | None, bool]] = []  # (tag, chart id, is a data-mark group)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        chart, in_mark = (self._stack[-1][1], self._stack[-1][2]) if self._stack else (None, False)
        if tag == "div" and "chart" in (attrs.get("class") or "").split():
            chart = attrs["id"]
            self.charts[chart] = {"attrs": attrs, "svg": 0, "marks": 0, "fills": []}
        elif chart is not None and tag == "svg":
            self.charts[chart]["svg"] += 1
        elif chart is not None and in_mark:
            self.charts[chart]["marks"] += 1
            self.charts[chart]["fills"].append(attrs.get("fill"))
        is_mark = tag == "g" and "role-mark" in (attrs.get("class") or "").split()
        if tag not in ("br", "img", "input", "meta", "link"):
            self._stack.append((tag, chart, is_mark))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][0] == tag:
                del self._stack[i:]
                return


def rendered_dom(page) -> str:
    """The page's DOM after its scripts ran, from headless chromium; any network request fails."""
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--virtual-time-budget=15000",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def job_args(config, *args: str) -> list[str]:
    settings = (f"paths.lake={config.paths.lake}", f"catalog.schema_prefix={config.catalog.schema_prefix}")
    return [*args, *(a for s in (*settings, *TEST_SPARK_CONF) for a in ("--set", s))]


@pytest.fixture(scope="module")
def rendered(spark, every_gold_table, tmp_path_factory):
    """`python -m jobs.report` as `make report` runs it: no --as-of, so the latest day in gold."""
    config, lake = every_gold_table
    out = tmp_path_factory.mktemp("report") / "report" / "index.html"
    assert report.main(job_args(config, "--out", str(out))) == 0
    return lake, out, out.read_text(encoding="utf-8")


def test_the_report_shows_the_latest_day_every_chart_and_the_deal_with_most_similar_deals(rendered):
    lake, _, page = rendered

    assert lake.read(GOLD, "relationship_kpis").agg(F.max("as_of_date")).first()[0] == AS_OF
    assert f"as of {AS_OF}." in page
    assert re.findall(r'<div class="chart" id="([^"]+)">', page) == EXPECTED_CHARTS
    assert "not computed yet" not in page and "has no rows" not in page
    benchmark = lake.read(GOLD, "opportunity_benchmark")
    latest = benchmark.filter(F.col("refreshed_on") <= F.lit(AS_OF)).agg(F.max("refreshed_on")).first()[0]
    expected_deal = (
        benchmark.filter(F.col("refreshed_on") == latest)
        .orderBy(F.col("similar_deals").desc(), "opportunity_id")
        .first()["opportunity_id"]
    )
    assert f"Deal <code>{expected_deal}</code> in the weekly refresh of {latest}" in page
    assert "make dq-docs" in page  # not built in this lake: the page says how


def test_the_report_names_people_only_by_id(rendered):
    *_, page = rendered
    data = page[page.index("const CHARTS") :] + page[page.index("<body>") :]

    assert not re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", data)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine: `make test` installs it where it can (apt)")
def test_every_chart_draws_in_a_headless_browser_offline(rendered):
    lake, out, _ = rendered
    dom = ChartsInDom()
    dom.feed(rendered_dom(out))

    assert list(dom.charts) == EXPECTED_CHARTS
    for chart_id, chart in dom.charts.items():
        assert "data-error" not in chart["attrs"], f"{chart_id}: {chart['attrs']['data-error']}"
        assert chart["attrs"].get("data-rendered") == "true", chart_id
        assert chart["svg"] >= 1 and chart["marks"] > 0, f"{chart_id} drew no marks: {chart}"
    # One bubble per deal of the day, each in its stage's colour from the spec.
    deals = lake.read(GOLD, "deal_tracker").filter(F.col("as_of_date") == F.lit(AS_OF))
    bubbles = dom.charts["chart-deal-tracker"]["fills"]
    assert len(bubbles) == deals.count()
    stages = {r["stage"] for r in deals.select("stage").distinct().collect()}
    assert set(bubbles) == {report.charts.css_color(report.charts.STAGE_COLORS[s]) for s in stages}
    assert set(bubbles) <= SPEC_STAGE_FILLS


def test_the_report_links_the_data_quality_docs_relatively_when_they_are_built(tmp_path):
    config = load_config(overrides=[f"paths.lake={tmp_path / 'lake'}", *TEST_SPARK_CONF])
    out = tmp_path / "report" / "index.html"
    assert report.data_quality_section(config, out).missing is not None  # not built yet

    (tmp_path / "dq-docs").mkdir()
    (tmp_path / "dq-docs" / "index.html").write_text("<html></html>")
    section = report.data_quality_section(config, out)

    assert section.missing is None
    assert '<a href="../dq-docs/index.html">the data docs</a>' in section.html
    assert report.default_out(config) == out


def test_a_lake_without_gold_gives_a_page_that_says_what_is_not_computed_yet(spark, tmp_path):
    empty_config = load_config(
        overrides=[f"paths.lake={tmp_path / 'lake'}", "catalog.schema_prefix=none_", *TEST_SPARK_CONF]
    )
    (tmp_path / "lake").mkdir()
    with pytest.raises(JobError, match=r"no gold tables with rows under .*: run the pipeline first"):
        report.run(spark, empty_config, out=tmp_path / "r.html")  # no day to default to

    result = report.run(spark, empty_config, as_of=AS_OF, out=tmp_path / "r.html")

    page = result.path.read_text(encoding="utf-8")
    assert result.charts == [] and result.missing == list(report.REPORTED_TABLES)
    for table in ("deal_tracker", "relationship_activity_daily", "relationship_kpis", "opportunity_benchmark"):
        assert f"not computed yet: <code>none_gold.{table}</code> does not exist" in page
    assert "not computed yet: <code>none_gold.sales_base_kpis</code>, <code>none_gold.ci_sentiment</code>" in page


def test_an_unknown_deal_stops_the_job_naming_it(every_gold_table, tmp_path, capsys):
    config, _ = every_gold_table

    code = report.main(job_args(config, "--as-of", str(AS_OF), "--deal", "opp-none", "--out", str(tmp_path / "r.html")))

    assert code == 1
    assert "--deal opp-none: no such open deal" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()
