"""Training plumbing both estimators share: one way to build and run a net.

:func:`train_net` builds a seeded skorch :class:`~skorch.NeuralNet` around a
module and trains it on a dataset that gathers whole batches itself
(:class:`BatchLoader`), with early stopping on an optional validation set and
the options the estimators expose. Neither the datasets nor anything holding
the training data are kept in the net's parameters, so a fitted estimator
pickles without its training data.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Protocol

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, LRScheduler, ProgressBar
from skorch.utils import to_tensor
from torch import Tensor, nn

from .torch_utils import autocast, compiled, warn_if_slow_bfloat16


class BatchDataset(Protocol):
    """What :class:`BatchLoader` iterates: a dataset that builds a batch from
    a tensor of item indices in one go."""

    def __len__(self) -> int: ...

    def batch(self, items: Tensor) -> tuple[Any, Any]: ...


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
    """A :class:`~skorch.NeuralNet` that lets ``KeyboardInterrupt`` through,
    and runs its forward passes in the requested precision.

    skorch's ``partial_fit`` swallows ``KeyboardInterrupt`` and returns a
    half-trained net; the estimators must instead leave no fitted state
    behind when a user interrupts ``fit``. Early stopping ends training with
    :class:`StopTraining` instead. With ``precision="bfloat16"`` forward
    passes run under bfloat16 autocast while weights, optimiser state and the
    loss stay float32.
    """

    def __init__(self, *args, precision: str = "float32", **kwargs):
        super().__init__(*args, **kwargs)
        self.precision = precision

    def infer(self, x, **fit_params):
        with autocast(self.device, self.precision):
            return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if self.precision != "float32" and isinstance(y_pred, Tensor):
            y_pred = y_pred.float()
        return super().get_loss(y_pred, y_true, X=X, training=training)

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


class BatchLoader:
    """Batches of a :class:`BatchDataset`, in order or shuffled each epoch.

    With ``max_batches``, an epoch is at most that many batches: shuffled,
    a fresh random subset of the items each epoch (drawn without
    replacement within the epoch), so a budget of steps still reaches
    every item over the epochs of a long series.

    Used as skorch's ``iterator_train``/``iterator_valid`` in place of a
    :class:`~torch.utils.data.DataLoader`: the dataset gathers a batch with
    one indexing operation instead of item by item, and the net's parameters
    hold this class, not a collate function bound to the data. Shuffling
    draws from torch's global generator, which the estimators seed.
    """

    def __init__(self, dataset: BatchDataset, batch_size: int,
                 shuffle: bool = False, max_batches: int | None = None) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.max_batches = max_batches

    def __len__(self) -> int:
        n_batches = math.ceil(len(self.dataset) / self.batch_size)
        if self.max_batches is None:
            return n_batches
        return min(n_batches, self.max_batches)

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        order = self.epoch_order()
        for number in range(len(self)):
            yield self.batch_at(order, number)

    def epoch_order(self) -> Tensor:
        """The order of the items in one epoch."""
        n_items = len(self.dataset)
        return torch.randperm(n_items) if self.shuffle else torch.arange(n_items)

    def batch_at(self, order: Tensor, number: int) -> tuple[Any, Any]:
        """Batch ``number`` of an epoch with the item order ``order``."""
        start = number * self.batch_size
        return self.dataset.batch(order[start:start + self.batch_size])


class TrainValid(torch.utils.data.Dataset):
    """The training set with its validation set, for :func:`split_train_valid`."""

    def __init__(self, train: BatchDataset, valid: BatchDataset | None) -> None:
        self.train = train
        self.valid = valid

    def __len__(self) -> int:
        return len(self.train)


def split_train_valid(dataset: TrainValid, *args, **kwargs):
    """skorch ``train_split``: the validation set the estimator chose."""
    return dataset.train, dataset.valid


class WarmupCosine:
    """Learning-rate factor of a step: a linear warm-up over the first
    ``warmup`` steps, then a cosine decay to zero at step ``total``
    (picklable, for :class:`torch.optim.lr_scheduler.LambdaLR`)."""

    def __init__(self, total: int, warmup: int) -> None:
        self.total, self.warmup = max(total, 1), max(warmup, 1)

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / self.warmup
        progress = min((step - self.warmup) / max(self.total - self.warmup, 1), 1.0)
        return 0.5 * (1.0 + math.cos(math.pi * progress))


class HalvingAfterSecondEpoch:
    """Learning-rate factor of an epoch (0-based): 1 for the first two
    epochs, then halved at the end of every epoch (picklable, for
    :class:`torch.optim.lr_scheduler.LambdaLR`).

    The reference TimeXer's ``lradj="type1"``: its ``adjust_learning_rate``
    runs after epoch ``k`` (1-based) with the factor ``0.5 ** (k - 1)``, so the
    first halving takes effect in the third epoch.
    """

    def __call__(self, epoch: int) -> float:
        return 0.5 ** max(epoch - 1, 0)


def learning_rate_schedule(kind: str, max_epochs: int,
                           steps_per_epoch: int) -> LRScheduler:
    """The callback of a learning-rate schedule: ``"cosine"`` (warm-up over
    5% of the steps, then a cosine decay, stepped every batch) or
    ``"halving"`` (two epochs at the full rate, then halved after every
    epoch, as the reference TimeXer)."""
    if kind == "halving":
        return LRScheduler(policy=torch.optim.lr_scheduler.LambdaLR,
                           lr_lambda=HalvingAfterSecondEpoch())
    total = max_epochs * steps_per_epoch
    return LRScheduler(policy=torch.optim.lr_scheduler.LambdaLR,
                       lr_lambda=WarmupCosine(total, math.ceil(0.05 * total)),
                       step_every="batch")


def train_net(
    module: nn.Module,
    train: BatchDataset,
    valid: BatchDataset | None,
    *,
    criterion: nn.Module | type[nn.Module],
    optimizer: type[torch.optim.Optimizer],
    lr: float,
    max_epochs: int,
    batch_size: int,
    patience: int,
    device: str,
    verbose: int,
    callbacks: list[Callback] | None = None,
    net_class: type[NeuralNet] = InterruptibleNet,
    precision: str = "float32",
    compile: bool = False,
    steps_per_epoch: int | None = None,
    **net_options: Any,
) -> NeuralNet:
    """Build a skorch net around ``module`` and train it; ``max_epochs=0``
    only initialises it. The module is left in eval mode.

    Must run inside :func:`~sktagembed._utils.torch_utils.seeded_torch`, so that
    initialisation and the shuffling of batches are reproducible.

    Parameters
    ----------
    module : nn.Module
        The (initialised) module to train.
    train, valid : BatchDataset
        Training and validation sets; ``valid=None`` trains without
        validation (and without early stopping).
    criterion, optimizer, lr, max_epochs, batch_size
        As for :class:`~skorch.NeuralNet`; optimizer options go in
        ``net_options`` as ``optimizer__*``.
    patience : int
        Early stopping on the validation loss, restoring the best weights;
        0 turns it off.
    device : str
        A resolved torch device.
    verbose : int
        1 prints skorch's epoch table, 2 adds a batch progress bar.
    callbacks : list, optional
        The user's callbacks, run before the ones added here.
    net_class : type, default=InterruptibleNet
        The net class (the Accelerate integration passes its own).
    precision : {"float32", "bfloat16"}, default="float32"
        The precision of the forward passes (bfloat16 autocast).
    compile : bool, default=False
        Train a ``torch.compile``-d module (tried on one batch first; a
        warning and eager training where that fails). The fitted net keeps
        the plain module, which pickles.
    steps_per_epoch : int, optional
        At most this many training batches an epoch, each epoch a fresh
        random subset of the training set; ``None``: every item once.
    **net_options
        Further :class:`~skorch.NeuralNet` parameters.
    """
    warn_if_slow_bfloat16(device, precision)
    if compile and max_epochs > 0:
        module = compiled(module, _trial(train, batch_size, device, precision))
    callbacks = list(callbacks or [])
    if valid is not None and patience:
        callbacks.append(StrictEarlyStopping(monitor="valid_loss",
                                             patience=patience, load_best=True))
    if verbose >= 2:
        callbacks.append(ProgressBar())
    net = net_class(
        module=module,
        criterion=criterion,
        optimizer=optimizer,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        iterator_train=BatchLoader,
        iterator_train__shuffle=True,
        iterator_train__max_batches=steps_per_epoch,
        iterator_valid=BatchLoader,
        train_split=split_train_valid if valid is not None else None,
        callbacks=callbacks,
        device=device,
        verbose=int(verbose >= 1),
        precision=precision,
        **net_options,
    )
    if max_epochs > 0:
        net.fit(TrainValid(train, valid) if valid is not None else train, y=None)
    else:
        net.initialize()
    # The compiled wrapper does not pickle; the trained weights are its
    # original module's.
    net.module = net.module_ = getattr(net.module_, "_orig_mod", net.module_)
    net.module_.eval()
    return net


def _trial(train: BatchDataset, batch_size: int, device: str, precision: str):
    """A forward and backward pass of one training batch through a module."""
    inputs, _ = train.batch(torch.arange(min(batch_size, len(train))))
    inputs = to_tensor(inputs, device=device)

    def run(module: nn.Module) -> None:
        module.to(device).train()
        with autocast(device, precision):
            out = module(**inputs)
        out.float().sum().backward()

    return run
