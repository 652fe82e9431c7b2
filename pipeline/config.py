"""One typed configuration: every threshold, weight and rule the engine uses, with its unit.

Defaults are today's best values (../shared/domain.md); rules marked [U] there are settings here.
A TOML file overrides any subset: `load_config(path)`. The resolved config is written beside each
publication (`config.resolved.json`) and its hash goes in the manifest.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

__all__ = [
    "Config",
    "IngestConfig",
    "LinkingConfig",
    "EligibilityConfig",
    "PriorityConfig",
    "CostConfig",
    "PublicationConfig",
    "ChecksConfig",
    "load_config",
]


@dataclass(frozen=True)
class IngestConfig:
    register_aliases: dict[str, list[str]] = field(default_factory=dict)
    """Extra header aliases for register fields, e.g. {"nik": ["NIK_ART"]}."""
    member_aliases: dict[str, list[str]] = field(default_factory=dict)
    """Extra header aliases for membership-export fields."""
    active_status_values: list[str] = field(default_factory=lambda: ["AKTIF", "AKTIV", "ACTIVE", "A", "1", "Y"])
    """Status values (after upper-casing and removing spaces/dashes) meaning an active membership."""
    inactive_status_values: list[str] = field(
        default_factory=lambda: ["NONAKTIF", "TIDAKAKTIF", "NA", "NONACTIVE", "INACTIVE", "N", "0", "PASIF"]
    )
    """Status values (same normalisation) meaning a lapsed / non-active membership."""


@dataclass(frozen=True)
class LinkingConfig:
    link_threshold: float = 0.70
    """Match probability (0-1) at or above which a pair is linked automatically."""
    review_threshold: float = 0.20
    """Match probability (0-1) at or above which a pair that is not linked goes to human review."""
    name_tf_cap_bits: float = 4.0
    """Largest bonus (log2) the term-frequency adjustment may add for a rare name."""
    em_max_iterations: int = 200
    """Upper bound on EM iterations when estimating m-probabilities."""
    em_tolerance: float = 1e-6
    """EM stops when no m-probability moves more than this."""
    u_sample_pairs: int = 500_000
    """Random register x member pairs drawn to estimate u-probabilities."""
    training_sample_members: int = 10_000
    """About how many memberships are paired with everyone born the same day, so the model learns what
    non-matches look like (more is slower and, beyond ~10,000, no better)."""
    seed: int = 42
    """Seed of the random sample for u-probabilities (keeps outputs deterministic)."""


@dataclass(frozen=True)
class EligibilityConfig:
    reference_date: date | None = None
    """Date at which ages are computed; empty = the run date (Asia/Jakarta)."""
    min_age: int = 18
    """Youngest age (completed years on the reference date, inclusive) for the candidate list
    [U: Madiun BPU criterion 18-65]."""
    max_age: int = 65
    """Oldest age (completed years on the reference date, inclusive): a person is in scope until the
    day before their 66th birthday."""
    pro_jkk_jkm_max_desil: int = 5
    """Highest DTSEN desil eligible for Pro JKK-JKM [U: desil 1-5 assumed to replace 'in DTKS']."""
    occupation_groups: dict[str, str] = field(default_factory=dict)
    """Overrides of an occupation's group by code, e.g. {"2": "informal"} to treat housewives as
    informal workers. Groups: informal, formal, other_scheme, not_working."""
    vulnerable_occupation_codes: list[int] = field(default_factory=lambda: [18])
    """Occupation codes counted as vulnerable work for Pro JKK-JKM although their group is formal
    [U: Perda 7/2023 covers the Pemkot's non-ASN staff; domain.md §7 lists 18 KARYAWAN HONORER]."""
    lapsed_in_pro_jkk_jkm: bool = True
    """A lapsed (NON AKTIF) worker who meets the Pro JKK-JKM rules goes to the Pro JKK-JKM track (the
    city pays from now on); false sends them to reactivation [U: policy, domain.md §4.5]."""

    def __post_init__(self) -> None:
        if not 0 <= self.min_age <= self.max_age:
            raise ConfigError(f"eligibility.min_age ({self.min_age}) must be between 0 and max_age ({self.max_age})")
        if not 1 <= self.pro_jkk_jkm_max_desil <= 10:
            raise ConfigError("eligibility.pro_jkk_jkm_max_desil must be a desil 1-10")
        if any(isinstance(c, bool) or not isinstance(c, int) for c in self.vulnerable_occupation_codes):
            raise ConfigError("eligibility.vulnerable_occupation_codes must be whole numbers (occupation codes 1-89)")


@dataclass(frozen=True)
class PriorityConfig:
    desil_weight: float = 10.0
    """Points per desil below 11 (desil 1 -> 100, desil 10 -> 10)."""
    work_risk_weight: float = 8.0
    """Points per work-risk level of the occupation (0-3)."""
    breadwinner_points: float = 15.0
    """Points for the head of the family (SHDK KEPALA KELUARGA)."""
    school_child_points: float = 10.0
    """Points per school-age child (6-23) in the family, counted for at most two children (the JKM
    scholarship covers two)."""
    school_age_min: int = 6
    """Youngest school age (years)."""
    school_age_max: int = 23
    """Oldest age at which the scholarship is paid (years)."""
    age_points_per_year_over_40: float = 0.5
    """Points per year of age above 40 (older informal workers have fewer alternatives)."""

    def __post_init__(self) -> None:
        if not 0 <= self.school_age_min <= self.school_age_max:
            raise ConfigError("priority.school_age_min must be between 0 and priority.school_age_max")


@dataclass(frozen=True)
class CostConfig:
    bpu_monthly_rp: int = 16_800
    """Pro JKK-JKM contribution per BPU worker per month, Rp (JKK 1% of Rp 1,000,000 + JKM Rp 6,800)."""
    months_per_year: int = 12
    """Months of coverage paid per year."""
    apbd_budget_rp: int = 3_000_000_000
    """APBD amount (Rp per year) of the budget scenario each publication includes: how many new Pro
    JKK-JKM candidates it covers in rank order and what is left for CSR. Default: today's Pro JKK-JKM
    contributions, about Rp 3 bn a year (domain.md §0), as much again for new participants."""

    def __post_init__(self) -> None:
        if self.bpu_monthly_rp <= 0 or not 1 <= self.months_per_year <= 12:
            raise ConfigError("cost.bpu_monthly_rp must be positive and cost.months_per_year 1-12")
        if self.apbd_budget_rp < 0:
            raise ConfigError("cost.apbd_budget_rp must not be negative")

    @property
    def yearly_rp(self) -> int:
        """Contribution per worker per year, Rp."""
        return self.bpu_monthly_rp * self.months_per_year


@dataclass(frozen=True)
class PublicationConfig:
    nik_visible_digits: int = 12
    """Digits of the NIK left visible in officer XLSX files (the rest replaced by '*')."""
    retention_days: int = 90
    """Days a dated publication is kept before it is deleted (UU PDP: no longer than needed)."""


@dataclass(frozen=True)
class ChecksConfig:
    max_invalid_nik_share: float = 0.10
    """Blocking: largest share (0-1) of membership rows whose NIK is missing or unusable."""
    max_reject_share: float = 0.05
    """Blocking: largest share (0-1) of input rows rejected."""
    max_uncovered_change: float = 0.25
    """Blocking: largest relative change (0-1) of the uncovered count against the last publication."""
    warn_uncovered_change: float = 0.05
    """Warning only: relative change of the uncovered count that is reported but does not block."""


@dataclass(frozen=True)
class Config:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    linking: LinkingConfig = field(default_factory=LinkingConfig)
    eligibility: EligibilityConfig = field(default_factory=EligibilityConfig)
    priority: PriorityConfig = field(default_factory=PriorityConfig)
    cost: CostConfig = field(default_factory=CostConfig)
    publication: PublicationConfig = field(default_factory=PublicationConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)

    def resolved(self, run_date: date) -> Config:
        """The config with every 'empty = derived' value filled in for one run."""
        if self.eligibility.reference_date is not None:
            return self
        return dataclasses.replace(
            self, eligibility=dataclasses.replace(self.eligibility, reference_date=run_date)
        )

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self), default=str, sort_keys=True))

    def digest(self) -> str:
        """SHA-256 of the canonical JSON form, recorded in manifests."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _build(cls: type, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"unknown setting [{where}] {key!r}; known: {', '.join(sorted(known))}")
        default = getattr(cls(), key)
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"[{where}.{key}] must be a table")
            kwargs[key] = _build(type(default), value, f"{where}.{key}" if where else key)
            continue
        kwargs[key] = _coerce(value, default, f"{where}.{key}")
    return cls(**kwargs)


def _coerce(value: Any, default: Any, where: str) -> Any:
    if where.endswith("reference_date"):
        if value in ("", None):
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise ConfigError(f"{where} must be a date YYYY-MM-DD, got {value!r}") from exc
    if isinstance(default, (bool, dict, list, str)):
        if not isinstance(value, type(default)):
            raise ConfigError(f"{where} must be a {type(default).__name__}, got {value!r}")
        return value
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where} must be a whole number, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number, got {value!r}")
        return float(value)
    return value


def load_config(path: Path | None = None) -> Config:
    """Defaults overridden by the TOML file at `path` (if given)."""
    if path is None:
        return Config()
    try:
        values = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    return _build(Config, values, "")
