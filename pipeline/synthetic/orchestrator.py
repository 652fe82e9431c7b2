"""Orchestration: build the synthetic city, its BPJS TK memberships, and write every file.

`generate` writes Kota Madiun (the demo city) or, with `regions`, any kabupaten/kota, several, or a
whole province, sized from real resident counts (`pipeline.reference.population`): scale 1 is the real
size. A population larger than `CHUNK_FAMILIES` families is written in parts (`part-000/`, ...), each
generated and written on its own, so a province (Jawa Timur: 41.9 million residents) never sits in
memory at once; NIK, No. KK and KPJ numbers stay unique across parts (`identifiers.Part`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from pipeline.reference import DEFAULT_REGION_CODES, Kelurahan, desa_kelurahan_of, region_codes
from pipeline.reference.population import RegionPopulation, region_population

from .days import to_days, ymd
from .exports import MemberPeople, write_members
from .identifiers import Part, assign_kks, assign_niks
from .membership import build_rows, draw_outsider_states, draw_states, merge_rows, true_status
from .naming import PersonNames, copy_namesakes, make_names
from .occupations import draw_desil, draw_occupations
from .population import HEAD, age_at, make_city, make_outsiders
from .profiles import get_profile
from .register import REGISTER_FILE, RegisterInput, write_register

__all__ = ["GeneratedFiles", "generate", "generate_regions", "plan_regions", "RegionPlan", "FAMILIES_PER_SCALE",
           "OUTSIDER_SHARE", "CHUNK_FAMILIES"]

log = logging.getLogger(__name__)

FAMILIES_PER_SCALE = 59_000  # families at scale 1.0 (about 201,000 residents)
OUTSIDER_SHARE = 0.13  # share of membership rows held by people outside the register
COMMON_NAME_MIN = 20  # a name is "common" when at least this many people of the city carry it
MADIUN_RESIDENTS = 201_733  # Dukcapil Semester II 2024: FAMILIES_PER_SCALE families make this many people
CHUNK_FAMILIES = 60_000  # at most this many families are generated and written at once (about the demo city)
MEMBER_ROWS_PER_RESIDENT = 51_454 / 200_678  # membership rows per resident at scale 1 (the demo city, measured)


@dataclass(frozen=True)
class GeneratedFiles:
    """Paths of the generated files and the key counts."""

    register: Path
    members: tuple[Path, ...]  # (XLSX of PU/JAKON/PMI, CSV of BPU)
    truth_residents: Path
    truth_members: Path
    residents: int  # distinct people in the register
    families: int
    member_rows: int  # data rows over both membership files (duplicates included)
    register_rows: int  # data rows of the register (duplicates included)


def _streams(seed: int) -> dict[str, np.random.Generator]:
    steps = ("city", "occupation", "names", "membership", "outsiders", "ids", "register", "members")
    return {s: np.random.default_rng([seed, i]) for i, s in enumerate(steps)}


def _streams_of_part(seed: int, index: int) -> dict[str, np.random.Generator]:
    steps = ("city", "occupation", "names", "membership", "outsiders", "ids", "register", "members")
    return {s: np.random.default_rng([seed, i, 1_000 + index]) for i, s in enumerate(steps)}


def _concat_names(a: PersonNames, b: PersonNames) -> PersonNames:
    return PersonNames(
        np.concatenate([a.modern, b.modern]),
        np.concatenate([a.registered, b.registered]),
        np.concatenate([a.old_spelling, b.old_spelling]),
    )


@dataclass(frozen=True)
class _Chunk:
    index: int
    count: int
    families: int
    places: tuple[Kelurahan, ...]
    weights: np.ndarray  # expected families per place (its kabupaten/kota's count spread evenly)


@dataclass(frozen=True)
class RegionPlan:
    """What `generate_regions` would write, computed without generating anything."""

    regions: tuple[str, ...]
    populations: tuple[RegionPopulation, ...]  # real counts per kabupaten/kota (scale 1)
    families: int  # families to generate at this scale
    residents: int  # expected residents (families x the demo's residents per family)
    member_rows: int  # expected membership rows (the demo's rows per resident)
    parts: int  # chunks written one after the other
    chunk_families: tuple[int, ...]


def _chunks(regions: tuple[str, ...], scale: float, chunk_families: int) -> tuple[tuple[RegionPopulation, ...],
                                                                                  list[_Chunk]]:
    populations = region_population(regions)
    per_family = MADIUN_RESIDENTS / FAMILIES_PER_SCALE
    places = desa_kelurahan_of(regions)
    per_place: dict[str, float] = {}
    for pop in populations:
        mine = [k for k in places if k.kabupaten_code == pop.kabupaten_code]
        for k in mine:
            per_place[k.code] = pop.residents * scale / per_family / len(mine)
    groups: list[list[Kelurahan]] = [[]]
    total = 0.0
    for k in places:  # code order: a part is a run of neighbouring desa/kelurahan
        if groups[-1] and total + per_place[k.code] > chunk_families:
            groups.append([])
            total = 0.0
        groups[-1].append(k)
        total += per_place[k.code]
    chunks = [
        _Chunk(i, len(groups), max(1, round(sum(per_place[k.code] for k in g))), tuple(g),
               np.array([per_place[k.code] for k in g]))
        for i, g in enumerate(groups)
    ]
    return populations, chunks


def plan_regions(regions: tuple[str, ...] | list[str], scale: float = 1.0,
                 chunk_families: int = CHUNK_FAMILIES) -> RegionPlan:
    """Sizes of a generated population for `regions` at `scale`, and how it is cut into parts."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    chosen = region_codes(regions)
    populations, chunks = _chunks(chosen, scale, chunk_families)
    families = sum(c.families for c in chunks)
    residents = round(families * MADIUN_RESIDENTS / FAMILIES_PER_SCALE)
    return RegionPlan(chosen, populations, families, residents, round(residents * MEMBER_ROWS_PER_RESIDENT),
                      len(chunks), tuple(c.families for c in chunks))


