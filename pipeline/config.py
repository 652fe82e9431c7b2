"""One typed configuration: every threshold, weight and rule the engine uses, with its unit.

Defaults are today's best values (../shared/domain.md); rules marked [U] there are settings here.
A TOML file overrides any subset: `load_config(path)`. The resolved config is written beside each
publication (`config.resolved.json`) and its hash goes in the manifest; `load_config` reads that JSON
back to the same `Config` (same digest).

The sections are pydantic dataclasses: types are checked when a config is built (from a file or in
code), unknown keys are errors, and `dataclasses.replace` / `dataclasses.asdict` keep working.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import tomllib
from dataclasses import field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, field_validator
from pydantic.dataclasses import dataclass as _pydantic_dataclass

from pipeline.errors import ConfigError
from pipeline.privacy import NIK_VISIBLE_DIGITS, check_visible_digits
from pipeline.reference import DEFAULT_REGION_CODES, region_code, region_codes

__all__ = [
    "Config",
    "IngestConfig",
    "LinkingConfig",
    "EligibilityConfig",
    "PriorityConfig",
    "CostConfig",
    "PublicationConfig",
    "ChecksConfig",
    "RegionConfig",
    "RegionCost",
    "WarehouseConfig",
    "load_config",
    "config_from_dict",
    "project_root",
]

# Strict types (no "0.9" for a number, no true for a count), unknown keys rejected.
_MODEL = ConfigDict(strict=True, extra="forbid")


def dataclass(cls: type | None = None, /, *, frozen: bool = True) -> Any:
    """A frozen pydantic dataclass with this module's validation settings."""
    def wrap(c: type) -> Any:
        model = _pydantic_dataclass(c, frozen=frozen, config=_MODEL)
        validate = model.__init__

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:  # noqa: N807 - the dataclass's own
            try:
                validate(self, *args, **kwargs)
            except ValidationError as exc:  # a bad value set in code is the same error as in a file
                raise ConfigError(f"{c.__name__}: " + "; ".join(_message(e) for e in exc.errors())) from None

        model.__init__ = __init__
        return model
    return wrap if cls is None else wrap(cls)


def _region_key(code: str) -> str:
    try:
        return region_code(code)
    except ConfigError as exc:
        raise ValueError(str(exc).removesuffix(f". {ConfigError.hint}.")) from exc


@dataclass
class IngestConfig:
    register_aliases: dict[str, list[str]] = field(default_factory=dict)
    """Extra header aliases for register fields, e.g. {"nik": ["NIK_ART"]}."""
    member_aliases: dict[str, list[str]] = field(default_factory=dict)
    """Extra header aliases for membership-export fields."""
    active_status_values: list[str] = field(
        default_factory=lambda: ["AKTIF", "AKTIV", "ACTIVE", "A", "1", "Y", "YA", "TRUE"])
    """Status values (after upper-casing and removing spaces/dashes) meaning an active membership."""
    inactive_status_values: list[str] = field(
        # "T" (tidak) and "Y" are what an AKTIF column holds; leaving, stopping and retirement end a membership
        # (a death is no lapse to re-enrol: it stays an unknown status, rejected for an officer to see).
        default_factory=lambda: ["NONAKTIF", "TIDAKAKTIF", "NA", "NONACTIVE", "INACTIVE", "N", "0", "PASIF", "T",
                                 "TIDAK", "FALSE", "KELUAR", "BERHENTI", "PENSIUN"]
    )
    """Status values (same normalisation) meaning a lapsed / non-active membership."""


