"""The command-line page runs as written and names every option."""

import argparse

import pandas as pd
from docs_pages import DOCS, run_page

from sktagembed.cli._main import build_parser


def every_option() -> dict[str, set[str]]:
    """Each command's long option strings, read from the parser."""
    parser = build_parser()
    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction))
    return {name: {option for action in sub._actions
                   for option in action.option_strings
                   if option.startswith("--")}
            for name, sub in commands.choices.items()}


def test_cli_page_names_every_option_of_every_command():
    page = (DOCS / "cli.rst").read_text()
    options = every_option()
    assert set(options) == {"compare", "embed", "forecast", "demo"}
    missing = sorted({f"{command} {option}" for command, names in options.items()
                      for option in names if f"``{option}``" not in page})
    assert missing == []
    assert "``--future-file``" in page and "``--time-columns``" in page


def test_cli_page_recipe_runs_and_writes_the_forecast(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_page("cli", tmp_path)
    table = pd.read_csv(tmp_path / "sktagembed-forecast" / "forecast.csv")
    levels = [f"0.{k}" for k in range(1, 10)]
    # The median and the nine deciles, the default, kept ordered.
    assert table.columns.tolist() == ["timestamp", "step", "prediction", *levels]
    assert (table[levels].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    # The six hours after the last row, whatever the file's order was.
    assert table["timestamp"].tolist() == [
        str(t) for t in pd.date_range("2024-01-09 08:00", periods=6, freq="h")]
    assert (table[["prediction", *levels]] >= 0).all().all()
    assert (tmp_path / "sktagembed-forecast" / "forecast.png").stat().st_size > 0
