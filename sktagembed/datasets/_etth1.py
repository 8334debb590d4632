"""The ETTh1 data set (Electricity Transformer Temperature, hourly)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

LOAD_VARIABLES = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL")
_LEVELS = {"H": "High", "M": "Middle", "L": "Low"}
_KINDS = {"UF": "Useful", "UL": "Useless"}


def load_etth1() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load ETTh1 and a tag table for its six load variables.

    ETTh1 holds 17,420 hourly readings (2016-07-01 to 2018-06-26) of an
    electricity transformer: six power-load variables and the oil temperature
    ``OT``, the usual forecasting target. Each load variable is named by its
    level (High, Middle, Low) and kind (UseFul, UseLess load), which become
    its tags.

    The data ships unmodified inside the package. Source: the ETDataset of
    Zhou et al., "Informer: Beyond Efficient Transformer for Long Sequence
    Time-Series Forecasting", AAAI 2021; licence CC BY-ND 4.0.

    Returns
    -------
    frame : pandas.DataFrame of shape (17420, 7)
        Columns HUFL, HULL, MUFL, MULL, LUFL, LULL, OT (float), indexed by
        the hourly ``date`` (a DatetimeIndex).
    tags : pandas.DataFrame of shape (6, 5)
        Boolean tag table indexed by load variable, with the columns
        ``level=High``, ``level=Middle``, ``level=Low``, ``kind=Useful`` and
        ``kind=Useless``. ``OT`` has no row: it is the target.

    Examples
    --------
    >>> from sktagembed.datasets import load_etth1
    >>> frame, tags = load_etth1()
    >>> frame.shape, tags.shape
    ((17420, 7), (6, 5))
    >>> tags.loc["HULL"][tags.loc["HULL"]].index.tolist()
    ['level=High', 'kind=Useless']
    """
    source = resources.files(__package__).joinpath("data", "ETTh1.csv")
    with resources.as_file(source) as path:
        frame = pd.read_csv(path, parse_dates=["date"], index_col="date")
    return frame, etth1_tags()


def etth1_tags() -> pd.DataFrame:
    """The level/kind tag table of ETTh1's six load variables."""
    columns = [f"level={level}" for level in _LEVELS.values()] + [
        f"kind={kind}" for kind in _KINDS.values()
    ]
    rows = []
    for name in LOAD_VARIABLES:
        level, kind = _LEVELS[name[0]], _KINDS[name[1:3]]
        rows.append([column in (f"level={level}", f"kind={kind}")
                     for column in columns])
    return pd.DataFrame(rows, index=pd.Index(LOAD_VARIABLES, name="variable"),
                        columns=columns)
