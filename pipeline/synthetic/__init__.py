"""Seeded, deterministic synthetic Kota Madiun: a DTSEN register extract, BPJS Ketenagakerjaan
membership exports with realistic errors, and the ground truth to score linking against.

Entry point: `generate(out_dir, scale=1.0, seed=1, profile="standard")`.
"""

from __future__ import annotations

from .exports import CSV_FILE, CSV_HEADER, XLSX_FILE, XLSX_HEADER
from .orchestrator import GeneratedFiles, generate
from .profiles import HARD, STANDARD, Profile, get_profile
from .register import REGISTER_FILE, REGISTER_HEADER

__all__ = [
    "generate",
    "GeneratedFiles",
    "Profile",
    "STANDARD",
    "HARD",
    "get_profile",
    "REGISTER_FILE",
    "REGISTER_HEADER",
    "XLSX_FILE",
    "XLSX_HEADER",
    "CSV_FILE",
    "CSV_HEADER",
]
