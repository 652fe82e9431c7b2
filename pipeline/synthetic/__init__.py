"""Seeded, deterministic synthetic Kota Madiun: a DTSEN register extract, BPJS Ketenagakerjaan
membership exports with realistic errors, and the ground truth to score linking against.

Entry point: `generate(out_dir, scale=1.0, seed=1, profile="standard")` ("standard", "hard" or "wild").
"""

from __future__ import annotations

from .exports import CSV_FILE, CSV_HEADER, XLSX_FILE, XLSX_HEADER
from .orchestrator import GeneratedFiles, RegionPlan, generate, generate_regions, plan_regions
from .profiles import HARD, PROFILE_NAMES, STANDARD, WILD, Profile, error_families, get_profile
from .register import REGISTER_FILE, REGISTER_HEADER

__all__ = [
    "generate_regions",
    "plan_regions",
    "RegionPlan",
    "generate",
    "GeneratedFiles",
    "Profile",
    "STANDARD",
    "HARD",
    "WILD",
    "PROFILE_NAMES",
    "error_families",
    "get_profile",
    "REGISTER_FILE",
    "REGISTER_HEADER",
    "XLSX_FILE",
    "XLSX_HEADER",
    "CSV_FILE",
    "CSV_HEADER",
]
