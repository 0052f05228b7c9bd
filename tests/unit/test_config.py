import pytest

from jobs.config import ConfigError, load_config


def test_overrides_are_typed_and_reach_nested_keys(tmp_path):
    config = load_config(overrides=["kpi.health.frequency_days=14", "org.internal_domains=[a.com, b.com]"])

    assert config.get("kpi.health.frequency_days") == 14
    assert config.get("org.internal_domains") == ["a.com", "b.com"]
    # Everything else still comes from conf/local.yaml.
    assert config.get("kpi.response_window_days") == 30


def test_relative_paths_resolve_against_the_working_directory_and_uris_stay(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(overrides=["paths.landing=landing", "paths.lake=s3a://bucket/lake/"])

    assert config.path("paths.landing") == str(tmp_path / "landing")
    assert config.path("paths.lake") == "s3a://bucket/lake"


def test_bad_overrides_and_files_are_named():
    with pytest.raises(ConfigError, match=r"expected dotted\.key=value"):
        load_config(overrides=["paths.landing"])
    with pytest.raises(ConfigError, match=r"cannot read configuration /nope\.yaml"):
        load_config("/nope.yaml")
    with pytest.raises(ConfigError, match=r"missing key 'paths\.nowhere'"):
        load_config().get("paths.nowhere")
