"""The configuration model: one home for every default, flat Spark keys, one clear message per mistake."""

from pathlib import Path

import pytest

from jobs.config import DEFAULT_CONF, ConfigError, load_config
from transforms.health import HealthParams


def test_overrides_are_typed_and_reach_nested_keys():
    config = load_config(overrides=["kpi.health.frequency_days=14", "org.internal_domains=[A.com, b.com]"])

    assert config.kpi.health.frequency_days == 14
    assert config.kpi.health.trend_days == 28  # derived from it: max(7, 2f)
    assert config.org.internal_domains == ["a.com", "b.com"]  # domains compare in lower case
    # Everything else keeps its default.
    assert config.kpi.response_window_days == 30


def test_a_spark_setting_is_one_flat_key_whatever_its_dots():
    config = load_config(
        overrides=["spark.conf.spark.sql.shuffle.partitions=4", "spark.conf.spark.sql.adaptive.enabled=false"]
    )

    assert config.spark.conf["spark.sql.shuffle.partitions"] == "4"
    assert config.spark.conf["spark.sql.adaptive.enabled"] == "false"  # as Spark spells it, not "False"
    assert "spark" not in config.spark.conf
    # The rest of conf/local.yaml's Spark settings stay.
    assert config.spark.conf["spark.driver.memory"] == "4g"


def test_defaults_live_in_the_model_and_the_file_says_only_what_differs(tmp_path):
    conf = tmp_path / "minimal.yaml"
    conf.write_text("paths:\n  landing: /data/landing\n  lake: /data/lake\n")

    config = load_config(conf)

    # Health parameters come from their one home, beside the formula in transforms/health.py.
    assert config.kpi.health == HealthParams()
    assert (config.kpi.health.good_at, config.kpi.who_knows_whom.decay_days) == (60, 90.0)
    assert config.spark.conf == {}
    assert config.catalog.metastore == "embedded"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("paths.lak=/x", r"unknown key 'paths\.lak': paths has no 'lak' \(did you mean 'lake'\?\)"),
        ("kpi.helth.good_at=1", r"unknown key 'kpi\.helth\.good_at': kpi has no 'helth' \(did you mean 'health'\?\)"),
        ("kpi.health.good_at=abc", r"^--set kpi\.health\.good_at = 'abc': expected a valid integer$"),
        ("kpi.health.weights.email=2", r"kpi\.health\.weights\.email = 2: expected less than or equal to 1\.5"),
        ("kpi.health.frequency_days=5", r"kpi\.health\.frequency_days = 5: expected 1, 3, 7, 14 or 30"),
        ("kpi.health.fair_at=70", r"kpi\.health: fair_at \(70\) must not be above good_at \(60\)"),
        ("org.internal_domains=acme.com", r"org\.internal_domains = 'acme\.com': expected a valid list"),
        ("quality.enabled=yes please", r"quality\.enabled = 'yes please': expected a valid boolean"),
        ("maintenance.log_retention_days=2", r"log_retention_days = 2: expected greater than or equal to 7"),
        ("kpi.health=3", r"--set kpi\.health is a section: set one of its keys \(frequency_days, "),
        ("paths.landing.deeper=1", r"unknown key 'paths\.landing\.deeper': paths\.landing is a value, not a section"),
        ("paths.landing", r"expected dotted\.key=value"),
    ],
)
def test_a_mistake_on_the_command_line_is_one_message_with_key_value_and_what_was_expected(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(overrides=[override])


def test_a_mistake_in_a_file_names_the_file(tmp_path):
    conf = tmp_path / "acme.yaml"
    conf.write_text("paths:\n  lak: /x\nkpi:\n  health:\n    good_at: '60'\n")

    with pytest.raises(ConfigError) as failure:
        load_config(conf)

    assert str(failure.value) == (
        f"{conf}: unknown key 'paths.lak' (did you mean 'lake'?); "
        f"{conf}: kpi.health.good_at = '60': expected a valid integer"
    )


def test_relative_paths_resolve_against_the_working_directory_and_uris_stay(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(overrides=["paths.landing=landing", "paths.lake=s3a://bucket/lake/"])

    assert config.paths.landing == str(tmp_path / "landing")
    assert config.paths.lake == "s3a://bucket/lake"


def test_only_the_untouched_default_is_the_embedded_default(tmp_path):
    assert load_config().is_embedded_default
    assert load_config(overrides=["kpi.activity_days=30"]).is_embedded_default
    assert not load_config(overrides=["paths.landing=/data/landing"]).is_embedded_default
    assert not load_config(overrides=["paths.lake=/data/lake"]).is_embedded_default
    copy = tmp_path / "local.yaml"
    copy.write_text(Path(DEFAULT_CONF).read_text())
    assert not load_config(copy).is_embedded_default


def test_missing_and_broken_files_are_named(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read configuration /nope\.yaml"):
        load_config("/nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("paths: [\n")
    with pytest.raises(ConfigError, match=rf"{broken}: not valid YAML"):
        load_config(broken)


def test_the_spark_settings_of_the_configuration_reach_the_session(spark):
    # tests/conftest.py sets these through --set-style overrides; conf/local.yaml says 8 and 10000.
    assert spark.conf.get("spark.sql.shuffle.partitions") == "1"
    assert spark.conf.get("spark.sql.execution.arrow.maxRecordsPerBatch") == "1000"


def test_crm_extra_fields_are_typed_per_table_and_may_not_take_a_name_the_lake_uses():
    config = load_config(overrides=["crm.extra_fields.opportunities=[region, sub_region]"])
    assert config.crm.extra_fields == {"opportunities": ["region", "sub_region"]}
    assert load_config().crm.extra_fields == {} and load_config().retention.raw_text_days is None

    for override, message in (
        ("crm.extra_fields.opportunities=[stage]", r"opportunities: 'stage' is a column of silver\.opportunities"),
        ("crm.extra_fields.accounts=[source]", r"accounts: 'source' is a column name the lake describes"),
        ("crm.extra_fields.accounts=[raw_record]", r"accounts: 'raw_record' is a column bronze adds"),
        ("crm.extra_fields.accounts=[Region]", r"accounts: 'Region' is not a lower-case name"),
        ("crm.extra_fields.accounts=[segment, segment]", r"accounts: 'segment' named twice"),
        ("crm.extra_fields.deals=[region]", r"crm\.extra_fields\.deals\.\[key\]"),
        ("retention.raw_text_days=-1", r"retention\.raw_text_days = -1: expected greater than or equal to 0"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_config(overrides=[override])


def test_python_m_jobs_config_shows_the_drift_and_retention_keys(capsys):
    from jobs.config import main

    assert main(["--set", "crm.extra_fields.accounts=[segment]"]) == 0
    printed = capsys.readouterr().out
    assert "crm:\n  extra_fields:\n    accounts:\n    - segment\n" in printed
    assert "retention:\n  raw_text_days: null\n" in printed
