"""Windows gathered batch by batch from the data, never materialised.

For a forecast made at row ``t`` a window holds rows ``t - lookback + 1 .. t``
of its series (rows before the series' start repeat its first row), and the
known-future covariates also rows ``t + 1 .. t + horizon`` (rows past the
series' end are missing values, which the model masks). Nothing else from
after ``t`` is ever gathered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ._layout import ColumnLayout
from ._series import SeriesIndex


class SeriesFeatures:
    """What each window gets from its series: the target's location and
    scale, and the series' tag row.

    Parameters
    ----------
    location, scale : Tensor of shape (n_stats, n_endogenous)
        Per-series target statistics (the last row: all series together,
        for series not seen in training).
    tags : Tensor or tuple of Tensors, optional
        Tag rows of the series of the tag table: a dense ``(n, K)`` tensor,
        or CSR arrays ``(crow, col, values, K)``.
    pass_location : bool
        Give the model the location and scale (``target_scaling="series"``);
        otherwise they only scale the loss.
    """

    def __init__(self, location: Tensor, scale: Tensor, tags=None,
                 pass_location: bool = False):
        self.location, self.scale = location, scale
        self.tags = tags
        self.pass_location = pass_location

    def to(self, device) -> SeriesFeatures:
        tags = self.tags
        if isinstance(tags, tuple):
            tags = (*(t.to(device) for t in tags[:3]), tags[3])
        elif tags is not None:
            tags = tags.to(device)
        return SeriesFeatures(self.location.to(device), self.scale.to(device),
                              tags, self.pass_location)

    def inputs(self, stat_rows: Tensor, tag_rows: Tensor) -> dict:
        inputs = {}
        if self.pass_location:
            inputs["target_location"] = self.location[stat_rows].unsqueeze(1)
            inputs["target_scale"] = self.scale[stat_rows].unsqueeze(1)
        if isinstance(self.tags, tuple):
            inputs["series_tags"] = _csr_rows(*self.tags, tag_rows)
        elif self.tags is not None:
            inputs["series_tags"] = self.tags[tag_rows]
        return inputs


class WindowDataset(torch.utils.data.Dataset):
    """Windows ending at given rows, gathered from the data a batch at a time.

    Parameters
    ----------
    data : Tensor of shape (n_rows, n_columns)
        The table in storage order (:meth:`SeriesIndex.sorted`).
    series : SeriesIndex
        Where each row sits.
    rows : ndarray
        Rows (original numbering) whose windows the dataset serves.
    lookback : int
        Window length.
    layout : ColumnLayout
        Splits gathered windows into the model's inputs.
    device : str
        Where the index tensors live (the data's device).
    horizon : int, default=0
        Steps of the known-future covariates past each row.
    target : Tensor of shape (n_rows, n_outputs), optional
        Targets by original row (NaN: unknown); None serves zeros.
    weight : Tensor of shape (n_rows,), optional
        Sample weight of each row (default 1).
    features : SeriesFeatures, optional
        Per-series inputs; ``stat_rows``/``tag_rows`` give each row's entries.
    stat_rows, tag_rows : ndarray of shape (n_rows,), optional
    """

    def __init__(self, data: Tensor, series: SeriesIndex, rows: np.ndarray,
                 lookback: int, layout: ColumnLayout, device: str, *,
                 horizon: int = 0, target: Tensor | None = None,
                 weight: Tensor | None = None,
                 features: SeriesFeatures | None = None,
                 stat_rows: np.ndarray | None = None,
                 tag_rows: np.ndarray | None = None):
        def on_device(array: np.ndarray) -> Tensor:
            return torch.from_numpy(np.ascontiguousarray(array)).to(device)

        self.data = data
        self.rows = rows
        self.position = on_device(series.position[rows])
        self.start = on_device(series.start[rows])
        self.target_rows = on_device(rows)
        self.target, self.weight = target, weight
        self.offsets = torch.arange(1 - lookback, 1, device=device)
        self.layout = layout
        self.column_index = layout.column_index(device)
        self.future = None
        if layout.future:
            # Only the future columns are gathered over the horizon.
            self.future = data[:, layout.positions("future")].contiguous()
            self.stop = on_device(series.stop[rows])
            self.future_offsets = torch.arange(1 - lookback, horizon + 1,
                                               device=device)
        self.features = features
        if features is not None:
            self.stat_rows = on_device(stat_rows[rows])
            self.tag_rows = None if tag_rows is None else on_device(tag_rows[rows])

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, items: Tensor) -> tuple[dict, Tensor | dict]:
        """Model inputs and targets of the windows ``items``."""
        items = items.to(self.position.device)
        ends = self.position[items].unsqueeze(1)
        start = self.start[items].unsqueeze(1)
        index = torch.maximum(ends + self.offsets, start)  # left padding
        future = None
        if self.future is not None:
            future_index = torch.maximum(ends + self.future_offsets, start)
            stop = self.stop[items].unsqueeze(1)
            future = self.future[torch.minimum(future_index, stop - 1)]
            future[future_index >= stop] = float("nan")  # past the series' end
        inputs = self.layout.split(self.data[index], future, self.column_index)
        if self.features is not None:
            tag_rows = None if self.tag_rows is None else self.tag_rows[items]
            inputs.update(self.features.inputs(self.stat_rows[items], tag_rows))
        if self.target is None:
            return inputs, torch.zeros(len(items))
        return inputs, self._targets(items)

    def _targets(self, items: Tensor) -> dict:
        n_endo = len(self.layout.endogenous)
        target = self.target[self.target_rows[items]]
        # (batch, n_endo * steps) -> (batch, steps, n_endo), variable-major.
        target = target.reshape(len(items), n_endo, -1).transpose(1, 2)
        known = torch.isfinite(target)
        weight = known.to(target.dtype)
        if self.weight is not None:
            weight = weight * self.weight[self.target_rows[items]].view(-1, 1, 1)
        if self.features is not None:
            scale = self.features.scale[self.stat_rows[items]].unsqueeze(1)
        else:
            scale = torch.ones(len(items), 1, n_endo, device=target.device)
        return {"target": torch.where(known, target, 0.0), "weight": weight,
                "scale": scale}


class SeriesContext:
    """What windows get from their series, learned in ``fit``: each fitted
    series' target statistics (with those of all series together, for series
    not seen in training), how forecasts return to the target's units, and
    the series tag table.

    Parameters
    ----------
    ids : ndarray
        The series of the training data.
    location, scale : ndarray of shape (len(ids) + 1, n_endogenous)
    scaling : {"window", "series"}
    tags : SeriesTagTable or None
    """

    def __init__(self, ids: np.ndarray, location: np.ndarray, scale: np.ndarray,
                 scaling: str, tags=None):
        self.ids, self.location, self.scale = ids, location, scale
        self.scaling, self.tags = scaling, tags

    def source(self, data: np.ndarray, series: SeriesIndex, layout: ColumnLayout,
               lookback: int, horizon: int, device: str) -> WindowSource:
        """The windows of a table (``data`` and where its rows sit)."""
        stat_rows = pd.Index(self.ids).get_indexer(pd.Index(series.labels))
        stat_rows[stat_rows < 0] = len(self.ids)  # unseen: all series together
        tag_rows = (None if self.tags is None else
                    self.tags.rows(series.labels)[series.codes])
        features = SeriesFeatures(
            torch.from_numpy(self.location), torch.from_numpy(self.scale),
            None if self.tags is None else self.tags.tensors(),
            pass_location=self.scaling == "series",
        ).to(device)
        return WindowSource(torch.from_numpy(series.sorted(data)).to(device), series,
                            layout, lookback, horizon, device, features,
                            stat_rows[series.codes], tag_rows)


class WindowSource:
    """A table ready for windows: what every window of it shares (the data on
    the device, where rows sit, per-series inputs), to make datasets of the
    windows ending at any rows."""

    def __init__(self, data, series, layout, lookback, horizon, device, features,
                 stat_rows, tag_rows):
        self.data, self.series, self.layout = data, series, layout
        self.lookback, self.horizon, self.device = lookback, horizon, device
        self.features, self.stat_rows, self.tag_rows = features, stat_rows, tag_rows

    def windows(self, rows, target=None, weight=None) -> WindowDataset:
        return WindowDataset(self.data, self.series, rows, self.lookback,
                             self.layout, self.device, horizon=self.horizon,
                             target=target, weight=weight, features=self.features,
                             stat_rows=self.stat_rows, tag_rows=self.tag_rows)


def flatten_forecast(forecast: Tensor) -> Tensor:
    """(batch, steps, n_endo[, n_levels]) -> (batch, n_endo * steps[, n_levels]),
    variable-major."""
    moved = forecast.transpose(1, 2)
    return moved.reshape(forecast.shape[0], -1, *forecast.shape[3:])


def _csr_rows(crow: Tensor, col: Tensor, values: Tensor, n_columns: int,
              rows: Tensor) -> Tensor:
    """Rows of a CSR matrix as a sparse COO tensor, gathered on the device."""
    starts, counts = crow[rows], crow[rows + 1] - crow[rows]
    total = int(counts.sum())
    row_ids = torch.repeat_interleave(torch.arange(len(rows), device=rows.device),
                                      counts, output_size=total)
    first = torch.cumsum(counts, 0) - counts
    entry = (torch.repeat_interleave(starts - first, counts, output_size=total)
             + torch.arange(total, device=rows.device))
    return torch.sparse_coo_tensor(
        torch.stack([row_ids, col[entry]]), values[entry],
        size=(len(rows), n_columns), is_coalesced=True, check_invariants=False,
    )
