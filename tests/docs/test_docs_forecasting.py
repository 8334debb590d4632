"""The "Forecasting" page's recipes run as written and give what it says."""

import pandas as pd
from docs_pages import run_page


def test_forecasting_page_runs_and_keeps_its_promises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = run_page("forecasting", tmp_path)
    df, forecast = namespace["df"], namespace["forecast"]
    last_known = df["price"].last_valid_index()
    # The page uses the default levels: the nine deciles.
    assert forecast.columns.tolist() == ["timestamp", "step", "prediction",
                                         *(f"0.{k}" for k in range(1, 10))]
    assert forecast["timestamp"].iloc[0] == last_known + pd.Timedelta(hours=1)
    assert len(forecast) == 24
    assert ((forecast["0.1"] <= forecast["prediction"])
            & (forecast["prediction"] <= forecast["0.9"])).all()
    cli = pd.read_csv(tmp_path / "forecast.csv", parse_dates=["timestamp"])
    assert cli["timestamp"].tolist() == forecast["timestamp"].tolist()
    assert namespace["errors"].shape == (3,)
