"""A generated multi-series sensor data set with a known ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from ..exceptions import InputValueError

SENSOR_TYPES = ("Temperature", "Pressure", "Humidity")
LOCATIONS = ("North", "South", "East")
UNITS = ("Metric", "Imperial")


def make_tagged_sensors(
    n_series: int = 3,
    n_steps: int = 200,
    n_sensors: int = 9,
    *,
    persistence: float = 0.8,
    noise: float = 0.1,
    random_state=None,
) -> Bunch:
    """Generate sensor panels whose target depends on the sensors' tags.

    Each sensor has three categorical tags, ``SensorType`` (Temperature,
    Pressure, Humidity), ``Location`` (North, South, East) and ``Unit``
    (Metric, Imperial), the tag dimensions of the seed document. The
    generative model is:

    - every tag ``k`` has an effect ``c_k ~ N(0, 1)``; a sensor's weight is
      the sum of the effects of its three tags, ``w_s = sum_{k in tags(s)} c_k``;
    - in every series ``g``, sensor ``s`` reads an AR(1) process
      ``x[g, s, t] = persistence * x[g, s, t-1] + e``, ``e ~ N(0, 1)``, with
      ``x[g, s, 0] ~ N(0, 1)``;
    - the target is driven by the previous step's readings:
      ``y[g, t] = sum_s w_s x[g, s, t-1] + noise * u``, ``u ~ N(0, 1)``,
      and ``y[g, 0] = noise * u``.

    So the target depends on a sensor only through its tags, and a model that
    knows the tags can share what it learns between sensors of a kind.

    Parameters
    ----------
    n_series : int, default=3
        Number of independent series (panels).
    n_steps : int, default=200
        Time steps per series.
    n_sensors : int, default=9
        Number of sensors (exogenous columns); the first sensors cycle through
        the types and locations so every tag occurs when ``n_sensors >= 3``.
    persistence : float, default=0.8
        AR(1) coefficient of the sensor readings, in (-1, 1).
    noise : float, default=0.1
        Standard deviation of the target noise.
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives identical data.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``frame``: DataFrame with columns ``series``, ``time``, one column per
        sensor (``sensor_0`` ...) and ``target``, rows in time order within
        each series; ``tags``: DataFrame indexed by sensor name with the
        categorical columns ``SensorType``, ``Location``, ``Unit``;
        ``target`` and ``group``: the names of the target and series columns;
        ``truth``: Series of the tag effects ``c_k`` indexed by tag name
        (``SensorType=Temperature`` ...); ``sensor_weights``: Series of
        ``w_s`` indexed by sensor name.

    Examples
    --------
    >>> from sktagembed.datasets import make_tagged_sensors
    >>> data = make_tagged_sensors(n_series=2, n_steps=50, random_state=0)
    >>> data.frame.shape, data.tags.shape
    ((100, 12), (9, 3))
    """
    if n_series < 1 or n_steps < 2 or n_sensors < 1:
        raise InputValueError(
            "n_series and n_sensors must be >= 1 and n_steps >= 2, got "
            f"n_series={n_series}, n_steps={n_steps}, n_sensors={n_sensors}."
        )
    if not -1 < persistence < 1:
        raise InputValueError(f"persistence must be in (-1, 1), got {persistence}.")
    rng = check_random_state(random_state)
    sensors = [f"sensor_{i}" for i in range(n_sensors)]
    tags = pd.DataFrame(
        {
            "SensorType": [SENSOR_TYPES[i % 3] for i in range(n_sensors)],
            "Location": [LOCATIONS[(i // 3 + i) % 3] for i in range(n_sensors)],
            "Unit": [UNITS[rng.randint(2)] for _ in range(n_sensors)],
        },
        index=pd.Index(sensors, name="sensor"),
    )
    tag_names = [f"SensorType={v}" for v in SENSOR_TYPES] + [
        f"Location={v}" for v in LOCATIONS
    ] + [f"Unit={v}" for v in UNITS]
    truth = pd.Series(rng.normal(size=len(tag_names)), index=tag_names,
                      name="effect")
    weights = pd.Series(
        [sum(truth[f"{column}={tags.loc[s, column]}"] for column in tags.columns)
         for s in sensors],
        index=sensors, name="weight",
    )

    frames = []
    for series in range(n_series):
        readings = np.empty((n_steps, n_sensors))
        readings[0] = rng.normal(size=n_sensors)
        shocks = rng.normal(size=(n_steps, n_sensors))
        for t in range(1, n_steps):
            readings[t] = persistence * readings[t - 1] + shocks[t]
        target = noise * rng.normal(size=n_steps)
        target[1:] += readings[:-1] @ weights.to_numpy()
        frame = pd.DataFrame(readings, columns=sensors)
        frame.insert(0, "time", np.arange(n_steps))
        frame.insert(0, "series", series)
        frame["target"] = target
        frames.append(frame)
    return Bunch(
        frame=pd.concat(frames, ignore_index=True),
        tags=tags,
        target="target",
        group="series",
        truth=truth,
        sensor_weights=weights,
    )
