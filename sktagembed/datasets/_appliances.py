"""The UCI Appliances energy data set (a house's sensors at 10 minutes)."""

from __future__ import annotations

from importlib import resources

import pandas as pd

#: The row of the ``Appliances`` target itself, so that any column of the
#: data can be the target and every other one has tags.
_APPLIANCES_ROW = {"kind": "appliances_energy", "location": "whole_house",
                   "indoor_outdoor": "indoor", "source": "mbus_meter"}


def load_appliances_energy() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Load the Appliances energy data and a tag table for its variables.

    19,735 readings at an exact 10-minute step (2016-01-11 17:00 to
    2016-05-27 18:00) of a low-energy house in Belgium: the energy used by
    the appliances (``Appliances``, Wh) and by the lights, the temperature
    and humidity of nine rooms and facades (``T1``..``T9``,
    ``RH_1``..``RH_9``), six readings of the Chièvres airport weather station,
    and two columns of random noise the authors inserted (``rv1``, ``rv2``).

    Every variable carries four categorical tags: ``kind`` (temperature,
    humidity, pressure, wind_speed, visibility, dew_point, lighting_energy,
    appliances_energy, random), ``location`` (the room or facade, the
    airport, the whole house, none), ``indoor_outdoor`` and ``source``
    (room sensor node, airport weather station, energy meter, synthetic).
    Variables of one ``kind`` correlate far more (mean absolute correlation
    0.68) than others (0.16), and the ``random`` tag of ``rv1``/``rv2`` is a built-in
    negative control.

    The data ships with the package, gzip-compressed but otherwise
    unmodified. Source: UCI Machine Learning Repository, dataset 374
    (doi:10.24432/C5VC8G); L. M. Candanedo, V. Feldheim, D. Deramaix, "Data
    driven prediction models of energy use of appliances in a low-energy
    house", Energy and Buildings 140 (2017) 81-97. Licence CC BY 4.0. The
    tag table was written for sktagembed.

    Returns
    -------
    frame : pandas.DataFrame of shape (19735, 28)
        The numeric columns, indexed by ``date`` (a DatetimeIndex with a
        10-minute frequency).
    tags : pandas.DataFrame of shape (28, 4)
        Categorical tags indexed by variable name, one row per column of
        ``frame``; as ``feature_tags`` its rows beyond the exogenous
        columns (the target's) are ignored.

    Examples
    --------
    >>> from sktagembed.datasets import load_appliances_energy
    >>> frame, tags = load_appliances_energy()
    >>> frame.shape, tags.shape
    ((19735, 28), (28, 4))
    >>> tags.loc["rv1"].tolist()
    ['random', 'none', 'none', 'synthetic']
    """
    data = resources.files(__package__).joinpath("data")
    with resources.as_file(data / "energydata_complete.csv.gz") as path:
        frame = pd.read_csv(path, parse_dates=["date"], index_col="date")
    frame = frame.astype("float64").asfreq("10min")
    with resources.as_file(data / "appliances_energy_tags.csv") as path:
        tags = pd.read_csv(path, index_col="column")
    tags.index.name = "variable"
    appliances = pd.DataFrame([_APPLIANCES_ROW], index=pd.Index(["Appliances"],
                                                                name="variable"))
    return frame, pd.concat([appliances, tags])[list(_APPLIANCES_ROW)]
