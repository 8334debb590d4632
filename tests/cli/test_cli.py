"""The ``sktagembed`` command line, run in-process."""

import re

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import TimeSeriesSplit

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
        (["embed", "{src}", "-o", "{src}"], "must differ"),
        (["embed", "{src}", "-o", "x.txt"], "unsupported file type"),
        (["embed", "{src}", "--model", "none.joblib", "-o", "x.csv"],
         "model file not found"),
        (["embed", "{src}", "--model", "{src}", "-o", "x.csv"], "src.csv"),
        (["embed", "{garbled}", "--chunk-size", "1", "-o", "x.csv"],
         "not a readable table"),
        (["embed", "{bad}", "--tags", "tag_0", "-o", "x.csv"],
         "'tag_0' holds the value 2 at row 0; tag columns must be 0/1: fix the "
         "file, or pass --weighted"),
        (["embed", "{src}", "--model", "m.joblib", "--method", "mlp", "--dim",
          "4", "-o", "x.csv"], "--method, --dim cannot be used with --model"),
        (["embed", "{src}", "--model", "m.joblib", "--seed", "1", "-o", "x.csv"],
         "--seed cannot be used with --model"),
        (["compare", "--tags-file", "{src}"], "--tags-file needs a data FILE"),
        (["compare", "{src}", "--dataset", "etth1"], "--dataset picks bundled"),
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

    monkeypatch.setattr("sktagembed.embedding._transformer.TagEmbeddingTransformer.fit",
                        broken)
    with pytest.raises(ValueError, match="internal"):
        main(["embed", str(src), "-o", str(tmp_path / "x.csv"), "--quiet"])


def tagged_rows(n_rows=600, n_tags=6, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.random((n_rows, n_tags)) < 0.3,
                         columns=[f"tag_{i}" for i in range(n_tags)])
    frame.insert(0, "row_id", np.arange(n_rows))
    frame["value"] = rng.normal(size=n_rows)
    return frame


@pytest.mark.parametrize("source_type, output_type",
                         [("parquet", "parquet"), ("csv", "csv"),
                          ("parquet", "csv")])
def test_embed_in_chunks_matches_whole_table(tmp_path, source_type, output_type):
    pytest.importorskip("pyarrow")
    table = tagged_rows()
    source = tmp_path / f"rows.{source_type}"
    getattr(table, f"to_{source_type}")(source, index=False)
    whole, chunked = tmp_path / f"whole.{output_type}", tmp_path / (
        f"chunked.{output_type}")
    common = ["--tags", "tag_", "--dim", "3", "--epochs", "2", "--quiet"]
    assert main(["embed", str(source), "-o", str(whole), *common]) == 0
    # Fitted on the same 600 rows, then written 128 rows at a time.
    assert main(["embed", str(source), "-o", str(chunked), "--chunk-size", "128",
                 "--fit-rows", "600", *common]) == 0

    read = pd.read_parquet if output_type == "parquet" else pd.read_csv
    expected, result = read(whole), read(chunked)
    assert len(result) == len(table)
    pd.testing.assert_frame_equal(result, expected, check_exact=False,
                                  rtol=1e-5, atol=1e-6)
    pd.testing.assert_frame_equal(result[table.columns], table)


def test_embed_in_chunks_with_a_saved_model(tmp_path):
    pytest.importorskip("pyarrow")
    table = tagged_rows(n_rows=300)
    source, out = tmp_path / "rows.parquet", tmp_path / "out.parquet"
    table.to_parquet(source, index=False)
    model_path = tmp_path / "model.joblib"
    # Fitted on the first 100 rows only, saved, then reused on every row.
    assert main(["embed", str(source), "-o", str(tmp_path / "first.csv"),
                 "--tags", "tag_", "--dim", "2", "--epochs", "2",
                 "--chunk-size", "100", "--save-model", str(model_path),
                 "--quiet"]) == 0
    assert main(["embed", str(source), "-o", str(out), "--model", str(model_path),
                 "--chunk-size", "64", "--drop-tags", "--quiet"]) == 0

    model = joblib.load(model_path)
    result = pd.read_parquet(out)
    tag_columns = [f"tag_{i}" for i in range(6)]
    assert list(result.columns) == ["row_id", "value", "embed_0", "embed_1"]
    np.testing.assert_array_equal(result["row_id"], table["row_id"])
    np.testing.assert_allclose(result[["embed_0", "embed_1"]],
                               model.transform(table[tag_columns]), rtol=1e-6)


