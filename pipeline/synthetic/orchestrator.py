"""Orchestration: build the synthetic city, its BPJS TK memberships, and write every file."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from .days import to_days, ymd
from .exports import MemberPeople, write_members
from .identifiers import assign_kks, assign_niks
from .membership import build_rows, draw_outsider_states, draw_states, merge_rows, true_status
from .naming import PersonNames, copy_namesakes, make_names
from .occupations import draw_desil, draw_occupations
from .population import HEAD, age_at, make_city, make_outsiders
from .profiles import get_profile
from .register import REGISTER_FILE, RegisterInput, write_register

__all__ = ["GeneratedFiles", "generate", "FAMILIES_PER_SCALE", "OUTSIDER_SHARE"]

log = logging.getLogger(__name__)

FAMILIES_PER_SCALE = 59_000  # families at scale 1.0 (about 201,000 residents)
OUTSIDER_SHARE = 0.13  # share of membership rows held by people outside the register
COMMON_NAME_MIN = 20  # a name is "common" when at least this many people of the city carry it


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


def _concat_names(a: PersonNames, b: PersonNames) -> PersonNames:
    return PersonNames(
        np.concatenate([a.modern, b.modern]),
        np.concatenate([a.registered, b.registered]),
        np.concatenate([a.old_spelling, b.old_spelling]),
    )


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
    prof = get_profile(profile)
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    (out_dir / "truth").mkdir(parents=True, exist_ok=True)
    ref = to_days(reference_date)
    rng = _streams(seed)

    def step(msg: str) -> None:
        log.info(msg)
        if progress is not None:
            progress(msg)

    n_fam = max(1, round(FAMILIES_PER_SCALE * scale))
    step(f"population: {n_fam} families")
    fams, people = make_city(rng["city"], n_fam, ref, prof.register_dob_correction)
    n_res = len(people.family)
    occ = draw_occupations(rng["occupation"], people.age, people.female)
    desil = draw_desil(rng["occupation"], occ[people.role == HEAD], np.bincount(people.family, minlength=n_fam))
    names = make_names(rng["names"], people.female, ymd(people.birth)[0], prof.zipf_exponent)

    step(f"membership: {n_res} residents")
    state = draw_states(rng["membership"], occ, people.age, people.female, desil[people.family])
    res_rows = build_rows(rng["membership"], state, occ, people.birth, ref)
    n_out = max(1, round(len(res_rows.person) * OUTSIDER_SHARE / (1 - OUTSIDER_SHARE)))
    out = make_outsiders(rng["outsiders"], n_out, ref)
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
    rows = merge_rows(rng["membership"], [(res_rows, 0), (out_rows, n_res)])

    step("identifiers: NIK and No. KK")
    nik = assign_niks(
        np.r_[people.region6, out.region6],
        np.r_[people.nik_birth, out.nik_birth],
        np.r_[people.female, out.female],
        rng["ids"],
    )
    kk = assign_kks(fams.kecamatan6, fams.kk_days, rng["ids"], nik)
    out_kk_days = ref - rng["ids"].integers(200, 7000, n_out)
    out_kk = assign_kks(out.region6, out_kk_days, rng["ids"], np.r_[nik, kk])
    status = true_status(rows, n_res)

    step("writing register")
    reg_rows = write_register(
        out_dir / REGISTER_FILE,
        out_dir / "truth" / "residents.parquet",
        RegisterInput(fams, people, names.registered, occ, desil, nik[:n_res], kk, status),
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
        register=out_dir / REGISTER_FILE,
        members=(xlsx, csv_path),
        truth_residents=out_dir / "truth" / "residents.parquet",
        truth_members=out_dir / "truth" / "members.parquet",
        residents=n_res,
        families=n_fam,
        member_rows=n_member_rows,
        register_rows=reg_rows,
    )
