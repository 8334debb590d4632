"""The forecaster's training loss: squared or pinball error, weighted and
scaled per series."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from ..exceptions import InputValueError


class ForecastLoss(nn.Module):
    """Mean squared error (``levels=None``) or mean pinball loss over quantile
    levels, of targets divided by their series' scale, weighted.

    The target is a dict from the window dataset: ``target`` (batch, steps,
    n_endo), ``weight`` of each value (0 for unknown values; the row's sample
    weight otherwise) and ``scale`` (batch, 1, n_endo). Dividing by a series'
    scale gives every series of a panel the same say, whatever its units;
    for one series it only rescales the loss.

    Parameters
    ----------
    levels : sequence of float, optional
        Quantile levels in increasing order, matching the model's last axis.
    median_weight : float, default=1.0
        Weight of the median's pinball loss against each other level's; the
        levels' losses are averaged with these weights.
    """

    def __init__(self, levels: Sequence[float] | None = None,
                 median_weight: float = 1.0) -> None:
        super().__init__()
        self.quantile = levels is not None
        levels = list(levels) if levels is not None else []
        self.register_buffer("levels", torch.tensor(levels, dtype=torch.float32))
        # Equal weights take the plain mean, as before the option existed.
        self.weighted = median_weight != 1.0 and len(levels) > 1
        weights = torch.tensor([median_weight if q == 0.5 else 1.0 for q in levels],
                               dtype=torch.float32)
        self.register_buffer("level_weights", weights / weights.sum()
                             if levels else weights)

    def forward(self, prediction: Tensor, truth: dict[str, Tensor]) -> Tensor:
        target, weight, scale = truth["target"], truth["weight"], truth["scale"]
        if self.quantile:
            if prediction.dim() == target.dim():  # one level: no level axis
                prediction = prediction.unsqueeze(-1)
            error = (target.unsqueeze(-1) - prediction) / scale.unsqueeze(-1)
            loss = torch.maximum(self.levels * error, (self.levels - 1) * error)
            # A loss pickled before median_weight existed weighs levels alike.
            loss = ((loss * self.level_weights).sum(dim=-1)
                    if getattr(self, "weighted", False)
                    else loss.mean(dim=-1))
        else:
            loss = ((prediction - target) / scale).square()
        total = weight.sum()
        return (loss * weight).sum() / torch.where(total > 0, total, 1.0)


#: The default quantile levels of the forecaster: the nine deciles.
DECILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def quantile_levels(quantiles) -> list[float]:
    """The model's quantile levels: the user's, sorted, with the median."""
    if quantiles is None:
        return [0.5]
    try:
        levels = [float(q) for q in quantiles]
    except (TypeError, ValueError) as exc:
        raise InputValueError(
            f"quantiles must be a list of levels in (0, 1), got {quantiles!r}."
        ) from exc
    bad = [q for q in levels if not 0 < q < 1]
    if bad or not levels:
        raise InputValueError(
            f"quantiles must be levels in (0, 1), got {quantiles!r}."
        )
    return sorted(set(levels) | {0.5})