def test_embed_rejects_a_zero_chunk_size(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["embed", "x.csv", "-o", "y.csv", "--chunk-size", "0"])
    assert exit_info.value.code == 2
    assert "positive integer" in capsys.readouterr().err


@pytest.mark.parametrize("embedding_map", ["pca", "tsne"])
def test_compare_on_bundled_data_writes_table_and_plots(tmp_path, capsys,
                                                        embedding_map):
    seeds = "2" if embedding_map == "pca" else "1"
    status = main(["compare", "--max-rows", "700", "--epochs", "1", "--folds", "2",
                   "--methods", "none", "sum", "--lookback", "32",
                   "--patch-len", "16", "--horizon", "4", "--d-model", "8",
                   "--seeds", seeds, "--map", embedding_map, "--out",
                   str(tmp_path), "--quiet"])
    assert status == 0
    out = capsys.readouterr().out
    assert "none" in out and "sum" in out and "MSE mean" in out
    assert ("MSE std (seeds)" if seeds == "2" else "MSE std (folds)") in out
    assert re.search(r"tags that matter to 'sum' \(MSE growth without the tag\): "
                     r"\S+ [+-]\d+\.\d%", out)
    for name in ("comparison.png", "embedding_map.png", "forecast.png",
                 "tag_importance.png", "variable_map.png"):
        assert (tmp_path / name).stat().st_size > 0


def test_compare_with_the_target_history_hidden_never_reads_it(tmp_path, capsys,
                                                                monkeypatch):
    from sktagembed.forecasting._regressor import TimeXerRegressor

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(240, 3)), columns=["a", "b", "y"])
    frame.insert(0, "date", pd.date_range("2024-01-01", periods=240, freq="h"))
    frame.to_csv(tmp_path / "data.csv", index=False)
    pd.DataFrame({"column": ["a", "b"], "kind": ["k1", "k2"]}).to_csv(
        tmp_path / "tags.csv", index=False)
    seen = []
    fit = TimeXerRegressor.fit

    def spy(self, X, y, *args, **kwargs):
        seen.append((X.copy(), y.copy()))
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(TimeXerRegressor, "fit", spy)
    command = ["compare", str(tmp_path / "data.csv"), "--target", "y",
               "--tags-file", str(tmp_path / "tags.csv"), "--epochs", "1",
               "--folds", "2", "--methods", "none", "--lookback", "16",
               "--patch-len", "8", "--horizon", "4", "--d-model", "8",
               "--out", str(tmp_path / "out")]
    assert main([*command, "--target-history", "hide"]) == 0
    assert "target y, its own past hidden" in capsys.readouterr().out
    assert seen and all(X["y"].isna().all() for X, _ in seen)
    # The targets are still the column's future, and the other columns intact.
    X, y = seen[0]
    np.testing.assert_array_equal(y.iloc[0], frame["y"].iloc[1:5])
    np.testing.assert_array_equal(X["a"], frame["a"].iloc[:len(X)])
    seen.clear()
    assert main(command) == 0
    assert not seen[0][0]["y"].isna().any()
    # Each fold trains without the 3 rows (horizon 4) whose targets reach
    # into the fold's first targets: rows of the 236 with a known future.
    plain = TimeSeriesSplit(2).split(np.zeros((236, 1)))
    assert [len(X) for X, _ in seen] == [len(train) - 3 for train, _ in plain]


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


def test_failed_chunked_embed_leaves_no_partial_output(tmp_path, capsys):
    table = tagged_rows(n_rows=300).astype({"tag_2": int})
    table.loc[250, "tag_2"] = 7  # a bad value in the third chunk
    source, out = tmp_path / "rows.csv", tmp_path / "out.csv"
    table.to_csv(source, index=False)
    out.write_text("an earlier result\n")

    code = main(["embed", str(source), "-o", str(out), "--tags", "tag_",
                 "--chunk-size", "100", "--epochs", "1", "--quiet"])

    assert code == 2
    error = capsys.readouterr().err
    assert "rows 200-299" in error and "'tag_2'" in error and "row 50" in error
    assert out.read_text() == "an earlier result\n"  # untouched, not truncated
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "rows.csv"]


