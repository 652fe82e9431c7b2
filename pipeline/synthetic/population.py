"""Families and people of the synthetic city: household structure, sex, age, birth dates,
region of first NIK registration and family address (domain.md §1, §2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from pipeline.reference import KELURAHAN, Kelurahan, desa_kelurahan_of

from .days import to_days, ymd
from .regions import MADIUN_KECAMATAN_CODES, STREETS, draw_outside_regions

__all__ = ["People", "Families", "make_city", "make_outsiders", "age_at", "birth_from_age"]

# SHDK codes (pipeline.reference.SHDK) and their order inside a family listing.
HEAD, HUSBAND, WIFE, CHILD, IN_LAW, GRANDCHILD, PARENT, PARENT_IN_LAW, OTHER = 1, 2, 3, 4, 5, 6, 7, 8, 9
_ROLE_ORDER = np.array([0, 0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 7])  # indexed by SHDK code

_HEAD_BANDS = np.array([2, 6, 9, 11, 12, 12, 11, 10, 8, 6, 4.5, 3, 1.8, 0.8, 0.3])  # 20-24 ... 90-94
_CHILD_PROBS = np.array(
    [  # rows: younger parent age band; columns: 0..4 children at home
        [0.45, 0.40, 0.13, 0.02, 0.00],  # < 25
        [0.15, 0.35, 0.35, 0.12, 0.03],  # 25-34
        [0.07, 0.22, 0.40, 0.23, 0.08],  # 35-44
        [0.10, 0.25, 0.35, 0.20, 0.10],  # 45-54
        [0.35, 0.35, 0.20, 0.08, 0.02],  # 55-64
        [0.65, 0.25, 0.08, 0.02, 0.00],  # 65+
    ]
)


@dataclass
class People:
    """One entry per person (arrays of equal length)."""

    family: np.ndarray  # int64 family index, -1 for people outside the register
    role: np.ndarray  # int64 SHDK code, 0 outside the register
    female: np.ndarray  # bool
    birth: np.ndarray  # int64 day number of the (stated) birth date
    nik_birth: np.ndarray  # int64 day number encoded in the NIK (differs for ~1%)
    region6: np.ndarray  # int64 kecamatan code of first NIK registration
    age: np.ndarray  # int64 completed years at the reference date


@dataclass
class Families:
    """One entry per family (KK)."""

    kelurahan: np.ndarray  # int64 index into pipeline.reference.KELURAHAN
    kecamatan6: np.ndarray  # int64 6-digit kecamatan code
    rt: np.ndarray  # int64
    rw: np.ndarray  # int64
    address: list[str]
    kk_days: np.ndarray  # int64 day number of the KK recording date
    places: tuple[Kelurahan, ...] = ()  # what `kelurahan` indexes; () = Kota Madiun's KELURAHAN


def age_at(birth: np.ndarray, ref_days: int) -> np.ndarray:
    """Completed years between birth day numbers and the reference day."""
    by, bm, bd = ymd(birth)
    ry, rm, rd = (int(v[0]) for v in ymd(np.array([ref_days])))
    return ry - by - ((bm > rm) | ((bm == rm) & (bd > rd))).astype("int64")


def birth_from_age(rng: np.random.Generator, age: np.ndarray, ref_days: int) -> np.ndarray:
    """A birth day for each completed age, uniform within the year of age (kept two days away
    from the birthdays so that the completed age at `ref_days` is exactly `age`)."""
    offset = np.floor(np.asarray(age) * 365.2425) + 2 + rng.random(len(age)) * 361
    return ref_days - offset.astype("int64")


def _band_draw(rng: np.random.Generator, n: int, weights: np.ndarray, lo: int, width: int) -> np.ndarray:
    band = rng.choice(len(weights), size=n, p=weights / weights.sum())
    return lo + band * width + rng.integers(0, width, size=n)


def _family_members(rng: np.random.Generator, n_fam: int) -> tuple[np.ndarray, ...]:
    """(family, role, female, age) of every member, unordered."""
    h_age = np.minimum(_band_draw(rng, n_fam, _HEAD_BANDS, 20, 5), 95)
    p_fem = np.where(h_age < 40, 0.08, np.where(h_age < 60, 0.14, 0.30))
    h_fem = rng.random(n_fam) < p_fem
    p_sp = np.where(h_fem, 0.12, np.where(h_age < 60, 0.92, np.where(h_age < 70, 0.80, 0.65)))
    has_sp = rng.random(n_fam) < p_sp
    gap = np.clip(np.rint(rng.normal(4, 3.5, n_fam)), -8, 15).astype("int64")
    sp_age = np.clip(np.where(h_fem, h_age + np.abs(gap), h_age - gap), 18, 95)
    young = np.where(has_sp, np.minimum(h_age, sp_age), h_age)
    old = np.where(has_sp, np.maximum(h_age, sp_age), h_age)
    band = np.digitize(young, [25, 35, 45, 55, 65])
    cum = _CHILD_PROBS.cumsum(axis=1)[band]
    n_child = (rng.random(n_fam)[:, None] > cum).sum(axis=1)
    lo, hi = np.maximum(old - 44, 0), np.minimum(young - 19, 40)  # gaps stay within 18-45 years
    n_child = np.where(hi < lo, 0, n_child)
    c_fam = np.repeat(np.arange(n_fam), n_child)
    c_age = young[c_fam] - (20 + rng.gamma(2.5, 3.5, len(c_fam))).astype("int64")
    c_age = np.where(c_age < 0, (rng.random(len(c_fam)) * (hi[c_fam] + 1)).astype("int64"), c_age)
    c_age = np.clip(c_age, lo[c_fam], hi[c_fam])
    # Parents (in-law), grandchildren, children-in-law, other relatives.
    has_par = (rng.random(n_fam) < 0.06) & (h_age <= 70)
    par_age = np.minimum(h_age + rng.integers(20, 36, n_fam), 95)
    n_cucu = np.where((h_age >= 45) & (rng.random(n_fam) < 0.12), rng.integers(1, 3, n_fam), 0)
    cu_fam = np.repeat(np.arange(n_fam), n_cucu)
    cu_age = (rng.random(len(cu_fam)) * (np.minimum(h_age[cu_fam] - 40, 16))).astype("int64")
    has_mnt = (h_age >= 50) & (rng.random(n_fam) < 0.03)
    has_oth = rng.random(n_fam) < 0.03
    fam_idx = np.arange(n_fam)
    parts = [
        (fam_idx, np.full(n_fam, HEAD), h_fem, h_age),
        (fam_idx[has_sp], np.where(h_fem, HUSBAND, WIFE)[has_sp], ~h_fem[has_sp], sp_age[has_sp]),
        (c_fam, np.full(len(c_fam), CHILD), rng.random(len(c_fam)) < 0.49, c_age),
        (
            fam_idx[has_par],
            np.where(rng.random(n_fam) < 0.6, PARENT, PARENT_IN_LAW)[has_par],
            rng.random(has_par.sum()) < 0.7,
            par_age[has_par],
        ),
        (cu_fam, np.full(len(cu_fam), GRANDCHILD), rng.random(len(cu_fam)) < 0.49, cu_age),
        (
            fam_idx[has_mnt],
            np.full(has_mnt.sum(), IN_LAW),
            rng.random(has_mnt.sum()) < 0.5,
            h_age[has_mnt] - rng.integers(22, 32, has_mnt.sum()),
        ),
        (
            fam_idx[has_oth],
            np.full(has_oth.sum(), OTHER),
            rng.random(has_oth.sum()) < 0.55,
            rng.integers(5, 71, has_oth.sum()),
        ),
    ]
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


def _nik_regions(rng: np.random.Generator, role: np.ndarray, home6: np.ndarray) -> np.ndarray:
    """Kecamatan of first registration: mostly the home kecamatan, ~8% from outside the city."""
    p_out = np.select(
        [
            role == HEAD,
            (role == WIFE) | (role == HUSBAND),
            (role == PARENT) | (role == PARENT_IN_LAW),
            (role == OTHER) | (role == IN_LAW),
        ],
        [0.11, 0.15, 0.20, 0.25],
        0.025,
    )
    n = len(role)
    other_madiun = np.array(MADIUN_KECAMATAN_CODES, dtype="int64")[rng.integers(0, 3, n)]
    region = np.where(rng.random(n) < 0.10, other_madiun, home6)
    outside = rng.random(n) < p_out
    region[outside] = draw_outside_regions(rng, int(outside.sum()))
    return region


def _kecamatan_of(kabupaten: int) -> np.ndarray:
    """6-digit codes (int64) of every kecamatan of a kabupaten/kota, from the reference."""
    return np.array(sorted({int(k.kecamatan_code) for k in desa_kelurahan_of([str(kabupaten)])}), dtype="int64")


def _nik_regions_anywhere(rng: np.random.Generator, role: np.ndarray, home6: np.ndarray,
                          partners: tuple[int, ...]) -> np.ndarray:
    """`_nik_regions` for any kabupaten/kota: another kecamatan of the same one for ~10%; from
    outside at the same rates, a third of those from the other kabupaten/kota of the run
    (`partners`), so that a run on several regions has people who moved between them."""
    p_out = np.select(
        [role == HEAD, (role == WIFE) | (role == HUSBAND), (role == PARENT) | (role == PARENT_IN_LAW),
         (role == OTHER) | (role == IN_LAW)],
        [0.11, 0.15, 0.20, 0.25],
        0.025,
    )
    n = len(role)
    region = home6.copy()
    same = rng.random(n) < 0.10
    for kab in np.unique(home6 // 100).tolist():
        kecs = _kecamatan_of(kab)
        pick = same & (home6 // 100 == kab)
        region[pick] = kecs[rng.integers(0, len(kecs), int(pick.sum()))]
    outside = rng.random(n) < p_out
    region[outside] = draw_outside_regions(rng, int(outside.sum()))
    moved = outside & (rng.random(n) < 1 / 3)
    for kab in np.unique(home6 // 100).tolist():
        others = [p for p in partners if p != kab]
        pick = np.flatnonzero(moved & (home6 // 100 == kab))
        if not others or not len(pick):
            continue
        origin = np.array(others, dtype="int64")[rng.integers(0, len(others), len(pick))]
        for code in np.unique(origin).tolist():
            kecs = _kecamatan_of(code)
            rows = pick[origin == code]
            region[rows] = kecs[rng.integers(0, len(kecs), len(rows))]
    return region


def _addresses(rng: np.random.Generator, n_fam: int, kel: np.ndarray, n_places: int = len(KELURAHAN)) -> list[str]:
    n_st = len(STREETS)
    kel_streets = np.array([rng.choice(n_st, size=8, replace=False) for _ in range(n_places)])
    street = kel_streets[kel, rng.integers(0, 8, n_fam)]
    no = rng.integers(1, 180, n_fam)
    suffix = np.where(rng.random(n_fam) < 0.08, rng.integers(0, 3, n_fam), -1)
    style = rng.random(n_fam)
    gang = rng.integers(1, 9, n_fam)
    out = []
    for s, h, sx, st, g in zip(
        street.tolist(), no.tolist(), suffix.tolist(), style.tolist(), gang.tolist(), strict=True
    ):
        num = f"{h}{'ABC'[sx]}" if sx >= 0 else str(h)
        if st < 0.82:
            out.append(f"{STREETS[s]} NO. {num}")
        elif st < 0.92:
            out.append(f"{STREETS[s]} GG. {g} NO. {num}")
        else:
            out.append(f"{STREETS[s]} {num}")
    return out


def make_city(rng: np.random.Generator, n_fam: int, ref_days: int, dob_correction: float,
              places: tuple[Kelurahan, ...] = (), place_weights: np.ndarray | None = None,
              partners: tuple[int, ...] = ()) -> tuple[Families, People]:
    """Generate `n_fam` families over the 27 kelurahan (or over `places`, any desa/kelurahan, each
    weighted by `place_weights` on top of its own random size) and their members, ordered by
    kelurahan, RW, RT, family and position in the family (head first). `partners`: the kabupaten/kota
    codes of the whole run, where some residents' NIKs were first issued."""
    anywhere = bool(places)
    places = places or KELURAHAN
    weights = rng.lognormal(0.0, 0.35, len(places))
    if place_weights is not None:
        weights = weights * place_weights
    kel = np.sort(rng.choice(len(places), size=n_fam, p=weights / weights.sum()))
    n_rw = rng.integers(4, 9, len(places))
    n_rt = rng.integers(8, 16, len(places))
    rw = (rng.random(n_fam) * n_rw[kel]).astype("int64") + 1
    rt = (rng.random(n_fam) * n_rt[kel]).astype("int64") + 1
    fam_order = np.lexsort((rt, rw, kel))
    kel, rw, rt = kel[fam_order], rw[fam_order], rt[fam_order]
    kec6 = np.array([int(k.kecamatan_code) for k in places], dtype="int64")[kel]
    family, role, female, age = _family_members(rng, n_fam)
    order = np.lexsort((-age, _ROLE_ORDER[role], family))
    family, role, female, age = family[order], role[order], female[order], age[order]
    birth = birth_from_age(rng, age, ref_days)
    nik_birth = birth.copy()
    fix = rng.random(len(birth)) < dob_correction
    shift = np.where(rng.random(len(birth)) < 0.7, rng.integers(1, 31, len(birth)), 365)
    nik_birth[fix] = (birth + np.where(rng.random(len(birth)) < 0.5, -shift, shift))[fix]
    if anywhere:
        region6 = _nik_regions_anywhere(rng, role, kec6[family], partners)
    else:
        region6 = _nik_regions(rng, role, kec6[family])
    head_birth = birth[role == HEAD]
    lo = np.maximum(to_days(date(2005, 1, 1)), head_birth + 20 * 365)
    hi = min(to_days(date(2025, 12, 31)), ref_days - 1)
    kk_days = lo + (rng.random(n_fam) * np.maximum(hi - lo, 1)).astype("int64")
    fams = Families(kel, kec6, rt, rw, _addresses(rng, n_fam, kel, len(places)), kk_days,
                    places if anywhere else ())
    people = People(family, role, female, birth, nik_birth, region6, age_at(birth, ref_days))
    return fams, people


def make_outsiders(rng: np.random.Generator, n: int, ref_days: int, home_kecamatan: tuple[int, ...] = ()) -> People:
    """Workers registered with BPJS TK who do not live in the city (not in the register); 5% carry
    a NIK first issued in the city (or in `home_kecamatan`, the regions generated) and moved away."""
    age = np.clip(np.rint(rng.normal(36, 10, n)), 18, 62).astype("int64")
    birth = birth_from_age(rng, age, ref_days)
    region = draw_outside_regions(rng, n)
    madiun = rng.random(n) < 0.05
    home = home_kecamatan or MADIUN_KECAMATAN_CODES
    region[madiun] = np.array(home, dtype="int64")[rng.integers(0, len(home), int(madiun.sum()))]
    female = rng.random(n) < 0.42
    return People(
        np.full(n, -1), np.zeros(n, dtype="int64"), female, birth, birth.copy(), region, age_at(birth, ref_days)
    )
