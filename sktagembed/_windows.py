"""Look-back windows gathered batch by batch, never materialised."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ._layout import ColumnLayout
from ._series import SeriesIndex


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
    target : Tensor of shape (n_rows, n_outputs) or None
        Targets by original row; None serves zeros (for prediction).
    lookback : int
        Window length.
    layout : ColumnLayout
        Splits gathered windows into the model's inputs.
    device : str
        Where the index tensors live (the data's device).
    """

    def __init__(self, data: Tensor, series: SeriesIndex, rows: np.ndarray,
                 target: Tensor | None, lookback: int, layout: ColumnLayout,
                 device: str):
        self.data = data
        self.rows = rows
        self.position = torch.from_numpy(series.position[rows]).to(device)
        self.start = torch.from_numpy(series.start[rows]).to(device)
        self.target_rows = torch.from_numpy(rows).to(device)
        self.target = target
        self.offsets = torch.arange(1 - lookback, 1, device=device)
        self.layout = layout
        self.column_index = layout.column_index(device)

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, items: Tensor) -> tuple[dict, Tensor]:
        """Model inputs and targets of the windows ``items``."""
        items = items.to(self.position.device)
        ends = self.position[items]
        index = ends.unsqueeze(1) + self.offsets  # (batch, lookback)
        # Rows before the series' start repeat its first row (left padding).
        index = torch.maximum(index, self.start[items].unsqueeze(1))
        inputs = self.layout.split(self.data[index], self.column_index)
        if self.target is None:
            return inputs, torch.zeros(len(items))
        target = self.target[self.target_rows[items]]
        n_endo = len(self.layout.endogenous)
        # (batch, n_endo * steps) -> (batch, steps, n_endo), variable-major.
        target = target.reshape(len(items), n_endo, -1).transpose(1, 2)
        return inputs, target


def flatten_forecast(forecast: Tensor) -> Tensor:
    """(batch, steps, n_endo) -> (batch, n_endo * steps), variable-major."""
    return forecast.transpose(1, 2).reshape(forecast.shape[0], -1)
