"""Training a tag-embedding module: tag rows as batches, a head, an objective.

:class:`~sktagembed.TagEmbeddingTransformer` stays thin: it validates input,
then hands a tag matrix and an :class:`Objective` to :func:`train_tag_embedding`,
which trains the embedding module with a small prediction head through
:func:`~sktagembed._utils.training.train_net`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from skorch import NeuralNet
from torch import Tensor, nn

from .._utils.torch_utils import autocast
from .._utils.training import train_net
from ..nn import TagBags, TagEmbedding, dense_to_bags, sparse_to_bags

TagMatrix = np.ndarray | sp.csr_matrix

#: Below this many rows no validation split is made: early stopping on a
#: handful of rows only adds noise.
MIN_ROWS_FOR_VALIDATION = 20
#: Tags sampled per batch as negatives by the sampled reconstruction.
NEGATIVE_SAMPLES = 512


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

    With ``reconstruct="dense"`` the target of a row is its own (binarised)
    tag set, built batch by batch; with ``"sampled"`` the loss reads the tags
    from the input and no target is built.
    """

    def __init__(self, tags: TagMatrix, target: np.ndarray | None,
                 reconstruct: str | None = None,
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
        if self.reconstruct == "sampled":
            target = torch.zeros(len(rows))
        elif self.reconstruct == "dense":
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
    """A tag-embedding module followed by a linear head used only to train it.

    With ``n_negatives`` the head scores only each row's active tags and a
    shared sample of ``n_negatives`` tags per batch (negative sampling), and
    ``forward`` returns ``(positive logits, negative logits, inactive mask,
    row of each positive)`` for :class:`SampledReconstructionLoss`: nothing
    of size ``batch x n_tags`` is built.
    """

    def __init__(self, embedding: TagEmbedding, n_outputs: int,
                 n_negatives: int = 0) -> None:
        super().__init__()
        self.embedding = embedding
        self.head = nn.Linear(embedding.output_dim, n_outputs)
        self.n_negatives = n_negatives

    def embed(self, tags: Tensor) -> Tensor:
        return self.embedding(_as_batch(tags))

    def forward(self, tags: Tensor):
        if not self.n_negatives:
            return self.head(self.embed(tags))
        bags = _as_batch(tags)
        if not isinstance(bags, TagBags):
            bags = dense_to_bags(bags)
        embedded = self.embedding(bags)
        weight, bias = self.head.weight, self.head.bias
        rows = bags.row_ids()
        positive = (embedded[rows] * weight[bags.indices]).sum(-1) + bias[bags.indices]
        n_tags = weight.shape[0]
        negatives = torch.unique(torch.randint(
            n_tags, (min(self.n_negatives, n_tags),), device=weight.device))
        negative = embedded @ weight[negatives].T + bias[negatives]
        # A sampled tag that is active in a row is not a negative of it.
        slot = torch.full((n_tags,), -1, dtype=torch.long, device=weight.device)
        slot[negatives] = torch.arange(len(negatives), device=weight.device)
        hit = slot[bags.indices]
        inactive = torch.ones_like(negative, dtype=torch.bool)
        inactive[rows[hit >= 0], hit[hit >= 0]] = False
        return positive, negative, inactive, rows


class SampledReconstructionLoss(nn.Module):
    """Binary cross-entropy of the active tags against sampled inactive ones,
    each side averaged (weighted by the rows' weights, when given)."""

    def forward(self, prediction, truth) -> Tensor:
        positive, negative, inactive, rows = prediction
        weight = truth["weight"] if isinstance(truth, dict) else None
        row_weight = (torch.ones(len(negative), device=negative.device)
                      if weight is None else weight.to(negative.dtype))
        on = row_weight[rows]
        off = inactive.to(negative.dtype) * row_weight.unsqueeze(1)
        positive_loss = (F.softplus(-positive) * on).sum() / on.sum().clamp(min=1e-12)
        negative_loss = (F.softplus(negative) * off).sum() / off.sum().clamp(min=1e-12)
        return positive_loss + negative_loss


def _as_batch(tags: Tensor):
    """A dense batch as it is, a sparse one as TagBags."""
    return sparse_to_bags(tags) if tags.is_sparse else tags


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
    precision: str = "float32",
    compile: bool = False,
) -> NeuralNet:
    """Train ``embedding`` with a head on ``objective``; return the skorch net.

    Must be called inside :func:`~sktagembed._utils.torch_utils.seeded_torch` so the
    shuffling of batches is reproducible.
    """
    target = objective.target
    reconstruct = {"reconstruction": "dense",
                   "sampled_reconstruction": "sampled"}.get(objective.name)
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

    sampled = reconstruct == "sampled"
    criterion = SampledReconstructionLoss() if sampled else (
        objective.criterion if weight is None
        else WeightedLoss(objective.criterion))
    return train_net(
        EmbeddingWithHead(embedding, objective.n_outputs,
                          NEGATIVE_SAMPLES if sampled else 0),
        subset(train_rows),
        subset(valid_rows) if use_validation else None,
        criterion=criterion,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=weight_decay,
        # One kernel for the whole update: with a large tag table, the
        # per-tensor update dominates a step.
        optimizer__fused=True,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        patience=patience,
        device=device,
        verbose=verbose,
        callbacks=callbacks,
        precision=precision,
        compile=compile,
    )


@torch.no_grad()
def embed_in_chunks(
    module: EmbeddingWithHead, tags: TagMatrix, device: str, chunk_rows: int,
    precision: str = "float32",
) -> np.ndarray:
    """Apply the embedding to every row, ``chunk_rows`` rows at a time."""
    module.eval()
    n_rows = tags.shape[0]

    def embed(rows: slice) -> np.ndarray:
        with autocast(device, precision):
            batch = rows_to_tensor(tags, rows).to(device)
            return module.embed(batch).float().cpu().numpy()

    if n_rows <= chunk_rows:  # one pass, no copy into a preallocated output
        return embed(slice(None))
    out = np.empty((n_rows, module.embedding.output_dim), dtype=np.float32)
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        out[start:stop] = embed(slice(start, stop))
    return out
