"""Training a tag-embedding module: tag rows as batches, a head, an objective.

:class:`~sktagembed.TagEmbeddingTransformer` stays thin: it validates input,
then hands a tag matrix and an :class:`Objective` to :func:`train_tag_embedding`,
which trains the embedding module with a small prediction head through
:func:`~sktagembed._training.train_net`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from torch import Tensor, nn

from ._training import train_net
from .nn import TagEmbedding, sparse_to_bags

TagMatrix = np.ndarray | sp.csr_matrix

#: Below this many rows no validation split is made: early stopping on a
#: handful of rows only adds noise.
MIN_ROWS_FOR_VALIDATION = 20


def rows_to_tensor(tags: TagMatrix, rows: np.ndarray | slice) -> Tensor:
    """Some rows of a tag matrix as a float32 tensor: dense rows stay dense,
    sparse rows become a coalesced sparse COO tensor (never densified)."""
    block = tags[rows]
    if sp.issparse(block):
        block = sp.csr_matrix(block)
        row_ids = np.repeat(np.arange(block.shape[0]), np.diff(block.indptr))
        indices = torch.from_numpy(np.stack([row_ids, block.indices]).astype(np.int64))
        return torch.sparse_coo_tensor(
            indices, torch.from_numpy(block.data.astype(np.float32)),
            size=block.shape,
            # A CSR matrix with sorted indices is row-major and duplicate-free.
            is_coalesced=block.has_sorted_indices, check_invariants=False,
        )
    array = np.asarray(block, dtype=np.float32)  # any memory order will do
    if not array.flags.writeable:
        array = array.copy()  # torch.from_numpy wants writable memory
    return torch.from_numpy(array)


class TagRows(torch.utils.data.Dataset):
    """Rows of a tag matrix with their targets, gathered a batch at a time.

    With ``reconstruct=True`` the target of a row is its own (binarised) tag
    set, built batch by batch.
    """

    def __init__(self, tags: TagMatrix, target: np.ndarray | None,
                 reconstruct: bool = False,
                 weight: np.ndarray | None = None) -> None:
        self.tags = tags
        self.target = target
        self.reconstruct = reconstruct
        self.weight = weight

    def __len__(self) -> int:
        return self.tags.shape[0]

    def batch(self, items: Tensor) -> tuple[dict, Tensor]:
        rows = items.numpy()
        inputs = {"tags": rows_to_tensor(self.tags, rows)}
        if self.reconstruct:
            block = self.tags[rows]
            block = block.toarray() if sp.issparse(block) else block
            target = torch.from_numpy((block > 0).astype(np.float32))
        else:
            target = torch.from_numpy(self.target[rows])
        if self.weight is None:
            return inputs, target
        return inputs, {"target": target,
                        "weight": torch.from_numpy(self.weight[rows])}


class EmbeddingWithHead(nn.Module):
    """A tag-embedding module followed by a linear head used only to train it."""

    def __init__(self, embedding: TagEmbedding, n_outputs: int) -> None:
        super().__init__()
        self.embedding = embedding
        self.head = nn.Linear(embedding.output_dim, n_outputs)

    def embed(self, tags: Tensor) -> Tensor:
        if tags.is_sparse:
            return self.embedding(sparse_to_bags(tags))
        return self.embedding(tags)

    def forward(self, tags: Tensor) -> Tensor:
        return self.head(self.embed(tags))


@dataclass
class Objective:
    """What the training head predicts and how its loss is measured."""

    name: str
    n_outputs: int
    criterion: type[nn.Module]
    target: np.ndarray | None
    weight: np.ndarray | None = None


class WeightedLoss(nn.Module):
    """A loss with a weight per row: ``sum_i w_i l_i / sum_i w_i``, ``l_i`` the
    row's loss (averaged over its outputs)."""

    def __init__(self, loss: type[nn.Module]) -> None:
        super().__init__()
        self.loss = loss(reduction="none")

    def forward(self, prediction: Tensor, truth: dict[str, Tensor]) -> Tensor:
        loss = self.loss(prediction, truth["target"])
        loss = loss.reshape(len(prediction), -1).mean(dim=1)
        weight = truth["weight"].to(loss.dtype)
        return (loss * weight).sum() / weight.sum().clamp(min=1e-12)


def train_tag_embedding(
    embedding: TagEmbedding,
    tags: TagMatrix,
    objective: Objective,
    *,
    max_epochs: int,
    lr: float,
    batch_size: int,
    weight_decay: float,
    validation_fraction: float,
    patience: int,
    device: str,
    random_state: np.random.RandomState,
    verbose: int,
    callbacks: list | None = None,
) -> NeuralNet:
    """Train ``embedding`` with a head on ``objective``; return the skorch net.

    Must be called inside :func:`~sktagembed._torch_utils.seeded_torch` so the
    shuffling of batches is reproducible.
    """
    target = objective.target
    reconstruct = objective.name == "reconstruction"
    n_rows = tags.shape[0]
    order = random_state.permutation(n_rows)
    n_valid = int(round(validation_fraction * n_rows))
    use_validation = (
        max_epochs > 0 and n_rows >= MIN_ROWS_FOR_VALIDATION and n_valid >= 1
    )
    if use_validation:
        valid_rows, train_rows = np.sort(order[:n_valid]), np.sort(order[n_valid:])
    else:
        valid_rows, train_rows = None, np.arange(n_rows)

    weight = objective.weight

    def subset(rows: np.ndarray) -> TagRows:
        return TagRows(
            tags[rows], None if target is None else target[rows], reconstruct,
            None if weight is None else weight[rows].astype(np.float32),
        )

    return train_net(
        EmbeddingWithHead(embedding, objective.n_outputs),
        subset(train_rows),
        subset(valid_rows) if use_validation else None,
        criterion=(objective.criterion if weight is None
                   else WeightedLoss(objective.criterion)),
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=weight_decay,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        patience=patience,
        device=device,
        verbose=verbose,
        callbacks=callbacks,
    )


@torch.no_grad()
def embed_in_chunks(
    module: EmbeddingWithHead, tags: TagMatrix, device: str, chunk_rows: int
) -> np.ndarray:
    """Apply the embedding to every row, ``chunk_rows`` rows at a time."""
    module.eval()
    n_rows = tags.shape[0]
    if n_rows <= chunk_rows:  # one pass, no copy into a preallocated output
        return module.embed(rows_to_tensor(tags, slice(None)).to(device)).cpu().numpy()
    out = np.empty((n_rows, module.embedding.output_dim), dtype=np.float32)
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        batch = rows_to_tensor(tags, slice(start, stop)).to(device)
        out[start:stop] = module.embed(batch).cpu().numpy()
    return out
