"""pipeline/privacy.py: a list never shows more of a NIK than its region (digits 1-6), however the
setting is written, and a NIK typed in any spelling is found and masked."""

import doctest

import pytest

import pipeline.privacy
from pipeline.config import PublicationConfig
from pipeline.errors import ConfigError
from pipeline.privacy import NIK_VISIBLE_DIGITS, check_visible_digits, mask_digit_runs, mask_nik, nik_digits

NIK = "3577014305900001"


def test_examples() -> None:
    assert doctest.testmod(pipeline.privacy).failed == 0


def test_the_birth_date_and_serial_are_hidden_by_default() -> None:
    assert NIK_VISIBLE_DIGITS == 6
    assert mask_nik(NIK) == "357701" + "*" * 10
    assert PublicationConfig().nik_visible_digits == 6


@pytest.mark.parametrize("visible", [7, 12, 16, -1, True, 6.0])
def test_more_than_the_region_is_refused(visible: object) -> None:
    with pytest.raises(ValueError):
        check_visible_digits(visible)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        mask_nik(NIK, visible)  # type: ignore[arg-type]


def test_a_config_asking_for_more_digits_is_refused() -> None:
    with pytest.raises(ConfigError, match="nik_visible_digits"):
        PublicationConfig(nik_visible_digits=12)
    assert PublicationConfig(nik_visible_digits=0).nik_visible_digits == 0


@pytest.mark.parametrize("typed", ["3577 0143 0590 0001", "3577.0143.0590.0001", "3577-0143-0590-0001",
                                   "3577/0143/0590/0001", "3577_0143_0590_0001", "3577\u00a00143\u20090590 0001",
                                   " 3577014305900001 ", "３５７７０１４３０５９０００01"])
def test_every_spelling_of_a_nik_is_normalised_and_masked(typed: str) -> None:
    assert nik_digits(typed) == NIK
    assert mask_digit_runs(typed).strip() == mask_nik(NIK)
    assert " ".join(mask_digit_runs(f"cari {typed} rt 001").split()) == f"cari {mask_nik(NIK)} rt 001"


def test_short_numbers_and_names_are_left_alone() -> None:
    assert mask_digit_runs("SITI AMINAH rt 003 rw 12") == "SITI AMINAH rt 003 rw 12"
    assert mask_digit_runs("357701") == "357701"  # the region alone is what lists show anyway
    assert nik_digits("SITI 3577") is None and nik_digits("") is None
