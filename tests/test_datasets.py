"""Bundled ETTh1 and Appliances energy, and the generated tagged-sensor panels."""

import numpy as np
import pandas as pd
import pytest

from sktagembed.datasets import load_etth1, make_tagged_sensors


def test_etth1_frame_and_tags():
    frame, tags = load_etth1()
    assert frame.shape == (17420, 7)
    assert list(frame.columns) == ["HUFL", "HULL", "MUFL", "MULL", "LUFL",
                                   "LULL", "OT"]
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.is_monotonic_increasing
    assert frame.notna().all().all()
    assert tags.shape == (6, 5)
    assert list(tags.index) == list(frame.columns[:-1])
    level = tags.filter(like="level=")
    kind = tags.filter(like="kind=")
    assert (level.sum(axis=1) == 1).all() and (kind.sum(axis=1) == 1).all()
    for name in tags.index:  # the name spells the tags: H/M/L + UF/UL
        active = set(tags.columns[tags.loc[name]])
        expected_level = {"H": "High", "M": "Middle", "L": "Low"}[name[0]]
        expected_kind = {"UF": "Useful", "UL": "Useless"}[name[1:3]]
        assert active == {f"level={expected_level}", f"kind={expected_kind}"}


def test_tagged_sensors_are_deterministic():
    first = make_tagged_sensors(random_state=3)
    second = make_tagged_sensors(random_state=3)
    other = make_tagged_sensors(random_state=4)
    pd.testing.assert_frame_equal(first.frame, second.frame)
    pd.testing.assert_series_equal(first.truth, second.truth)
    assert not first.frame.equals(other.frame)


def test_tagged_sensors_target_follows_the_documented_model():
    data = make_tagged_sensors(n_series=2, n_steps=120, noise=0.05,
                               random_state=0)
    sensors = list(data.tags.index)
    # Each sensor's weight is the sum of its three tag effects.
    for sensor in sensors:
        expected = sum(data.truth[f"{c}={data.tags.loc[sensor, c]}"]
                       for c in data.tags.columns)
        assert data.sensor_weights[sensor] == pytest.approx(expected)
    for _, panel in data.frame.groupby(data.group):
        readings = panel[sensors].to_numpy()
        target = panel[data.target].to_numpy()
        residual = target[1:] - readings[:-1] @ data.sensor_weights.to_numpy()
        assert np.std(residual) == pytest.approx(0.05, rel=0.3)
        assert list(panel["time"]) == list(range(120))


def test_tagged_sensors_tags_cover_every_category():
    data = make_tagged_sensors(n_sensors=9, random_state=0)
    assert set(data.tags["SensorType"]) == {"Temperature", "Pressure", "Humidity"}
    assert set(data.tags["Location"]) == {"North", "South", "East"}
    with pytest.raises(ValueError, match="n_steps"):
        make_tagged_sensors(n_steps=1)


def test_appliances_energy_ships_unmodified_with_a_tag_row_per_column():
    import gzip
    import hashlib
    from importlib import resources

    from sktagembed.datasets import load_appliances_energy

    frame, tags = load_appliances_energy()
    assert frame.shape == (19735, 28)
    assert frame.index.freq == "10min" and not frame.isna().any().any()
    assert frame.index[0] == pd.Timestamp("2016-01-11 17:00")
    assert sorted(tags.index) == sorted(frame.columns)
    assert tags.columns.tolist() == ["kind", "location", "indoor_outdoor", "source"]
    assert set(tags.index[tags["kind"] == "random"]) == {"rv1", "rv2"}
    packed = resources.files("sktagembed.datasets").joinpath(
        "data", "energydata_complete.csv.gz").read_bytes()
    digest = hashlib.sha256(gzip.decompress(packed)).hexdigest()
    assert digest == ("2820bf712ad0275cb18b85a05250926100d8e65ebb9f4d2d016ca91ea1"
                      "52a25d")
    licence = resources.files("sktagembed.datasets").joinpath(
        "data", "APPLIANCES_ENERGY_LICENSE.txt").read_text()
    assert "CC BY 4.0" in licence and "Candanedo" in licence
