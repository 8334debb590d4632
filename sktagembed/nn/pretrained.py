"""A bag of tags over a given table: ``pretrained``."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ..exceptions import InputValueError
from ._bags import TagBatch, bag_sum
from ._base import TagEmbedding


class PretrainedTagEmbedding(TagEmbedding):
    """``X E`` with the tag table ``E`` given, fixed or fine-tuned.

    Parameters
    ----------
    weights : array-like or Tensor of shape (K, d)
        The tag table, row ``j`` for tag ``j``.
    freeze : bool, default=True
        Keep the table fixed: it is then a buffer, not a parameter, and
        gradients never reach it.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import PretrainedTagEmbedding
    >>> module = PretrainedTagEmbedding([[1.0, 0.0], [0.0, 2.0]])
    >>> module(torch.tensor([[1.0, 1.0]]))
    tensor([[1., 2.]])
    """

    def __init__(self, weights, freeze: bool = True):
        table = torch.as_tensor(np.asarray(weights, dtype=np.float32)
                                if not isinstance(weights, Tensor) else weights)
        if table.ndim != 2 or 0 in table.shape:
            raise InputValueError(
                "pretrained weights must be a non-empty 2-D table (n_tags, "
                f"embedding_dim), got shape {tuple(table.shape)}."
            )
        if not torch.isfinite(table).all():
            raise InputValueError("pretrained weights contain NaN or infinite values.")
        super().__init__(table.shape[0], table.shape[1])
        table = table.detach().to(torch.float32).clone()
        self.freeze = bool(freeze)
        if self.freeze:
            self.register_buffer("weight", table)
        else:
            self.weight = nn.Parameter(table)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        return bag_sum(self.weight, tags)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, freeze={self.freeze}"