@dataclass
class LinkingConfig:
    link_threshold: float = 0.50
    """Match probability (0-1) at or above which a pair is linked automatically: by default, when the
    pair is more likely the same person than not (the posterior is shared among a membership's
    candidates, so at most one can reach it)."""
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
    nik_date_floor_probability: float = 0.95
    """Probability (0-1) a pair keeps, at least, when its 16-digit NIK agrees exactly and its birth date
    agrees (or the export states none), however different the names look: a name alone cannot veto
    it. Only a better candidate lowers it (a resident whose name agrees and whose NIK is one typo away)."""
    other_region_max_probability: float = 0.45
    """Highest probability (0-1) a pair may have when the export states a valid NIK of another regency
    that is not within one typo of the resident's: someone else's identity, so review at most (it must
    stay below `link_threshold`)."""
    model_file: str = ""
    """A `model.json` of an earlier publication to reuse instead of training (`ucj run --model`);
    empty = estimate the weights from this run's data."""

    def __post_init__(self) -> None:
        if not 0.0 < self.review_threshold <= self.link_threshold <= 1.0:
            raise ConfigError("linking.review_threshold must be above 0 and at most linking.link_threshold (at most 1)")
        if not self.other_region_max_probability < self.link_threshold:
            raise ConfigError("linking.other_region_max_probability must stay below linking.link_threshold "
                              "(a NIK of another regency allows review, never a link)")


