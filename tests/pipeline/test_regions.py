"""Regions as a setting: written desa/kelurahan resolved to codes (kecamatan and kabupaten used,
ambiguous names refused with the candidates named), residency by region set, cost rows per
kabupaten/kota, who pays (Pemkot, Pemkab, Pemda), and the config that carries them loading back from
config.resolved.json."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.config import Config, CostConfig, EligibilityConfig, PriorityConfig, config_from_dict, load_config
from pipeline.decisions.priority import build_candidates
from pipeline.decisions.tracks import build_tracks
from pipeline.errors import ConfigError
from pipeline.ingest.clean import REJECT_REASONS
from pipeline.ingest.regions import RESOLUTION_PROBLEMS, resolve_places
from pipeline.reference import region_view
from tests.pipeline.decision_fixtures import create_decision_tables

REF = date(2026, 1, 1)
KOTA, KAB = "3577", "3519"

# (desa/kelurahan, kecamatan, kabupaten/kota) as written -> (code, problem), for a run on both Madiuns.
# Kuncen is a kelurahan of Kota Madiun (Taman) and a desa of Kabupaten Madiun (Mejayan); Balerejo is
# two desa of Kabupaten Madiun (kecamatan Balerejo and Kebonsari).
CASES = [
    ("a code", ("3577031004", "", ""), "3577031004", None),
    ("a dotted code with a kecamatan that disagrees", ("35.19.11.2009", "Taman", ""), "3519112009", None),
    ("the same name as desa and kelurahan, alone", ("Kuncen", "", ""), None, "kelurahan_ambiguous"),
    ("the prefix says kelurahan", ("Kel. Kuncen", "", ""), "3577031004", None),
    ("the prefix says desa", ("DS. KUNCEN", "", ""), "3519112009", None),
    ("'Desa' in full", ("Desa Kuncen", "", ""), "3519112009", None),
    ("the kecamatan decides", ("Kuncen", "Kec. Mejayan", ""), "3519112009", None),
    ("the kecamatan by code decides", ("kuncen", "35.77.03", ""), "3577031004", None),
    ("the kabupaten/kota decides: Kota", ("Kuncen", "", "Kota Madiun"), "3577031004", None),
    ("the kabupaten/kota decides: Kab.", ("Kuncen", "", "KAB. MADIUN"), "3519112009", None),
    ("the kabupaten/kota by code", ("Kuncen", "", "35.19"), "3519112009", None),
    ("old spelling (oe, tj)", ("KOENTJEN", "Taman", ""), "3577031004", None),
    ("hyphens, case and spaces", ("oro oro-ombo", "", ""), "3577011001", None),
    ("two desa of one name, kabupaten given", ("Balerejo", "", "Kabupaten Madiun"), None, "kelurahan_ambiguous"),
    ("two desa of one name, kecamatan given", ("Balerejo", "Kebonsari", ""), "3519012012", None),
    ("a name in another kecamatan", ("Balerejo", "Dolopo", ""), None, "kelurahan_kecamatan_mismatch"),
    ("a kecamatan code as the desa/kelurahan", ("351901", "", ""), None, "kelurahan_not_desa_code"),
    ("a dotted kecamatan code as the desa/kelurahan", ("35.77.01", "", ""), None, "kelurahan_not_desa_code"),
    ("a kabupaten/kota code as the desa/kelurahan", ("3519", "", ""), None, "kelurahan_not_desa_code"),
    ("a code outside the regions", ("3578011001", "", ""), None, "kelurahan_unknown"),
    ("a name outside the regions", ("Genteng", "", ""), None, "kelurahan_unknown"),
    ("nothing written", ("", "", ""), None, "kelurahan_unknown"),
]


def _resolve(con: duckdb.DuckDBPyConnection, regions: list[str], written: list[tuple[str, str, str]]) -> dict:
    region_view(con, regions)
    con.execute("CREATE OR REPLACE TABLE written (kel_text VARCHAR, kec_text VARCHAR, kab_text VARCHAR)")
    con.executemany("INSERT INTO written VALUES (?, ?, ?)", written)
    resolve_places(con, "written")
    rows = con.execute("SELECT kel_text, kec_text, kab_text, kelurahan_code, problem, candidates "
                       "FROM place_resolution").fetchall()
    return {tuple(r[:3]): r[3:] for r in rows}


@pytest.fixture()
def con() -> duckdb.DuckDBPyConnection:
    with duckdb.connect() as c:
        yield c


def test_written_places_resolve_to_codes_or_named_problems(con: duckdb.DuckDBPyConnection) -> None:
    got = _resolve(con, ["35.77", "35.19"], [case[1] for case in CASES])
    assert [(name, got[w][:2]) for name, w, _, _ in CASES] == [(name, (code, problem))
                                                             for name, _, code, problem in CASES]
    assert set(RESOLUTION_PROBLEMS) <= set(REJECT_REASONS)


def test_an_ambiguous_name_names_every_candidate(con: duckdb.DuckDBPyConnection) -> None:
    got = _resolve(con, ["35.77", "35.19"], [("Kuncen", "", ""), ("Balerejo", "", "")])
    assert got[("Kuncen", "", "")][2] == ("desa Kuncen (35.19.11.2009, Kec. Mejayan, Kabupaten Madiun); "
                                         "kelurahan Kuncen (35.77.03.1004, Kec. Taman, Kota Madiun)")
    assert got[("Balerejo", "", "")][2].count("desa Balerejo (35.19.") == 2


def test_the_region_set_decides_what_a_name_means(con: duckdb.DuckDBPyConnection) -> None:
    """Kuncen alone is Kota Madiun's kelurahan in a Kota Madiun run, the desa in a Kabupaten Madiun run,
    and outside a run on Kota Surabaya."""
    assert _resolve(con, ["35.77"], [("Kuncen", "", "")])[("Kuncen", "", "")][:2] == ("3577031004", None)
    assert _resolve(con, ["35.19"], [("Kuncen", "", "")])[("Kuncen", "", "")][:2] == ("3519112009", None)
    assert _resolve(con, ["35.78"], [("Kuncen", "", "")])[("Kuncen", "", "")][:2] == (None, "kelurahan_unknown")
    # a whole province: the prefix still tells a kelurahan from a desa of the same name
    got = _resolve(con, ["35"], [("Kel. Jombatan", "", ""), ("Desa Jombatan", "", ""), ("Jombatan", "", "")])
    assert got[("Kel. Jombatan", "", "")][0] == "3517091002"
    assert got[("Desa Jombatan", "", "")][0] == "3517122011"
    assert got[("Jombatan", "", "")][1] == "kelurahan_ambiguous"


# --- residency ----------------------------------------------------------------------------------

RESIDENTS = [("3577011001", "Oro-oro Ombo"), ("3519112009", "Kuncen"), ("3578011001", "Genteng"),
             ("3577019999", None)]


def _mini(con: duckdb.DuckDBPyConnection) -> None:
    create_decision_tables(con)
    for i, (code, name) in enumerate(RESIDENTS, start=1):
        con.execute("INSERT INTO residents VALUES (?, ?, NULL, DATE '1980-01-01', ?, ?, 8, 'PERDAGANGAN', "
                    "'informal', 2, 3, 1)", [i, f"35770101018{i:05d}", code, name])
        con.execute("INSERT INTO coverage VALUES (?, 'uncovered', NULL, NULL, NULL, NULL)", [i])


@pytest.mark.parametrize(("regions", "resident", "title"), [
    (("3577",), [True, False, False, False], "Kota Madiun"),
    (("3519",), [False, True, False, False], "Kabupaten Madiun"),
    (("3519", "3577"), [True, True, False, False], "Kabupaten Madiun dan Kota Madiun"),
    (("35",), [True, True, True, False], "Provinsi Jawa Timur"),
])
def test_residency_follows_the_region_set(con: duckdb.DuckDBPyConnection, regions: tuple[str, ...],
                                          resident: list[bool], title: str) -> None:
    _mini(con)
    build_tracks(con, EligibilityConfig(), REF, regions)
    rows = con.execute("SELECT is_resident, out_of_scope_reason, resident_reason FROM tracks "
                       "ORDER BY resident_id").fetchall()
    assert [r[0] for r in rows] == resident
    assert [r[1] for r in rows] == [None if r else "not_resident" for r in resident]
    assert rows[3][2] == f"kode desa/kelurahan 3577019999 bukan {title}"  # no such desa/kelurahan anywhere
    if resident[1]:
        assert rows[1][2] == "desa Kuncen (3519112009), Kabupaten Madiun"


# --- cost rows ------------------------------------------------------------------------------------

def test_each_kabupaten_kota_pays_its_own_rate(con: duckdb.DuckDBPyConnection) -> None:
    _mini(con)
    cost = config_from_dict({"cost": {"regions": {"35.19": {"bpu_monthly_rp": 20_000, "months_per_year": 6,
                                                            "scheme": "Pro JKK-JKM Kabupaten"}}}}).cost
    assert cost.for_region("3577011001") == CostConfig()  # the default row: Kota Madiun's values
    assert (cost.for_region("35.19").yearly_rp, cost.for_region("3519").scheme) == (120_000, "Pro JKK-JKM Kabupaten")
    build_tracks(con, EligibilityConfig(), REF, ("35",))
    build_candidates(con, PriorityConfig(), cost, REF)
    yearly = dict(con.execute("SELECT r.kelurahan_code, k.yearly_cost_rp FROM candidates k "
                              "JOIN residents r USING (resident_id) WHERE k.track = 'pro_jkk_jkm'").fetchall())
    assert yearly == {"3577011001": 16_800 * 12, "3519112009": 120_000, "3578011001": 16_800 * 12}


@pytest.mark.parametrize(("codes", "who"), [
    (["3577"], "Pemkot"), (["35.78"], "Pemkot"),  # Kota Madiun, Kota Surabaya
    (["3519"], "Pemkab"), (["62.01"], "Pemkab"),  # Kabupaten Madiun, Kabupaten Kotawaringin Barat
    (["357701"], "Pemkot"), (["3519112009"], "Pemkab"),  # a kecamatan of a kota, a desa of a kabupaten
    (["3519", "3577"], "Pemda"), (["357701", "351901"], "Pemda"), (["35"], "Pemda"),
    (["3577", "357701"], "Pemkot"),  # a kecamatan inside the kota: still one kota
])
def test_who_pays_is_named_after_the_regions(codes: list[str], who: str) -> None:
    from pipeline.reference import region_government

    assert region_government(codes) == who


@pytest.mark.parametrize(("values", "message"), [
    ({"cost": {"regions": {"35": {}}}}, "must be a kabupaten/kota code"),
    ({"cost": {"regions": {"35.99": {}}}}, "not in the Kemendagri 2025 reference"),
    ({"cost": {"regions": {"35.19": {"bpu_monthly_rp": 0}}}}, "bpu_monthly_rp must be positive"),
    ({"cost": {"regions": {"35.19": {"rate": 1}}}}, "unknown setting [cost.regions.3519] 'rate'"),
    ({"region": {"codes": ["35.7"]}}, "is not a Kemendagri code"),
    ({"region": {"codes": []}}, "must name at least one region"),
])
def test_bad_region_settings_are_clear_errors(values: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        config_from_dict(values)


def test_the_resolved_config_loads_back_unchanged(tmp_path: Path) -> None:
    toml = tmp_path / "c.toml"
    toml.write_text('[region]\ncodes = ["35.77", "35.19", "35.19.01"]\n[eligibility]\nreference_date = "2026-01-01"\n'
                    '[cost.regions."35.19"]\nbpu_monthly_rp = 20000\n', encoding="utf-8")
    config = load_config(toml)
    assert config.region.codes == ["3519", "3577"]  # undotted, sorted, the kecamatan inside 35.19 dropped
    resolved = tmp_path / "config.resolved.json"
    resolved.write_text(json.dumps(config.resolved(REF).to_dict()), encoding="utf-8")
    again = load_config(resolved)
    assert again == config.resolved(REF) and again.digest() == config.resolved(REF).digest()
    assert again != Config() and again.cost.for_region("3519").bpu_monthly_rp == 20_000


# --- the portal's areas ---------------------------------------------------------------------------

def test_portal_areas_follow_the_publications_regions(tmp_path: Path) -> None:
    from pipeline.published.budget import publication_regions
    from portal.scope import KELURAHAN_NAMES, OutOfScope, scope_for
    from portal.users import User, area_label

    def user(role: str, area: str | None) -> User:
        return User(1, "u", "u", role, area, False, False)

    (tmp_path / "config.resolved.json").write_text(json.dumps({"region": {"codes": ["3519"]}}))
    regions = publication_regions(tmp_path)
    assert regions == ("3519",) and publication_regions(tmp_path / "none") == ("3577",)
    assert len(scope_for(user("auditor", None), None, regions).allowed) == 206
    kebonsari = scope_for(user("kecamatan", "351901"), None, regions).allowed
    assert len(kebonsari) == 14 and all(c.startswith("351901") for c in kebonsari)
    assert scope_for(user("kelurahan", "3519112009"), None, regions).codes == ("3519112009",)
    with pytest.raises(OutOfScope):  # a Kota Madiun officer sees nothing of a Kabupaten Madiun publication
        scope_for(user("kelurahan", "3577031004"), None, regions)
    assert KELURAHAN_NAMES["3519112009"] == "Kuncen" and area_label("3519112009") == "Desa Kuncen"
