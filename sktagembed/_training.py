"""Training plumbing for the tag-embedding estimator: data, heads, skorch net.

The estimator in :mod:`sktagembed.transformer` stays thin: it validates input,
then hands a tag matrix and a target to :func:`train_tag_embedding`, which
builds and trains a seeded skorch :class:`~skorch.NeuralNet` around the
embedding module and a small prediction head.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, ProgressBar
from skorch.helper import predefined_split
from torch import Tensor, nn
from torch.utils.data import Dataset

from .nn import TagBags, TagEmbedding

TagMatrix = np.ndarray | sp.csr_matrix

#: Below this many rows no validation split is made: early stopping on a
#: handful of rows only adds noise.
MIN_ROWS_FOR_VALIDATION = 20


class StopTraining(Exception):
    """Raised by :class:`StrictEarlyStopping` to end training early."""


class StrictEarlyStopping(EarlyStopping):
    """skorch's early stopping, signalling with :class:`StopTraining`.

    skorch's own callback raises ``KeyboardInterrupt`` to stop, which cannot
    be told apart from a user pressing Ctrl-C.
    """

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            raise StopTraining from None


class InterruptibleNet(NeuralNet):
    """A :class:`~skorch.NeuralNet` that lets ``KeyboardInterrupt`` through.

    skorch's ``partial_fit`` swallows ``KeyboardInterrupt`` and returns a
    half-trained net; the estimators must instead leave no fitted state
    behind when a user interrupts ``fit``. Early stopping ends training with
    :class:`StopTraining` instead.
    """

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        if not self.initialized_:
            self.initialize()
        fit_params.setdefault("_routing_method", "partial_fit")
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(X, y, **fit_params)
        except StopTraining:
            pass
        self.notify("on_train_end", X=X, y=y)
        return self


class TagRows(Dataset):
    """Rows of a tag matrix and their targets, indexed without copying.

    Items are row numbers; :class:`CollateTagRows` gathers a batch of them
    from the matrix at once, so a sparse matrix is never densified. With
    ``reconstruct=True`` the target of a row is its own (binarised) tag set,
    built batch by batch.
    """

    def __init__(self, tags: TagMatrix, target: np.ndarray | None,
                 reconstruct: bool = False) -> None:
        self.tags = tags
        self.target = target
        self.reconstruct = reconstruct

    def __len__(self) -> int:
        return self.tags.shape[0]

    def __getitem__(self, index: int) -> int:
        return index


def matrix_rows_to_input(tags: TagMatrix, rows: np.ndarray | slice) -> dict:
    """Keyword arguments for :class:`EmbeddingWithHead` from some rows.

    Sparse rows travel as one CSR tensor (skorch needs every input to have
    the batch's length) and become :class:`~sktagembed.nn.TagBags` in the
    module.
    """
    block = tags[rows]
    if sp.issparse(block):
        block = sp.csr_matrix(block)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Sparse CSR tensor support")
            csr = torch.sparse_csr_tensor(
                torch.from_numpy(block.indptr.astype(np.int64)),
                torch.from_numpy(block.indices.astype(np.int64)),
                torch.from_numpy(block.data.astype(np.float32, copy=False)),
                size=block.shape,
                check_invariants=False,  # built from a valid scipy CSR matrix
            )
        return {"tags": csr}
    array = np.asarray(block, dtype=np.float32)  # any memory order will do
    if not array.flags.writeable:
        array = array.copy()  # torch.from_numpy wants writable memory
    return {"tags": torch.from_numpy(array)}


class CollateTagRows:
    """Picklable collate function turning row numbers into a model batch."""

    def __init__(self, dataset: TagRows) -> None:
        self.dataset = dataset

    def __call__(self, rows: list[int]) -> tuple[dict, Tensor]:
        rows = np.asarray(rows, dtype=np.int64)
        dataset = self.dataset
        inputs = matrix_rows_to_input(dataset.tags, rows)
        if dataset.reconstruct:
            block = dataset.tags[rows]
            block = block.toarray() if sp.issparse(block) else block
            return inputs, torch.from_numpy((block > 0).astype(np.float32))
        return inputs, torch.from_numpy(dataset.target[rows])


class EmbeddingWithHead(nn.Module):
    """A tag-embedding module followed by a linear head used only to train it."""

    def __init__(self, embedding: TagEmbedding, n_outputs: int) -> None:
        super().__init__()
        self.embedding = embedding
        self.head = nn.Linear(embedding.output_dim, n_outputs)

    def embed(self, tags: Tensor) -> Tensor:
        if tags.layout == torch.sparse_csr:
            tags = TagBags(
                tags.col_indices(), tags.crow_indices()[:-1], tags.values()
            )
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

    def subset(rows: np.ndarray) -> TagRows:
        return TagRows(
            tags[rows], None if target is None else target[rows], reconstruct
        )

    train_set = subset(train_rows)
    callbacks = list(callbacks or [])
    if use_validation and patience:
        callbacks.append(
            StrictEarlyStopping(
                monitor="valid_loss", patience=patience, load_best=True
            )
        )
    if verbose >= 2:
        callbacks.append(ProgressBar())
    net = InterruptibleNet(
        module=EmbeddingWithHead(embedding, objective.n_outputs),
        criterion=objective.criterion,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=weight_decay,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train__shuffle=True,
        iterator_train__collate_fn=CollateTagRows(train_set),
        iterator_valid__collate_fn=None,
        train_split=None,
        callbacks=callbacks,
        device=device,
        verbose=int(verbose >= 1),
    )
    if use_validation:
        valid_set = subset(valid_rows)
        net.set_params(
            train_split=predefined_split(valid_set),
            iterator_valid__collate_fn=CollateTagRows(valid_set),
        )
    if max_epochs > 0:
        net.fit(train_set, y=None)
    else:
        net.initialize()
    net.module_.eval()
    return net


@torch.no_grad()
def embed_in_chunks(
    module: EmbeddingWithHead, tags: TagMatrix, device: str, chunk_rows: int
) -> np.ndarray:
    """Apply the embedding to every row, ``chunk_rows`` rows at a time."""
    module.eval()
    n_rows = tags.shape[0]
    if n_rows <= chunk_rows:
        batch = matrix_rows_to_input(tags, slice(None))["tags"]
        return module.embed(batch.to(device)).cpu().numpy()
    out = np.empty((n_rows, module.embedding.output_dim), dtype=np.float32)
    for start in range(0, n_rows, chunk_rows):
        stop = min(start + chunk_rows, n_rows)
        batch = matrix_rows_to_input(tags, slice(start, stop))["tags"]
        out[start:stop] = module.embed(batch.to(device)).cpu().numpy()
    return out