@dataclass
class EligibilityConfig:
    reference_date: Annotated[date | None, Field(strict=False)] = None
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
    reported_enrolment_grace_days: int = 60
    """Days (from the date an officer reports an enrolment in the portal) the person counts as covered
    while BPJS TK's export does not show the new KPJ yet; after that they are listed again, flagged
    "laporan terdaftar belum terkonfirmasi" [U: how long BPJS TK's exports lag behind]."""

    @field_validator("reference_date", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    def __post_init__(self) -> None:
        if not 0 <= self.min_age <= self.max_age:
            raise ConfigError(f"eligibility.min_age ({self.min_age}) must be between 0 and max_age ({self.max_age})")
        if not 1 <= self.pro_jkk_jkm_max_desil <= 10:
            raise ConfigError("eligibility.pro_jkk_jkm_max_desil must be a desil 1-10")
        if not 0 <= self.reported_enrolment_grace_days <= 366:
            raise ConfigError("eligibility.reported_enrolment_grace_days must be 0-366 days")
        if any(isinstance(c, bool) or not isinstance(c, int) for c in self.vulnerable_occupation_codes):
            raise ConfigError("eligibility.vulnerable_occupation_codes must be whole numbers (occupation codes 1-89)")


@dataclass
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


@dataclass
class RegionCost:
    """One kabupaten/kota's own scheme in `[cost.regions."PP.KK"]`; a setting left out is the default row's."""

    scheme: str | None = None
    """Name of the region's scheme paying JKK+JKM for vulnerable workers, e.g. "Pro JKK-JKM"."""
    bpu_monthly_rp: int | None = None
    """Contribution per BPU worker per month, Rp."""
    months_per_year: int | None = None
    """Months of coverage paid per year."""
    apbd_budget_rp: int | None = None
    """APBD amount (Rp per year) of the region's budget scenario."""


@dataclass
class CostConfig:
    scheme: str = "Pro JKK-JKM"
    """Name of the scheme through which the Pemda pays JKK+JKM for vulnerable workers (Kota Madiun's)."""
    bpu_monthly_rp: int = 16_800
    """Pro JKK-JKM contribution per BPU worker per month, Rp (JKK 1% of Rp 1,000,000 + JKM Rp 6,800)."""
    months_per_year: int = 12
    """Months of coverage paid per year."""
    apbd_budget_rp: int = 3_000_000_000
    """APBD amount (Rp per year) of the budget scenario each publication includes: how many new Pro
    JKK-JKM candidates it covers in rank order and what is left for CSR. Default: today's Pro JKK-JKM
    contributions, about Rp 3 bn a year (domain.md §0), as much again for new participants."""
    regions: dict[str, RegionCost] = field(default_factory=dict)
    """Per kabupaten/kota (key: its code, "35.19"): its own scheme, rate and budget. The settings above are
    the default row (Kota Madiun's values), used for every region not listed and every setting left out."""

    @field_validator("regions", mode="before")
    @classmethod
    def _region_codes(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for key, row in value.items():
            code = _region_key(key)
            if len(code) != 4:
                raise ValueError(f"cost.regions key {key!r} must be a kabupaten/kota code (PP.KK)")
            out[code] = row
        return out

    def __post_init__(self) -> None:
        for row in [self, *(self.for_region(code) for code in self.regions)]:
            if row.bpu_monthly_rp <= 0 or not 1 <= row.months_per_year <= 12:
                raise ConfigError("cost.bpu_monthly_rp must be positive and cost.months_per_year 1-12")
            if row.apbd_budget_rp < 0:
                raise ConfigError("cost.apbd_budget_rp must not be negative")

    @property
    def yearly_rp(self) -> int:
        """Contribution per worker per year, Rp (default row)."""
        return self.bpu_monthly_rp * self.months_per_year

    def for_region(self, code: str) -> CostConfig:
        """The cost row of one kabupaten/kota (or of the kabupaten/kota a longer code lies in)."""
        row = self.regions.get(code.replace(".", "")[:4])
        if row is None:
            return dataclasses.replace(self, regions={}) if self.regions else self
        own = {k: v for k, v in dataclasses.asdict(row).items() if v is not None}
        return dataclasses.replace(self, regions={}, **own)

    def yearly_rp_sql(self, code_expr: str) -> str:
        """SQL for the yearly contribution of a worker living in desa/kelurahan `code_expr` (a code column)."""
        cases = " ".join(f"WHEN '{code}' THEN {self.for_region(code).yearly_rp}" for code in sorted(self.regions))
        if not cases:
            return str(self.yearly_rp)
        return f"(CASE substr({code_expr}, 1, 4) {cases} ELSE {self.yearly_rp} END)"


@dataclass
class PublicationConfig:
    nik_visible_digits: int = NIK_VISIBLE_DIGITS
    """Digits of the NIK left visible in officer XLSX files (the rest replaced by '*'): 0-6, since
    digits 7-16 (birth date, serial) could be guessed back (pipeline/privacy.py)."""
    retention_days: int = 90
    """Days a dated publication is kept before it is deleted (UU PDP: no longer than needed)."""

    def __post_init__(self) -> None:
        try:
            check_visible_digits(self.nik_visible_digits)
        except ValueError as exc:
            raise ConfigError(f"publication.nik_visible_digits: {exc}") from None


@dataclass
class ChecksConfig:
    max_invalid_nik_share: float = 0.30
    """Blocking: largest share (0-1) of membership rows whose NIK is missing or unusable (real exports
    carry about a tenth without one; those rows are linked on name and birth date)."""
    max_excel_nik_share: float = 0.10
    """Blocking: largest share (0-1) of membership rows whose NIK Excel turned into a number (scientific
    notation, 16th digit lost): above it the NIK column was destroyed and a text export is needed."""
    max_reject_share: float = 0.05
    """Blocking: largest share (0-1) of input rows rejected."""
    max_uncovered_change: float = 0.25
    """Blocking: largest relative change (0-1) of the uncovered count against the last publication."""
    warn_uncovered_change: float = 0.05
    """Warning only: relative change of the uncovered count that is reported but does not block."""
    warn_review_share: float = 0.02
    """Warning only: share (0-1) of membership rows waiting for human review above which the model looks unsure."""


@dataclass
class RegionConfig:
    codes: list[str] = field(default_factory=lambda: list(DEFAULT_REGION_CODES))
    """Kemendagri codes of the regions the run covers ("35.77" a kabupaten/kota, "35" a whole province,
    "35.77.01" one kecamatan): who is a resident, whose desa/kelurahan get a workbook, what the report
    and the portal show. Stored without dots, sorted."""

    @field_validator("codes", mode="after")
    @classmethod
    def _known_codes(cls, value: list[str]) -> list[str]:
        try:
            return list(region_codes(value))
        except ConfigError as exc:
            raise ValueError(str(exc).removesuffix(f". {ConfigError.hint}.")) from exc


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*", re.IGNORECASE)
_SHARE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%\s*")


@dataclass
class WarehouseConfig:
    """How much of the machine DuckDB may use (resources, not rules): above `memory_limit` it writes
    intermediate data (sorts, joins, aggregates) and evicted tables to `temp_directory`."""

    memory_limit: str = "60%"
    """Memory DuckDB may use: a share of the machine's RAM ("60%") or a size ("16GB", "512MiB"; KB, MB, GB,
    TB count in 1000s, KiB, MiB, GiB, TiB in 1024s). Default 60%: on a 24 GB machine about 14 GB, leaving the
    rest to the Python side (RapidFuzz scoring batches, workbooks, the report) and the file cache (DuckDB's
    own default is 80%)."""
    temp_directory: str = "data/warehouse/spill"
    """Folder DuckDB spills to when a query needs more than `memory_limit`; relative to the project folder
    ($UCJ_HOME, else the checkout). DuckDB names its files by process, so runs and evaluations may share
    the folder, and removes them when the connection closes (a killed process leaves its own: `make clean`)."""
    max_temp_directory_size: str = ""
    """Largest total size of the spill files ("200GB"); empty = DuckDB's default, 90% of the disk space
    free when the warehouse opens. A query needing more fails instead of filling the disk."""
    threads: int = 0
    """Threads DuckDB runs a query on; 0 = one per core of the machine."""

    @field_validator("memory_limit", mode="after")
    @classmethod
    def _memory(cls, value: str) -> str:
        share = _SHARE.fullmatch(value)
        if share and 0 < float(share.group(1)) <= 100:
            return value.strip()
        if not share and _size(value):
            return value.strip()
        raise ValueError(f"warehouse.memory_limit must be a share of RAM (up to 100%) or a size such as '16GB', "
                         f"got {value!r}")

    @field_validator("max_temp_directory_size", mode="after")
    @classmethod
    def _spill_size(cls, value: str) -> str:
        if value.strip() and not _size(value):
            raise ValueError(f"warehouse.max_temp_directory_size must be a size such as '200GB' or empty, "
                             f"got {value!r}")
        return value.strip()

    def __post_init__(self) -> None:
        if not self.temp_directory.strip():
            raise ConfigError("warehouse.temp_directory must name a folder")
        if self.threads < 0:
            raise ConfigError("warehouse.threads must be 0 (every core) or a number of threads")

    def temp_path(self, root: Path) -> Path:
        """`temp_directory` as an absolute folder, a relative one taken from `root` (the project folder)."""
        path = Path(self.temp_directory).expanduser()
        return path if path.is_absolute() else Path(root) / path

    def options(self, root: Path) -> dict[str, Any]:
        """Keyword arguments of `pipeline.warehouse.connect` for these settings."""
        return {"memory_limit": self.memory_limit, "temp_directory": self.temp_path(root),
                "max_temp_directory_size": self.max_temp_directory_size or None, "threads": self.threads or None}


@dataclass
class EngineConfig:
    """Where the linking stage runs (resources, not rules: the same links either way). DuckDB, embedded,
    is the default; Apache Spark, local or a cluster's, for more regions than one machine holds
    (`pipeline.linking.spark`). Ingest, decisions and the publication stay in the DuckDB warehouse."""

    backend: str = "duckdb"
    """"duckdb" or "spark"."""
    spark_master: str = "local[2]"
    """Spark master URL when `spark_remote` is empty: "local[2]" (this machine, 2 cores), "spark://host:7077",
    "yarn", "k8s://https://host:443"."""
    spark_remote: str = ""
    """A Spark Connect address ("sc://host:15002"): the session then runs on that server's cluster."""
    spark_work_dir: str = "data/warehouse/spark"
    """Folder or URI the Spark tables of a run are written to (Parquet); on a cluster a shared one
    ("hdfs://...", "s3a://..."). A relative folder is taken from the project folder."""
    spark_conf: dict[str, str] = field(default_factory=dict)
    """More Spark settings for the session, e.g. {"spark.executor.memory" = "8g"}."""

    def __post_init__(self) -> None:
        if self.backend not in ("duckdb", "spark"):
            raise ConfigError(f"engine.backend must be 'duckdb' or 'spark', got {self.backend!r}")
        if not self.spark_work_dir.strip():
            raise ConfigError("engine.spark_work_dir must name a folder or URI")
        on_cluster = bool(self.spark_remote) or not self.spark_master.startswith("local")
        if self.backend == "spark" and on_cluster and "://" not in self.spark_work_dir:
            raise ConfigError("engine.spark_work_dir must be storage every Spark node reaches (hdfs://, s3a://, "
                              f"abfss://, ...) when Spark runs on a cluster, got {self.spark_work_dir!r}")

    def work_dir(self, root: Path) -> str:
        """`spark_work_dir` as a URI or absolute folder, a relative folder taken from `root`."""
        if "://" in self.spark_work_dir:
            return self.spark_work_dir
        path = Path(self.spark_work_dir).expanduser()
        return str(path if path.is_absolute() else Path(root) / path)


def _size(value: str) -> bool:
    """A positive size DuckDB reads ("16GB", "512MiB")."""
    match = _SIZE.fullmatch(value)
    return bool(match) and float(match.group(1)) > 0


def project_root() -> Path:
    """The folder relative settings are taken from (data/ lives there): $UCJ_HOME, else the checkout."""
    return Path(os.environ.get("UCJ_HOME") or Path(__file__).resolve().parents[1])


@dataclass
class Config:
    region: RegionConfig = field(default_factory=RegionConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    linking: LinkingConfig = field(default_factory=LinkingConfig)
    eligibility: EligibilityConfig = field(default_factory=EligibilityConfig)
    priority: PriorityConfig = field(default_factory=PriorityConfig)
    cost: CostConfig = field(default_factory=CostConfig)
    publication: PublicationConfig = field(default_factory=PublicationConfig)
    checks: ChecksConfig = field(default_factory=ChecksConfig)
    warehouse: WarehouseConfig = field(default_factory=WarehouseConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)

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


_ADAPTER: TypeAdapter[Config] | None = None


def _adapter() -> TypeAdapter[Config]:
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(Config)
    return _ADAPTER


def _known(loc: tuple[Any, ...]) -> list[str]:
    """Setting names of the section at `loc`."""
    cls: Any = Config
    for part in loc:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if part not in fields:
            return []
        default = getattr(cls(), part)
        if not dataclasses.is_dataclass(default):
            return []
        cls = type(default)
    return sorted(f.name for f in dataclasses.fields(cls))


def _message(error: dict[str, Any]) -> str:
    """One pydantic error as the user reads it: where, what was expected, what was given."""
    loc = tuple(str(p) for p in error["loc"])
    where = ".".join(loc)
    kind, given = error["type"], error.get("input")
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        section = ".".join(loc[:-1])
        return f"unknown setting [{section}] {loc[-1]!r}; known: {', '.join(_known(loc[:-1]))}"
    if kind == "json_invalid":
        return f"unreadable settings: {error['msg']}"
    if kind.startswith("date") or loc[-1:] == ("reference_date",):
        return f"{where} must be a date YYYY-MM-DD, got {given!r}"
    if kind.startswith("int"):
        return f"{where} must be a whole number, got {given!r}"
    if kind.startswith("float"):
        return f"{where} must be a number, got {given!r}"
    if kind in ("dict_type", "dataclass_type", "dataclass_exact_type", "model_type"):
        return f"[{where}] must be a table"
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    return f"{where}: {error['msg']}, got {given!r}"


def config_from_dict(values: dict[str, Any], source: str = "config") -> Config:
    """A `Config` from nested plain values (a TOML file, or a publication's `config.resolved.json`)."""
    try:
        # JSON mode: tables become sections and ISO dates dates, while types stay strict.
        return _adapter().validate_json(json.dumps(values, default=str))
    except ValidationError as exc:
        problems = [_message(e) for e in exc.errors()]
        raise ConfigError(f"{source}: " + "; ".join(problems)) from None


def load_config(path: Path | None = None) -> Config:
    """Defaults overridden by the TOML file at `path` (if given); a `.json` file is read as a publication's
    `config.resolved.json` (the settings a run used, loaded back unchanged)."""
    if path is None:
        return Config()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        values = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    if not isinstance(values, dict):
        raise ConfigError(f"cannot read config file {path}: not a table of settings")
    return config_from_dict(values, str(path))
