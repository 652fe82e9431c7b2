"""The nightly schedule and the inbox sensor, evaluated with Dagster's test contexts."""

import json
import os
import shutil
from pathlib import Path

import dagster as dg
import pytest

from assets.automation import DECISION_ASSETS, inbox_sensor, nightly_schedule
from assets.resources import PipelineSettings
from pipeline.synthetic import GeneratedFiles


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


def _settings(inbox: Path, tmp_path: Path) -> PipelineSettings:
    return PipelineSettings(inbox_dir=str(inbox), publication_root=str(tmp_path / "published"))


def _drop(source: Path, inbox: Path, mtime: int) -> Path:
    target = inbox / source.name
    shutil.copy(source, target)
    os.utime(target, ns=(mtime, mtime))
    return target


def _evaluate(settings: PipelineSettings, cursor: str | None, instance: dg.DagsterInstance) -> dg.SensorResult:
    context = dg.build_sensor_context(cursor=cursor, instance=instance, resources={"settings": settings})
    return inbox_sensor(context)


def test_sensor_runs_once_per_file_version(small_city: GeneratedFiles, inbox: Path, tmp_path: Path) -> None:
    settings = _settings(inbox, tmp_path)
    with dg.instance_for_test() as instance:
        empty = _evaluate(settings, None, instance)
        assert not empty.run_requests

        _drop(small_city.register, inbox, 1_000_000_000)
        waiting = _evaluate(settings, None, instance)
        assert not waiting.run_requests and "waiting for both" in waiting.skip_reason.skip_message
        for i, path in enumerate(small_city.members):
            _drop(path, inbox, 2_000_000_000 + i)
        first = _evaluate(settings, waiting.cursor, instance)
        assert len(first.run_requests) == 1
        request = first.run_requests[0]
        assert request.tags["ucj/trigger"] == "inbox"

        # The same files again: nothing new past the high-water mark.
        again = _evaluate(settings, first.cursor, instance)
        assert not again.run_requests and again.cursor is None

        # A changed export (new content, newer mtime): a new run with a different key.
        changed = inbox / small_city.members[1].name
        changed.write_bytes(changed.read_bytes() + b"")
        with changed.open("ab") as fh:
            fh.write(b"\r\n")
        os.utime(changed, ns=(3_000_000_000, 3_000_000_000))
        second = _evaluate(settings, first.cursor, instance)
        assert len(second.run_requests) == 1 and second.run_requests[0].run_key != request.run_key

        # The same content touched again (newer mtime, same bytes): the same run key, so Dagster
        # does not start it twice.
        os.utime(changed, ns=(4_000_000_000, 4_000_000_000))
        touched = _evaluate(settings, second.cursor, instance)
        assert touched.run_requests[0].run_key == second.run_requests[0].run_key

        # The cursor stays a fixed-size high-water mark.
        assert set(json.loads(touched.cursor)) == {"mtime_ns", "name"}


