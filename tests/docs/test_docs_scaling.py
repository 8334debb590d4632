"""The "Scaling out" page's recipes run as written, in order, at their small
sizes: its Python blocks in one namespace, its console lines as commands."""

import pandas as pd
import pytest
from docs_pages import page_blocks, run_page

pytest.importorskip("distributed")
pytest.importorskip("accelerate")



def blocks():
    return page_blocks("scaling")


def test_page_has_all_three_recipes():
    python = [body for language, body in blocks() if language == "python"]
    assert any("parallel_config(backend=\"dask\")" in body for body in python)
    assert any("map_partitions" in body for body in python)
    assert any("accelerate=True" in body for body in python)
    assert any("--chunk-size" in body for _, body in blocks())


# Dask's Parquet writer still passes inplace=True to pandas (dask 2026.8).
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame")
def test_recipes_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = run_page("scaling", tmp_path)

    search = namespace["search"]
    assert search.best_params_["tagembeddingtransformer__method"] in {
        "sum", "linear", "mlp"}
    embedded = pd.read_parquet(tmp_path / "embedded")
    assert len(embedded) == 300
    assert embedded.filter(like="linear").notna().all().all()
    again = pd.read_parquet(tmp_path / "again.parquet")
    cli_first = pd.read_parquet(tmp_path / "embedded.parquet")
    pd.testing.assert_frame_equal(again, cli_first)
    assert (tmp_path / "timexer.joblib").exists()
