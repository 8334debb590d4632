"""The "Tags on real data" page's recipes run as written and give what it says."""

import numpy as np
from docs_pages import run_page


def test_tags_page_runs_and_ranks_every_tag(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = run_page("tags", tmp_path)
    tags, importance = namespace["tags"], namespace["importance"]
    carried = {f"{column}={value}" for column in tags.columns
               for value in tags.drop(index="T2")[column]}
    assert set(importance.index) == carried
    assert importance.columns[:2].tolist() == ["importance", "importance_std"]
    assert importance["importance"].is_monotonic_decreasing
    assert np.isfinite(importance["attention"]).all()
    variables = namespace["model"].variable_embeddings_
    assert list(variables.index) == list(tags.drop(index="T2").index)
