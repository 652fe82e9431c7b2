"""The example config documents every setting with its default, and bad values are clear errors."""

import dataclasses
from pathlib import Path

import pytest

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def _keys(obj: object, prefix: str = "") -> set[str]:
    keys = set()
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        keys |= _keys(value, f"{prefix}{f.name}.") if dataclasses.is_dataclass(value) else {prefix + f.name}
    return keys


def test_example_config_lists_every_setting_at_its_default() -> None:
    example = load_config(EXAMPLE)
    assert example == Config()
    text = EXAMPLE.read_text()
    for key in _keys(Config()):
        section, name = key.rsplit(".", 1)
        assert f"[{section}]" in text and f"\n{name} =" in text, key


@pytest.mark.parametrize("toml, message", [
    ("[linking]\nlink_threshold = 'high'\n", "linking.link_threshold must be a number"),
    ("[eligibility]\nreference_date = '31-12-2025'\n", "reference_date must be a date"),
    ("[eligibility]\nmin_age = 17.5\n", "min_age must be a whole number"),
    ("[linking]\nlink_treshold = 0.9\n", "unknown setting [linking] 'link_treshold'"),
    ("[linking\n", "cannot read config file"),
    ("[linking]\nlink_threshold = 0.4\n", "other_region_max_probability must stay below linking.link_threshold"),
    ("[linking]\nreview_threshold = 0.6\n", "review_threshold must be above 0 and at most linking.link_threshold"),
    ("[engine]\nbackend = 'flink'\n", "engine.backend must be 'duckdb' or 'spark'"),
    # a cluster's nodes cannot read a folder of this machine
    ("[engine]\nbackend = 'spark'\nspark_master = 'yarn'\n", "spark_work_dir must be storage every Spark node"),
    ("[engine]\nbackend = 'spark'\nspark_remote = 'sc://spark:15002'\n", "spark_work_dir must be storage every"),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def test_overrides_keep_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[eligibility]\npro_jkk_jkm_max_desil = 4\nreference_date = '2026-02-01'\n")
    config = load_config(path)
    assert config.eligibility.pro_jkk_jkm_max_desil == 4
    assert config.eligibility.min_age == 18 and config.linking == Config().linking
    assert config.digest() != Config().digest()


def test_spark_work_dir_is_the_project_folder_or_a_uri(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[engine]\nbackend = 'spark'\nspark_remote = 'sc://spark:15002'\n"
                    "spark_work_dir = 's3a://ucj/work'\n")
    assert load_config(path).engine.work_dir(tmp_path) == "s3a://ucj/work"
    assert Config().engine.work_dir(tmp_path) == str(tmp_path / "data" / "warehouse" / "spark")
