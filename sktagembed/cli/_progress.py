"""A one-line progress bar over training epochs, for the command line."""

from __future__ import annotations

from skorch.callbacks import Callback
from tqdm.auto import tqdm


class EpochProgressBar(Callback):
    """Show one ``tqdm`` bar per training run, advancing once per epoch.

    Parameters
    ----------
    description : str, default="training"
        Text shown before the bar.
    disable : bool, default=False
        Show nothing (``--quiet``).
    """

    def __init__(self, description: str = "training", disable: bool = False):
        self.description = description
        self.disable = disable

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=net.max_epochs, desc=self.description,
                         unit="epoch", disable=self.disable, leave=False)

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        losses = {key: f"{row[key]:.4g}" for key in ("train_loss", "valid_loss")
                  if key in row}
        self.bar_.set_postfix(losses, refresh=False)
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
