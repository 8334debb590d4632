"""The README's Python blocks run as written, and give what the README says."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def quick_start(namespace, out):
    namespace["quick_start_tags"] = namespace["tags"]  # a later block reuses it
    vectors = namespace["vectors"]
    assert vectors.shape == (4, 4) and vectors.dtype == np.float32  # "(4, 4) float32"
    assert list(namespace["emb"].embeddings_.index) == ["price", "volume", "intraday"]


def forecasting(namespace, out):
    # "one 4-step forecast (the median) per row", "the 4 hours after the data"
    assert f"({len(namespace['X'])}, 4)" in out
    forecast = namespace["model"].forecast(namespace["frame"])
    # The default levels: the nine deciles.
    assert forecast.columns.tolist() == ["timestamp", "step", "prediction",
                                         *(f"0.{k}" for k in range(1, 10))]
    hour = pd.Timedelta(hours=1)
    assert forecast["timestamp"].iloc[0] == namespace["frame"].index[-1] + hour
    assert str(forecast["timestamp"].iloc[-1]) in out


def sharing(namespace, out):
    # The exported table read back without pickle is the learned table.
    shared, emb = namespace["shared"], namespace["emb"]
    shared.fit(namespace["quick_start_tags"])
    np.testing.assert_allclose(shared.embeddings_.to_numpy(),
                               emb.embeddings_.to_numpy(), rtol=1e-6)


#: What each block promises, in README order.
PROMISES = [quick_start, forecasting, sharing]


def test_every_block_has_its_promise_checked():
    assert len(BLOCKS) == len(PROMISES)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs_and_keeps_its_promise(index, tmp_path, monkeypatch,
                                                 capsys):
    # A reader runs the blocks in order in one session, from their own folder.
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(BLOCKS[:index + 1]):
        capsys.readouterr()
        exec(compile(block, f"README.md block {number}", "exec"), namespace)
        if number < index:
            PROMISES[number](namespace, capsys.readouterr().out)
    PROMISES[index](namespace, capsys.readouterr().out)
