"""Training TimeXer through Hugging Face Accelerate (multi-GPU, mixed precision).

Imported only when ``TimeXerRegressor(accelerate=...)`` is set, so the core
package never imports ``accelerate``. The net is skorch's
:class:`~skorch.hf.AccelerateMixin` on top of :class:`InterruptibleNet`, with
four changes that TimeXer's training needs:

* only components with trainable parameters are prepared: DDP refuses the
  parameter-free loss module that skorch would wrap too;
* the validation loss is averaged over the processes, so that early stopping
  takes the same decision in every process (otherwise one process stops and
  the others wait for it forever);
* the prepared (DDP-wrapped) module is unwrapped only after the callbacks'
  ``on_train_end``: skorch unwraps first, and early stopping then loads best
  weights saved under the wrapper's parameter names into the bare module;
* after training the net keeps the bare module and optimiser and pickles
  without its ``Accelerator`` (which holds process-group state); a loaded
  net predicts like any other.
"""

from __future__ import annotations

from typing import Any

import torch

from .._utils.optional import import_optional
from .._utils.training import BatchLoader, InterruptibleNet
from ..exceptions import InputValueError

import_optional("accelerate", "TimeXerRegressor(accelerate=...)")

from accelerate import Accelerator, PartialState  # noqa: E402
from accelerate.optimizer import AcceleratedOptimizer  # noqa: E402
from skorch.hf import AccelerateMixin  # noqa: E402


def print_on_main_process(*args: Any, **kwargs: Any) -> None:
    """``print`` in the main process only (picklable, unlike a bound
    ``Accelerator.print``)."""
    PartialState().print(*args, **kwargs)


def make_accelerator(options: bool | dict, device: str) -> Accelerator:
    """The ``Accelerator`` for ``TimeXerRegressor(accelerate=options)``.

    The net places the model and the (already batched) windows itself, on the
    process's device, so Accelerate's device placement is off. The learning
    rate schedule steps once per epoch, never once per optimiser step.
    """
    kwargs: dict[str, Any] = {} if options is True else dict(options)
    for fixed in ("device_placement", "step_scheduler_with_optimizer"):
        if fixed in kwargs:
            raise InputValueError(
                f"accelerate={{{fixed!r}: ...}} is not an option: TimeXerRegressor "
                "places its data itself and steps its schedule once per epoch."
            )
    if device == "cpu":
        kwargs.setdefault("cpu", True)
    elif device != "auto":
        raise InputValueError(
            f"With accelerate, device must be 'auto' or 'cpu', got {device!r}: "
            "the Accelerator gives each process its device (one GPU per "
            "process under `accelerate launch`)."
        )
    return Accelerator(device_placement=False,
                       step_scheduler_with_optimizer=False, **kwargs)


class ShardedBatches:
    """One process's share of a loader's batches: every ``n_shards``-th batch
    from its own index on, wrapping around at the end so that every process
    runs the same number of steps (as Accelerate's ``even_batches``)."""

    def __init__(self, loader: BatchLoader, n_shards: int, index: int) -> None:
        self.loader, self.n_shards, self.index = loader, n_shards, index

    def __len__(self) -> int:
        return -(-len(self.loader) // self.n_shards)

    def __iter__(self):
        # Every process draws the same order: torch is seeded alike in each.
        order = self.loader.epoch_order()
        n_batches = len(self.loader)
        for k in range(len(self)):
            number = (self.index + k * self.n_shards) % n_batches
            yield self.loader.batch_at(order, number)


class AcceleratedNet(AccelerateMixin, InterruptibleNet):
    """:class:`InterruptibleNet` trained through an ``Accelerator``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("callbacks__print_log__sink", print_on_main_process)
        kwargs.setdefault("unwrap_after_train", False)  # see partial_fit
        super().__init__(*args, **kwargs)

    def _initialize_accelerator(self):
        # skorch prepares every module and criterion; DDP refuses a module
        # without trainable parameters (the MSE criterion), so those stay
        # bare. Learning-rate schedulers stay bare too: they step per epoch.
        if self._wrapped_with_accelerator:
            return self
        for name in self._modules + self._criteria:
            component = getattr(self, name + "_")
            if isinstance(component, torch.nn.Module) and any(
                    p.requires_grad for p in component.parameters()):
                setattr(self, name + "_", self.accelerator.prepare(component))
        for name in self._optimizers:
            optimizer = getattr(self, name + "_")
            if isinstance(optimizer, torch.optim.Optimizer):
                setattr(self, name + "_", self.accelerator.prepare(optimizer))
        self._wrapped_with_accelerator = True
        return self

    def get_iterator(self, dataset, training=False):
        # skorch hands the iterator to accelerator.prepare, which shards only
        # DataLoaders; our BatchLoader is sharded here the same way.
        iterator = super(AccelerateMixin, self).get_iterator(dataset, training)
        state = self.accelerator.state
        return ShardedBatches(iterator, state.num_processes, state.process_index)

    def validation_step(self, batch, **fit_params):
        step = super().validation_step(batch, **fit_params)
        step["loss"] = self.accelerator.reduce(step["loss"], reduction="mean")
        return step

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        try:
            return super().partial_fit(X, y, classes, **fit_params)
        finally:
            self._unwrap_accelerator()
            self._unwrap_optimizers()

    def _unwrap_optimizers(self) -> None:
        """Put the bare optimisers back, also in the learning-rate schedulers
        (an ``AcceleratedOptimizer`` does not pickle)."""
        for name in self._optimizers:
            optimizer = getattr(self, name + "_")
            if isinstance(optimizer, AcceleratedOptimizer):
                setattr(self, name + "_", optimizer.optimizer)
        for _, callback in self.callbacks_:
            scheduler = getattr(callback, "lr_scheduler_", None)
            if isinstance(getattr(scheduler, "optimizer", None),
                          AcceleratedOptimizer):
                scheduler.optimizer = scheduler.optimizer.optimizer

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["accelerator"] = None
        return state