def generate_regions(
    out_dir: Path,
    regions: tuple[str, ...] | list[str],
    *,
    scale: float = 1.0,
    seed: int = 1,
    profile: str = "standard",
    reference_date: date = date(2026, 1, 1),
    progress: Callable[[str], None] | None = None,
    chunk_families: int = CHUNK_FAMILIES,
) -> list[GeneratedFiles]:
    """A synthetic population for any regions (Kemendagri codes: kabupaten/kota, province, kecamatan),
    sized from real counts; one part in `out_dir`, or `part-NNN/` folders when it is larger than
    `chunk_families`. Kota Madiun alone is the demo city, exactly as `generate` writes it."""
    chosen = region_codes(regions)
    if chosen == DEFAULT_REGION_CODES:
        return [generate(out_dir, scale=scale, seed=seed, profile=profile, reference_date=reference_date,
                         progress=progress)]
    if scale <= 0:
        raise ValueError("scale must be positive")
    _, chunks = _chunks(chosen, scale, chunk_families)
    partners = tuple(sorted({int(k.kabupaten_code) for k in desa_kelurahan_of(chosen)}))
    register_name = "dtsen_" + "_".join(chosen) + ".csv"
    files = []
    for chunk in chunks:
        folder = Path(out_dir) if chunk.count == 1 else Path(out_dir) / f"part-{chunk.index:03d}"
        files.append(_generate_part(
            folder, chunk.families, seed=seed, profile=profile, reference_date=reference_date, progress=progress,
            places=chunk.places, place_weights=chunk.weights, partners=partners, part=(chunk.index, chunk.count),
            kabupaten_column=len(partners) > 1, register_name=register_name))
    return files


