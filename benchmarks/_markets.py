"""The electricity-price markets (NP, PJM) of the TimeXer paper, read once
for every benchmark script that uses them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Where the market files are in the project's checkout (outside the repository).
DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MARKET_NAMES = ("NP", "PJM")


def load_market(name: str, data_dir: Path = DATA_DIR) -> pd.DataFrame:
    """``data_dir/<name>.csv`` indexed by its hourly ``date`` column: the two
    day-ahead forecasts, then the price ``OT``, columns stripped of spaces."""
    frame = pd.read_csv(Path(data_dir) / f"{name}.csv")
    frame.columns = [c.strip() for c in frame.columns]
    frame["date"] = pd.to_datetime(frame["date"], format="%Y/%m/%d %H:%M")
    return frame.set_index("date")
