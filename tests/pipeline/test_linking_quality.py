"""Regression guard: on a fixed small generated city the list and pair F1 may not drop below the
committed figures (the engine is deterministic, so these are exact). After an intended improvement,
raise them with
    UPDATE_QUALITY_BASELINE=1 .venv/bin/python -m pytest tests/pipeline/test_linking_quality.py"""

import json
import os
from pathlib import Path

import pytest

from pipeline.config import Config
from pipeline.evaluation import evaluate
from pipeline.runner import run_engine
from pipeline.synthetic import generate
from pipeline.warehouse import connect
from tests.conftest import REFERENCE_DATE

BASELINE = Path(__file__).with_name("linking_quality_baseline.json")
MEASURES = ("list_f1", "pair_f1", "blocking_recall")


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["standard", "hard"])
def test_quality_does_not_regress(profile: str, tmp_path: Path) -> None:
    city = generate(tmp_path, scale=0.1, seed=2024, profile=profile, reference_date=REFERENCE_DATE)
    con = connect()
    run_engine(con, register=[city.register], members=list(city.members), config=Config(),
               reference_date=REFERENCE_DATE)
    scores = evaluate(con, city.truth_residents.parent).summary()
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    if os.environ.get("UPDATE_QUALITY_BASELINE"):
        baseline[profile] = {m: scores[m] for m in MEASURES}
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
    for measure in MEASURES:
        assert scores[measure] >= baseline[profile][measure], (measure, scores[measure], baseline[profile][measure])
