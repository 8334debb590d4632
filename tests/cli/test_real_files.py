"""The command line on tables as people keep them: each mistake found by
trying it as a new user is one line naming the value, row and column and the
fix (exit status 2, no traceback), or the behaviour a user expects."""

import numpy as np
import pandas as pd
import pytest

from sktagembed.cli import main

#: A model small enough to fit in a blink.
TINY = ["--lookback", "16", "--patch-len", "8", "--d-model", "8", "--epochs",
        "1", "--horizon", "2"]


def series_table(n_rows=120, seed=0, start="2024-01-01", freq="h",
                 time_name="date"):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        time_name: pd.date_range(start, periods=n_rows, freq=freq),
        "a": rng.normal(size=n_rows).round(3),
        "b": rng.normal(size=n_rows).round(3),
        "y": (10 + np.sin(np.arange(n_rows) / 5)).round(3),
    })
    return frame


def write(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def run_forecast(tmp_path, path, *extra):
    return main(["forecast", str(path), *TINY, "--out", str(tmp_path / "out"),
                 "--quiet", *extra])


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert err.startswith("sktagembed: error: ")
    return err


def test_irregular_timestamps_name_the_first_irregular_step(tmp_path, capsys):
    frame = series_table().drop(index=[50, 51])  # 02:00 -> 05:00 on day 3
    path = write(tmp_path, frame)
    assert run_forecast(tmp_path, path) == 2
    err = one_line_error(capsys)
    assert ("irregular time step: 2024-01-03 04:00:00 comes 0 days 03:00:00 "
            "after 2024-01-03 01:00:00, but the usual step is 0 days 01:00:00; "
            "pass --freq h") in err
    assert not (tmp_path / "out" / "forecast.csv").exists()  # before training


def test_freq_puts_irregular_rows_on_a_grid_and_the_forecast_has_times(
        tmp_path, capsys, monkeypatch):
    from sktagembed.cli import _common

    figures = []
    save = _common.save_figure
    monkeypatch.setattr("sktagembed.cli._forecast.save_figure",
                        lambda fig, path: (figures.append(fig), save(fig, path)))
    frame = series_table().drop(index=[50, 51])
    path = write(tmp_path, frame)
    assert run_forecast(tmp_path, path, "--freq", "h", "--test-fraction",
                        "0") == 0
    # The plotted history breaks at the two missing hours (NaN), not a line
    # drawn across them.
    history = figures[0].axes[0].lines[0]
    gap = np.flatnonzero(np.isnan(history.get_ydata()))
    assert len(history.get_ydata()) == 120 and gap.tolist() == [50, 51]
    assert "2 missing time steps inserted" in capsys.readouterr().err
    table = pd.read_csv(tmp_path / "out" / "forecast.csv",
                        parse_dates=["timestamp"])
    last = frame["date"].iloc[-1]
    assert table["timestamp"].tolist() == [last + pd.Timedelta(hours=k)
                                           for k in (1, 2)]
    assert (tmp_path / "out" / "forecast.png").stat().st_size > 0


@pytest.mark.parametrize("spelling", ["missing", "NA", " n/a ", "-", "?",
                                      "None", "NULL"])
def test_na_spellings_in_a_covariate_are_missing_cells(tmp_path, spelling,
                                                       monkeypatch):
    from sktagembed.forecasting._regressor import TimeXerRegressor

    frame = series_table().astype({"a": object})
    frame.loc[7, "a"] = spelling
    path = write(tmp_path, frame)
    seen = []
    fit = TimeXerRegressor.fit

    def spy(self, X, y, *args, **kwargs):
        seen.append(X.copy())
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(TimeXerRegressor, "fit", spy)
    assert run_forecast(tmp_path, path, "--test-fraction", "0") == 0
    X = seen[0]
    assert "a" in X.columns  # never dropped
    assert np.isnan(X["a"].iloc[7])
    np.testing.assert_allclose(X["a"].drop(X.index[7]),
                               frame["a"].drop(7).astype(float).iloc[:len(X) - 1])


def test_a_text_cell_among_numbers_names_cell_row_and_column(tmp_path, capsys):
    frame = series_table().astype({"y": object})
    frame.loc[5, "y"] = "12,5"  # a decimal comma, quoted by the writer
    path = write(tmp_path, frame)
    assert run_forecast(tmp_path, path) == 2
    assert one_line_error(capsys) == (
        "sktagembed: error: column 'y' holds '12,5' at row 6 (line 7), which is "
        "not a number; write decimals with a point")
    frame.loc[5, "y"] = 1.0
    frame = frame.astype({"b": object})
    frame.loc[9, "b"] = "oops"
    assert run_forecast(tmp_path, write(tmp_path, frame)) == 2
    assert "column 'b' holds 'oops' at row 10 (line 11)" in one_line_error(capsys)


def test_a_text_column_is_left_out_with_a_note_or_dropped_quietly(tmp_path,
                                                                  capsys):
    frame = series_table().assign(city="Paris")
    path = write(tmp_path, frame)
    assert run_forecast(tmp_path, path, "--test-fraction", "0") == 0
    assert ("the text column(s) 'city' are left out (pass --drop city"
            in capsys.readouterr().err)
    assert run_forecast(tmp_path, path, "--test-fraction", "0", "--drop",
                        "city") == 0
    assert capsys.readouterr().err == ""
    assert run_forecast(tmp_path, path, "--drop", "town") == 2
    assert "unknown --drop column(s): town" in one_line_error(capsys)


def test_rows_newest_first_are_sorted_and_said(tmp_path, capsys):
    frame = series_table()
    path = write(tmp_path, frame.iloc[::-1])
    assert run_forecast(tmp_path, path, "--test-fraction", "0") == 0
    assert "rows were newest first; they are read sorted by time" in (
        capsys.readouterr().err)
    table = pd.read_csv(tmp_path / "out" / "forecast.csv",
                        parse_dates=["timestamp"])
    assert table["timestamp"].iloc[0] == frame["date"].iloc[-1] + pd.Timedelta(
        hours=1)


def test_a_repeated_timestamp_names_both_rows(tmp_path, capsys):
    frame = series_table()
    frame.loc[30, "date"] = frame.loc[29, "date"]
    assert run_forecast(tmp_path, write(tmp_path, frame)) == 2
    assert one_line_error(capsys) == (
        "sktagembed: error: the timestamp 2024-01-02 05:00:00 appears at row 30 "
        "(line 31) and row 31 (line 32); drop the repeated rows")


@pytest.mark.parametrize("name", ["ds", "Timestamp", "DateTime", "time"])
def test_usual_time_column_names_are_recognised(tmp_path, name):
    path = write(tmp_path, series_table(time_name=name))
    assert run_forecast(tmp_path, path, "--test-fraction", "0") == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table["timestamp"].tolist() == ["2024-01-06 00:00:00",
                                           "2024-01-06 01:00:00"]


def test_time_column_option_names_any_column(tmp_path):
    path = write(tmp_path, series_table(time_name="when"))
    assert run_forecast(tmp_path, path, "--test-fraction", "0", "--time-column",
                        "when") == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table["timestamp"].iloc[0] == "2024-01-06 00:00:00"


def test_time_columns_join_a_split_date(tmp_path):
    frame = series_table()
    stamps = frame.pop("date")
    split = pd.DataFrame({"year": stamps.dt.year, "month": stamps.dt.month,
                          "day": stamps.dt.day, "hour": stamps.dt.hour})
    path = write(tmp_path, pd.concat([split, frame], axis=1))
    assert run_forecast(tmp_path, path, "--test-fraction", "0", "--time-columns",
                        "year,month,day,hour") == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table["timestamp"].iloc[0] == "2024-01-06 00:00:00"


def test_day_first_dates_ask_for_dayfirst_then_read(tmp_path, capsys):
    frame = series_table(n_rows=60, freq="D")
    frame["date"] = frame["date"].dt.strftime("%d/%m/%Y")
    path = write(tmp_path, frame)
    assert run_forecast(tmp_path, path) == 2
    assert one_line_error(capsys) == (
        "sktagembed: error: the time column 'date' holds day-first dates (such "
        "as '13/01/2024' at row 13 (line 14)); pass --dayfirst")
    assert run_forecast(tmp_path, path, "--dayfirst", "--test-fraction", "0") == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table["timestamp"].tolist() == ["2024-03-01", "2024-03-02"]


def test_future_covariates_without_future_rows_fail_before_training(
        tmp_path, capsys, monkeypatch):
    from sktagembed.forecasting._regressor import TimeXerRegressor

    def never(*args, **kwargs):
        raise AssertionError("trained")

    monkeypatch.setattr(TimeXerRegressor, "fit", never)
    path = write(tmp_path, series_table())
    assert run_forecast(tmp_path, path, "--future-covariates", "a") == 2
    assert one_line_error(capsys) == (
        "sktagembed: error: --future-covariates a: the forecast needs their "
        "values in the 2 rows after the last known target, and 0 such rows have "
        "them; add the horizon's rows (target left empty) to the file or give "
        "them with --future-file, or leave out --future-covariates")


def test_future_file_gives_the_horizon_rows(tmp_path, capsys):
    frame = series_table()
    data, future = frame.iloc[:-2], frame.iloc[-2:].drop(columns=["y", "b"])
    path = write(tmp_path, data)
    future_path = write(tmp_path, future, "future.csv")
    assert run_forecast(tmp_path, path, "--future-covariates", "a",
                        "--future-file", str(future_path)) == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table["timestamp"].tolist() == future["date"].astype(str).tolist()
    # The future file says which columns are known over the horizon.
    (tmp_path / "out" / "forecast.csv").unlink()
    assert run_forecast(tmp_path, path, "--future-file", str(future_path)) == 0
    assert "its columns a are the future covariates" in capsys.readouterr().err
    pd.testing.assert_frame_equal(
        pd.read_csv(tmp_path / "out" / "forecast.csv"), table)


def test_a_horizon_longer_than_the_data_says_so(tmp_path, capsys):
    path = write(tmp_path, series_table(n_rows=120))
    assert main(["forecast", str(path), "--horizon", "5000", "--quiet"]) == 2
    assert one_line_error(capsys) == (
        "sktagembed: error: horizon 5000 is longer than the data (120 rows with a"
        " known target); pass a smaller --horizon")
    assert main(["forecast", str(path), "--horizon", "2", "--lookback", "200",
                 "--quiet"]) == 2
    assert "the training rows (96) are fewer than --lookback 200 + --horizon 2" \
        in one_line_error(capsys)


def test_the_final_forecast_refits_on_every_row(tmp_path, capsys, monkeypatch):
    from sktagembed.forecasting._regressor import TimeXerRegressor

    fitted_rows = []
    fit = TimeXerRegressor.fit

    def spy(self, X, y, *args, **kwargs):
        fitted_rows.append(len(X))
        return fit(self, X, y, *args, **kwargs)

    monkeypatch.setattr(TimeXerRegressor, "fit", spy)
    path = write(tmp_path, series_table(n_rows=120))
    command = ["forecast", str(path), *TINY, "--out", str(tmp_path / "out")]
    assert main(command) == 0
    out = capsys.readouterr().out
    # The backtest trains on rows 1-96 (windows ending by row 94, whose two
    # targets are known there); the forecast's model on all 120 rows.
    assert fitted_rows == [94, 118]
    assert "after training on rows 1-96" in out
    assert "from the model trained on rows 1-120" in out
    fitted_rows.clear()
    assert main([*command, "--no-refit"]) == 0
    assert fitted_rows == [94]
    assert "from the model trained on rows 1-96" in capsys.readouterr().out


def test_forecast_gives_the_deciles_by_default_and_none_a_point(tmp_path):
    path = write(tmp_path, series_table())
    assert run_forecast(tmp_path, path, "--test-fraction", "0") == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    deciles = [f"0.{k}" for k in range(1, 10)]
    assert table.columns.tolist() == ["timestamp", "step", "prediction", *deciles]
    np.testing.assert_allclose(table["prediction"], table["0.5"], rtol=1e-6)
    assert run_forecast(tmp_path, path, "--test-fraction", "0",
                        "--quantiles", "none") == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table.columns.tolist() == ["timestamp", "step", "prediction"]


def test_non_negative_clips_the_forecast_and_its_interval(tmp_path):
    frame = series_table()
    frame["y"] = frame["y"] - 10.5  # mostly negative: the forecast will be too
    path = write(tmp_path, frame)
    assert run_forecast(tmp_path, path, "--quantiles", "0.1,0.9",
                        "--test-fraction", "0") == 0
    raw = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert (raw[["prediction", "0.1"]] < 0).any().any()  # the positive control
    assert run_forecast(tmp_path, path, "--quantiles", "0.1,0.9",
                        "--test-fraction", "0", "--non-negative") == 0
    clipped = pd.read_csv(tmp_path / "out" / "forecast.csv")
    for column in ("prediction", "0.1", "0.9"):
        np.testing.assert_allclose(clipped[column], raw[column].clip(lower=0),
                                   rtol=1e-5)


def test_long_format_forecasts_each_series(tmp_path):
    parts = []
    for sid in ("north", "south"):
        part = series_table(n_rows=80, seed=len(sid), time_name="ds")
        parts.append(part.assign(unique_id=sid))
    path = write(tmp_path, pd.concat(parts)[["unique_id", "ds", "a", "b", "y"]])
    assert run_forecast(tmp_path, path) == 0
    table = pd.read_csv(tmp_path / "out" / "forecast.csv")
    assert table["unique_id"].tolist() == ["north", "north", "south", "south"]
    assert table["timestamp"].tolist() == ["2024-01-04 08:00:00",
                                           "2024-01-04 09:00:00"] * 2


def test_bare_command_prints_the_usage(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: sktagembed")
    assert "compare" in out and "forecast" in out and "demo" in out


def test_missing_targets_in_compare_give_finite_scores(tmp_path, capsys):
    frame = series_table(n_rows=200)
    frame.loc[150:155, "y"] = np.nan
    path = write(tmp_path, frame)
    tags = write(tmp_path, pd.DataFrame({"column": ["a", "b"],
                                         "kind": ["k1", "k2"]}), "tags.csv")
    assert main(["compare", str(path), "--tags-file", str(tags), "--folds", "2",
                 "--methods", "none", *TINY, "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "none" in line)
    assert "nan" not in row.lower()


@pytest.mark.parametrize("means, stds, expected", [
    ([1.0, 1.025], [0.25, 0.2], "no clear best, the ranking is inside the "
     "noise: 'attention' leads 'sum' by 2.5% while the MSE spreads 25.0% over "
     "folds (attention, sum are within that spread"),
    ([1.0, 1.5], [0.25, 0.2], "best: attention"),
])
def test_compare_says_when_the_ranking_is_noise(means, stds, expected):
    from sktagembed.cli._forecast import ranking_verdict

    table = pd.DataFrame({"name": ["attention", "sum"], "mean": means,
                          "std": stds})
    verdict = ranking_verdict(table, "folds")
    assert verdict.startswith(expected)
    if expected == "best: attention":
        assert verdict == expected


@pytest.mark.parametrize("args, message", [
    (["compare", "--time-column", "ds"],
     "--time-column read a data FILE; without one, compare runs on the bundled"),
    (["forecast", "{panel}", "--time-columns", "ds"],
     "--time-columns needs two columns or more"),
    (["compare", "{panel}", "--tags-file", "{panel}"],
     "compare reads one series; 'unique_id' looks like the id column of "
     "several: pick one series, or leave the column out with --drop unique_id"),
    (["forecast", "{numbers}"], "the time column 'date' holds numbers, not "
     "dates; name the real one with --time-column, or leave it out with --drop "
     "date"),
    (["forecast", "{notarget}"], "--target is needed: name the column to "
     "forecast (no column is named 'y')"),
    (["forecast", "{panel}", "--freq", "fortnightly"],
     "--freq 'fortnightly' is not a time step"),
])
def test_more_table_mistakes_are_one_line(tmp_path, capsys, args, message):
    panel = write(tmp_path, pd.concat([
        series_table(n_rows=30, time_name="ds").assign(unique_id=sid)
        for sid in ("n", "s")]), "panel.csv")
    numbers = write(tmp_path, series_table().assign(date=range(120)), "num.csv")
    notarget = write(tmp_path, series_table().rename(columns={"y": "sales"}),
                     "nt.csv")
    args = [a.format(panel=panel, numbers=numbers, notarget=notarget)
            for a in args]
    assert main([*args, "--quiet"]) == 2
    assert message in one_line_error(capsys)


def test_options_without_a_command_are_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--quiet"])
    assert exit_info.value.code == 2
    assert "unrecognized arguments: --quiet" in capsys.readouterr().err
