import pytest

from expansion_propensity.config import Config, ConfigError, load_config


def test_defaults_match_playbook_weights():
    config = load_config(None)
    assert config.baseline.weights == {
        "tenure": 0.30,
        "usage": 0.25,
        "adoption": 0.20,
        "health": 0.25,
    }
    assert config.labels.horizon_days == 90
    assert config.tiers.top_share == 0.20


def test_weights_must_sum_to_one(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "baseline:\n  weights: {tenure: 0.5, usage: 0.25, adoption: 0.20, health: 0.25}\n"
    )
    with pytest.raises(ConfigError, match=r"baseline.weights sum to 1.2000; they must sum to 1"):
        load_config(path)


def test_unknown_key_rejected(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("labels:\n  horizon_dayz: 30\n")
    with pytest.raises(
        ConfigError,
        match=r"labels.horizon_dayz: unknown key; did you mean 'horizon_days'\? Valid keys here: "
        r"horizon_days, min_increase_amount, min_increase_pct",
    ):
        load_config(path)


def test_unknown_section_lists_sections(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("label:\n  horizon_days: 30\n")
    with pytest.raises(ConfigError, match=r"label: unknown key; did you mean 'labels'\?"):
        load_config(path)


def test_invalid_value_names_key_and_value(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("tiers:\n  top_share: 1.5\n")
    with pytest.raises(
        ConfigError, match=r"tiers.top_share: Input should be less than or equal to 1 \(got 1.5\)"
    ):
        load_config(path)


def test_missing_file_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"config file .*nope.yaml not found"):
        load_config(tmp_path / "nope.yaml")


def test_fingerprint_changes_with_values():
    base = Config()
    changed = Config.model_validate({"labels": {"horizon_days": 60}})
    assert base.fingerprint() == Config().fingerprint()
    assert base.fingerprint() != changed.fingerprint()