def test_sensor_ignores_files_that_are_not_exports(inbox: Path, tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    (inbox / "catatan rapat.docx").write_bytes(b"PK\x03\x04 not a spreadsheet")
    (inbox / "daftar_hadir.csv").write_text("NO;NAMA;TANDA TANGAN\n1;SITI;\n", encoding="utf-8")
    with dg.instance_for_test() as instance:
        result = _evaluate(_settings(inbox, tmp_path), None, instance)
    assert not result.run_requests
    assert "only files that are not exports" in result.skip_reason.skip_message
    assert json.loads(result.cursor)["name"] in {"catatan rapat.docx", "daftar_hadir.csv"}
    logged = capfd.readouterr().err  # the sensor's log goes to Dagster's console logger
    assert "ignored daftar_hadir.csv: no header naming the columns" in logged
    assert "ignored catatan rapat.docx: not an export file type" in logged


def _schedule(settings: PipelineSettings, instance: dg.DagsterInstance, when: str) -> dg.RunRequest | dg.SkipReason:
    context = dg.build_schedule_context(instance=instance, resources={"settings": settings},
                                        scheduled_execution_time=__import__("datetime").datetime.fromisoformat(when))
    return nightly_schedule(context)


def test_schedule_runs_nightly_and_skips_when_nothing_to_do(small_city: GeneratedFiles, inbox: Path,
                                                            tmp_path: Path) -> None:
    settings = _settings(inbox, tmp_path)
    with dg.instance_for_test() as instance:
        skip = _schedule(settings, instance, "2026-01-02T01:00:00+07:00")
        assert isinstance(skip, dg.SkipReason) and "lacks" in skip.skip_message
        _drop(small_city.register, inbox, 1)
        for path in small_city.members:
            _drop(path, inbox, 2)
        full = _schedule(settings, instance, "2026-01-02T01:00:00+07:00")
        assert isinstance(full, dg.RunRequest) and full.asset_selection is None
        assert full.tags["ucj/reference_date"] == "2026-01-02" and full.run_key == "nightly:2026-01-02"

        # After a publication on exactly these inputs, the same night is skipped ...
        root = tmp_path / "published"
        folder = root / "20260102T010000-abcdef12"
        folder.mkdir(parents=True)
        from pipeline.ingest.readers import describe
        inputs = [{"file_name": p.name, "sha256": describe(p).sha256} for p in sorted(inbox.iterdir())
                  if p.name != ".gitkeep"]
        manifest = {"publication_id": folder.name, "reference_date": "2026-01-02", "run_id": "r1",
                    "inputs": inputs, "counts": {"candidates": 1}}
        (folder / "manifest.json").write_text(json.dumps(manifest))
        (root / "latest").symlink_to(folder.name)
        same_night = _schedule(settings, instance, "2026-01-02T01:00:00+07:00")
        assert isinstance(same_night, dg.SkipReason) and "already covers" in same_night.skip_message

        # ... and the next night redoes only the decisions when the warehouse holds that run's links.
        next_night = _schedule(settings, instance, "2026-01-03T01:00:00+07:00")
        assert isinstance(next_night, dg.RunRequest) and next_night.asset_selection is None  # links unknown
        instance.report_runless_asset_event(dg.AssetMaterialization("links"))
        links_run = instance.get_latest_materialization_event(dg.AssetKey("links")).run_id
        manifest["run_id"] = links_run
        (folder / "manifest.json").write_text(json.dumps(manifest))
        decisions = _schedule(settings, instance, "2026-01-03T01:00:00+07:00")
        assert isinstance(decisions, dg.RunRequest) and decisions.asset_selection == DECISION_ASSETS
        assert decisions.tags["ucj/reference_date"] == "2026-01-03"


def test_inbox_sources_version_follows_file_content(small_city: GeneratedFiles, inbox: Path, tmp_path: Path) -> None:
    from dagster._core.definitions.observe import observe

    from assets.sources import inbox_members, inbox_register

    settings = _settings(inbox, tmp_path)
    _drop(small_city.register, inbox, 1)
    for path in small_city.members:
        _drop(path, inbox, 2)

    def versions() -> dict[str, str]:
        with dg.instance_for_test() as instance:
            result = observe([inbox_register, inbox_members], instance=instance, resources={"settings": settings})
            return {e.asset_key.to_user_string(): e.event_specific_data.asset_observation.tags["dagster/data_version"]
                    for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"}

    first = versions()
    assert set(first) == {"inbox_register", "inbox_members"}
    os.utime(inbox / small_city.register.name, ns=(5, 5))  # touched, same bytes: same version
    assert versions() == first
    with (inbox / small_city.members[0].name).open("ab") as fh:
        fh.write(b"\n")  # changed bytes: the members' version moves, the register's does not
    second = versions()
    assert second["inbox_register"] == first["inbox_register"]
    assert second["inbox_members"] != first["inbox_members"]