def test_fit_rows_without_chunks_is_a_user_error(tmp_path, capsys):
    source = tmp_path / "rows.csv"
    tagged_rows(n_rows=50).to_csv(source, index=False)
    code = main(["embed", str(source), "-o", str(tmp_path / "out.csv"),
                 "--tags", "tag_", "--fit-rows", "10", "--quiet"])
    assert code == 2
    assert "--fit-rows needs --chunk-size" in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def test_embed_names_a_mostly_binary_column_it_leaves_out(tmp_path, capsys):
    table = feature_table(n_features=40)
    table["tag_4"] = table["tag_4"].astype(int)
    table.loc[7, "tag_4"] = 7  # one stray value in a tag column
    source, out = tmp_path / "f.csv", tmp_path / "o.csv"
    table.to_csv(source, index=False)
    assert main(["embed", str(source), "--dim", "2", "--epochs", "1", "-o",
                 str(out), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "column 'tag_4' is 0/1 but for the value 7 at row 7" in err
    assert "tag_4" in pd.read_csv(out).columns  # kept, but not embedded
    model_tags = [f"tag_{i}" for i in range(6) if i != 4]
    assert main(["embed", str(source), "--tags", ",".join(model_tags),
                 "--dim", "2", "--epochs", "1", "-o", str(out), "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_embed_reads_weights_with_weighted(tmp_path):
    table = feature_table()
    table["tag_0"] = table["tag_0"] * 2.5
    source, out = tmp_path / "f.csv", tmp_path / "o.csv"
    table.to_csv(source, index=False)
    tags = ",".join(f"tag_{i}" for i in range(6))
    assert main(["embed", str(source), "--tags", tags, "--weighted", "--dim",
                 "2", "--epochs", "1", "--save-model", str(tmp_path / "m.joblib"),
                 "-o", str(out), "--quiet"]) == 0
    assert joblib.load(tmp_path / "m.joblib").weighted is True


def test_demo_prints_the_learned_table_of_the_bundled_tags(capsys):
    from sktagembed.datasets import load_etth1

    assert main(["demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    _, tags = load_etth1()
    for name in [*tags.columns, *tags.index]:
        assert name in out


def test_forecast_writes_the_future_in_the_data_units_with_an_interval(tmp_path,
                                                                      capsys):
    rng = np.random.default_rng(0)
    n_rows, horizon = 300, 2
    dates = pd.date_range("2024-01-01", periods=n_rows + horizon, freq="h")
    planned = np.sin(np.arange(n_rows + horizon) / 4)
    price = 5000 + 1000 * planned + rng.normal(scale=50, size=n_rows + horizon)
    frame = pd.DataFrame({"date": dates, "load": rng.normal(size=n_rows + horizon),
                          "planned": planned, "price": price})
    frame.loc[n_rows:, "price"] = np.nan  # the horizon: covariates only
    source = tmp_path / "prices.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "future.csv"
    status = main(["forecast", str(source), "--target", "price", "--horizon",
                   str(horizon), "--future-covariates", "planned", "--quantiles",
                   "0.1,0.9", "--lookback", "16", "--patch-len", "8",
                   "--d-model", "8", "--epochs", "1", "-o", str(out), "--out",
                   str(tmp_path), "--save-model", str(tmp_path / "m.joblib"),
                   "--quiet"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "(data units)" in printed and "scaled MSE" in printed
    table = pd.read_csv(out, parse_dates=["timestamp"])
    assert table.columns.tolist() == ["timestamp", "step", "prediction", "0.1",
                                      "0.9"]
    assert table["timestamp"].tolist() == dates[n_rows:].tolist()
    assert (table["0.1"] <= table["prediction"]).all()
    assert (table["prediction"] <= table["0.9"]).all()
    assert table["prediction"].between(3000, 7000).all()  # the price's units
    # The saved model reads the raw table and gives the same forecast.
    model = joblib.load(tmp_path / "m.joblib")
    raw = pd.read_csv(source, parse_dates=["date"]).set_index("date")
    np.testing.assert_allclose(model.forecast(raw)["prediction"],
                               table["prediction"], rtol=1e-5)
    assert (tmp_path / "forecast.png").stat().st_size > 0