def generate(
    out_dir: Path,
    *,
    scale: float = 1.0,
    seed: int = 1,
    profile: str = "standard",
    reference_date: date = date(2026, 1, 1),
    progress: Callable[[str], None] | None = None,
) -> GeneratedFiles:
    """Generate the synthetic register, the two BPJS TK exports and the truth tables in `out_dir`.

    Same arguments give byte-identical files. `scale` 1.0 is about 59,000 families / 201,000
    residents and 51,000 membership rows; `profile` is "standard", "hard" or "wild"."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    return _generate_part(out_dir, max(1, round(FAMILIES_PER_SCALE * scale)), seed=seed, profile=profile,
                          reference_date=reference_date, progress=progress)


def _generate_part(
    out_dir: Path,
    n_fam: int,
    *,
    seed: int,
    profile: str,
    reference_date: date,
    progress: Callable[[str], None] | None,
    places: tuple[Kelurahan, ...] = (),
    place_weights: np.ndarray | None = None,
    partners: tuple[int, ...] = (),
    part: Part = (0, 1),
    kabupaten_column: bool = False,
    register_name: str = REGISTER_FILE,
) -> GeneratedFiles:
    prof = get_profile(profile)
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    ref = to_days(reference_date)
    # the demo city keeps its streams; parts of a region run get their own
    rng = _streams(seed) if not places else _streams_of_part(seed, part[0])

    def step(msg: str) -> None:
        log.info(msg)
        if progress is not None:
            progress(msg if part[1] == 1 else f"part {part[0] + 1}/{part[1]}: {msg}")

    step(f"population: {n_fam} families")
    fams, people = make_city(rng["city"], n_fam, ref, prof.register_dob_correction, places, place_weights, partners)
    n_res = len(people.family)
    occ = draw_occupations(rng["occupation"], people.age, people.female)
    desil = draw_desil(rng["occupation"], occ[people.role == HEAD], np.bincount(people.family, minlength=n_fam))
    names = make_names(rng["names"], people.female, ymd(people.birth)[0], prof.zipf_exponent)

    step(f"membership: {n_res} residents")
    state = draw_states(rng["membership"], occ, people.age, people.female, desil[people.family])
    res_rows = build_rows(rng["membership"], state, occ, people.birth, ref)
    n_out = max(1, round(len(res_rows.person) * OUTSIDER_SHARE / (1 - OUTSIDER_SHARE)))
    out = make_outsiders(rng["outsiders"], n_out, ref, tuple(sorted({int(k.kecamatan_code) for k in places})))
    out_names = make_names(rng["outsiders"], out.female, ymd(out.birth)[0], prof.zipf_exponent)
    # Real namesakes share common names: nobody, person or linker, can tell apart two people who
    # share a rare three-word name and a birth date, so only common names are copied.
    _, inverse, counts = np.unique(names.registered.astype(str), return_inverse=True, return_counts=True)
    donor_ok = (people.age >= 18) & (people.age <= 62) & (counts[inverse] >= COMMON_NAME_MIN)
    copy_namesakes(
        rng["outsiders"],
        out_names,
        out.female,
        out.birth,
        names,
        people.female,
        people.birth,
        donor_ok,
        prof.namesake_copy,
    )
    out.nik_birth = out.birth.copy()
    out.age = age_at(out.birth, ref)
    out_rows = build_rows(
        rng["outsiders"], draw_outsider_states(rng["outsiders"], n_out), np.full(n_out, 15), out.birth, ref
    )
    rows = merge_rows(rng["membership"], [(res_rows, 0), (out_rows, n_res)], part)

    step("identifiers: NIK and No. KK")
    nik = assign_niks(
        np.r_[people.region6, out.region6],
        np.r_[people.nik_birth, out.nik_birth],
        np.r_[people.female, out.female],
        rng["ids"],
        part,
    )
    kk = assign_kks(fams.kecamatan6, fams.kk_days, rng["ids"], nik, part)
    out_kk_days = ref - rng["ids"].integers(200, 7000, n_out)
    out_kk = assign_kks(out.region6, out_kk_days, rng["ids"], np.r_[nik, kk], part)
    status = true_status(rows, n_res)

    step("writing register")
    reg_rows = write_register(
        out_dir / register_name,
        out_dir / "truth" / "residents.parquet",
        RegisterInput(fams, people, names.registered, occ, desil, nik[:n_res], kk, status, kabupaten_column),
        rng["register"],
        prof,
    )

    step(f"writing membership exports: {len(rows.person)} rows")
    mp = MemberPeople(
        nik,
        np.r_[kk[people.family], out_kk],
        _concat_names(names, out_names),
        np.r_[people.female, out.female],
        np.r_[people.birth, out.birth],
        n_res,
    )
    xlsx, csv_path, n_member_rows = write_members(
        out_dir, out_dir / "truth" / "members.parquet", rows, mp, rng["members"], prof
    )
    step("done")
    return GeneratedFiles(
        register=out_dir / register_name,
        members=(xlsx, csv_path),
        truth_residents=out_dir / "truth" / "residents.parquet",
        truth_members=out_dir / "truth" / "members.parquet",
        residents=n_res,
        families=n_fam,
        member_rows=n_member_rows,
        register_rows=reg_rows,
    )
