"""The ``sktagembed`` command line, run in-process."""

import joblib
import numpy as np
import pandas as pd
import pytest

from sktagembed.cli import main


def feature_table(n_features=25, n_tags=6, seed=0):
    rng = np.random.default_rng(seed)
    tags = rng.random((n_features, n_tags)) < 0.3
    frame = pd.DataFrame(tags, columns=[f"tag_{i}" for i in range(n_tags)])
    frame.insert(0, "feature", [f"feature_{i:02d}" for i in range(n_features)])
    return frame


def test_embed_appends_embedding_columns(tmp_path):
    table = feature_table()
    source, out = tmp_path / "features.csv", tmp_path / "out.csv"
    # Written the way the Jane Street feature file is: lower-case true/false.
    table.to_csv(source, index=False)
    status = main(["embed", str(source), "--method", "sum", "--dim", "4",
                   "--epochs", "3", "-o", str(out), "--quiet",
                   "--save-model", str(tmp_path / "model.joblib")])
    assert status == 0
    result = pd.read_csv(out)
    assert list(result.columns) == list(table.columns) + [
        f"embed_{i}" for i in range(4)
    ]
    pd.testing.assert_frame_equal(result[table.columns], table)
    model = joblib.load(tmp_path / "model.joblib")
    tag_columns = [c for c in table.columns if c.startswith("tag_")]
    np.testing.assert_allclose(
        result[[f"embed_{i}" for i in range(4)]].to_numpy(),
        model.transform(table[tag_columns]), rtol=1e-5, atol=1e-6,
    )


def test_embed_with_prefix_target_and_drop_tags(tmp_path):
    table = feature_table().assign(score=np.arange(25.0))
    table["other"] = 1  # binary but not a tag: excluded by the prefix
    source, out = tmp_path / "f.csv", tmp_path / "o.csv"
    table.to_csv(source, index=False)
    status = main(["embed", str(source), "--tags", "tag_", "--target", "score",
                   "--drop-tags", "--dim", "2", "--epochs", "2", "-o", str(out),
                   "--quiet"])
    assert status == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["feature", "score", "other", "embed_0",
                                    "embed_1"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["embed", "missing.csv", "-o", "x.csv"], "file not found"),
        (["embed", "{src}", "--target", "nope", "-o", "x.csv"], "nope"),
        (["embed", "{src}", "--tags", "zzz", "-o", "x.csv"], "zzz"),
        (["embed", "{bad}", "--tags", "tag_0,tag_1", "-o", "x.csv"], "tag_0"),
        (["embed", "{notags}", "-o", "x.csv"], "no tag columns"),
        (["embed", "{garbled}", "-o", "x.csv"], "not a readable CSV"),
        (["embed", "{src}", "--dim", "0", "-o", "x.csv"], "embedding_dim"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path, capsys, args, message):
    src = tmp_path / "src.csv"
    feature_table().to_csv(src, index=False)
    bad = tmp_path / "bad.csv"
    feature_table().assign(tag_0=2).to_csv(bad, index=False)
    notags = tmp_path / "notags.csv"
    pd.DataFrame({"a": [0.5, 2.0], "b": ["x", "y"]}).to_csv(notags, index=False)
    garbled = tmp_path / "garbled.csv"
    garbled.write_bytes(b'a,b\n1,"2\n')
    args = [a.format(src=src, bad=bad, notags=notags, garbled=garbled)
            for a in args]
    assert main(args + ["--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_internal_errors_keep_their_traceback(tmp_path, monkeypatch):
    # A ValueError that does not blame the input is a bug, not a usage error.
    src = tmp_path / "src.csv"
    feature_table().to_csv(src, index=False)

    def broken(*args, **kwargs):
        raise ValueError("internal")

    monkeypatch.setattr("sktagembed.transformer.TagEmbeddingTransformer.fit",
                        broken)
    with pytest.raises(ValueError, match="internal"):
        main(["embed", str(src), "-o", str(tmp_path / "x.csv"), "--quiet"])


@pytest.mark.parametrize("embedding_map", ["pca", "tsne"])
def test_compare_on_bundled_data_writes_table_and_plots(tmp_path, capsys,
                                                        embedding_map):
    status = main(["compare", "--max-rows", "700", "--epochs", "1", "--folds", "2",
                   "--methods", "none", "sum", "--lookback", "32",
                   "--patch-len", "16", "--horizon", "4", "--d-model", "8",
                   "--map", embedding_map, "--out", str(tmp_path), "--quiet"])
    assert status == 0
    out = capsys.readouterr().out
    assert "none" in out and "sum" in out and "MSE mean" in out
    for name in ("comparison.png", "embedding_map.png", "forecast.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_forecast_command_reports_errors_and_saves(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "y"])
    frame.insert(0, "date", pd.date_range("2024-01-01", periods=300, freq="h"))
    source = tmp_path / "series.csv"
    frame.to_csv(source, index=False)
    tags = tmp_path / "tags.csv"
    pd.DataFrame({"name": ["a", "b"], "kind": ["x", "y"]}).to_csv(tags, index=False)
    status = main(["forecast", str(source), "--target", "y", "--horizon", "2",
                   "--lookback", "16", "--patch-len", "8", "--d-model", "8",
                   "--epochs", "1", "--tags-file", str(tags), "--out",
                   str(tmp_path), "--save-model", str(tmp_path / "m.joblib"),
                   "--quiet"])
    assert status == 0
    assert "MSE" in capsys.readouterr().out
    assert (tmp_path / "forecast.png").exists()
    model = joblib.load(tmp_path / "m.joblib")
    assert model.tag_names_ == ["kind=x", "kind=y"]
    assert main(["forecast", str(source), "--target", "nope", "--quiet"]) == 2
    assert "nope" in capsys.readouterr().err
