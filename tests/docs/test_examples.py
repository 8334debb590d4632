"""Every script in examples/ runs top to bottom (on small settings) and prints
what its story promises."""

import re
import runpy
from pathlib import Path

import pytest

from sktagembed.nn import METHODS

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.py"))

#: Patterns each example's output must contain.
PROMISES = {
    "01_embed_tag_table.py": [r"feature_00.*embed_0", r"tag_7"],
    "02_grid_search_methods.py": [
        *(rf"\b{m}\b" for m in METHODS if m != "pretrained"),
        r"best: \{'features__tags__method': '\w+'"],
    "03_timexer_with_tags.py": [
        rf"tag_embedding={m}\s+test MSE \(standardised OT\): \d+\.\d+"
        for m in ("None", "sum", "attention")],
    "04_save_and_reload.py": [r"identical probabilities: True",
                              r"reproduces the embedding: True"],
    "05_forecast_with_known_future_covariates.py": [
        r"MAE \d+\.\d+ degrees, 10-90% interval holds \d+% of the truths",
        r"2018-06-26 20:00:00\s+1\s+-?\d+\.\d+", r"2018-06-27 19:00:00\s+24"],
    # Without ../shared (a user's clone) the example says so and stops.
    "06_market_panel_with_tags.py": [
        r"skipped: the Jane Street tag table is not at|"
        r"4 symbols x 120 steps x 79 features, 10% of feature values missing"
        r"(.|\n)*weighted R\^2 on the last quarter of every symbol: -?\d\.\d+"],
    "07_tag_embedding_feeds_timexer.py": [
        r"skipped: the Jane Street tag table is not at|"
        r"79 features x 17 tags -> a table of 17 tags x 8"
        r"(.|\n)*learned, frozen\s+test MSE: \d+\.\d+"
        r"\nfrozen table unchanged by training: True"
        r"\nlearned, fine-tuned\s+test MSE: \d+\.\d+"],
}


def test_every_example_has_its_promise():
    assert sorted(PROMISES) == [path.name for path in EXAMPLES]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_prints_what_it_promises(path, monkeypatch, capsys):
    monkeypatch.setenv("SKTAGEMBED_EXAMPLES_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as stop:  # a clean early stop
        assert stop.code in (0, None)
    out = capsys.readouterr().out
    for pattern in PROMISES[path.name]:
        assert re.search(pattern, out, flags=re.S), pattern
