"""TimeXerRegressor: TimeXer with tag-embedded exogenous variates, as an estimator."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import LRScheduler
from torch import nn

from ._checks import (
    FeatureNameRecorder,
    check_feature_names,
    check_target,
    check_training_params,
)
from ._layout import MAX_MAGNITUDE, ColumnLayout, as_time_table
from ._params import check_int, check_option
from ._persistence import PersistenceMixin
from ._tag_embedding import build_tag_module, check_method_options, single_tag_table
from ._torch_utils import resolve_device, seeded_torch, torch_seed_from
from ._training import InterruptibleNet, train_net
from ._windows import WindowDataset, flatten_forecast
from .exceptions import InputTypeError, InputValueError
from .nn import METHODS
from .nn.timexer import TimeXer

MODES = ("MS", "M")
#: Windows per forward pass in ``predict``.
PREDICT_BATCH = 2048


class TimeXerRegressor(PersistenceMixin, RegressorMixin, BaseEstimator):
    """TimeXer forecaster whose exogenous variate tokens can carry tag embeddings.

    ``X`` holds rows in time order (a DataFrame or 2-D array, ``n_steps x
    n_vars``); the model at row ``t`` reads the window of rows
    ``t - lookback + 1 .. t`` and predicts ``y[t]``, the target ``horizon``
    steps ahead (one value, or one per step when ``y`` has several columns;
    :func:`make_forecast_frame` builds such a ``y`` without leakage).

    In the MS setting (default) the ``endogenous`` column is patched and read
    through TimeXer's global token; every other column becomes one exogenous
    variate token. In the M setting every column is endogenous (and also an
    exogenous token), and ``y`` holds one block of steps per column.

    With ``feature_tags`` (a tag table whose rows are the exogenous column
    names) and ``tag_method`` (one of the nine methods), each exogenous token
    gets the variable's tag embedding added, trained end to end.

    Panels of many series (rows of several series interleaved) are given with
    ``groups`` at fit/predict time or with ``group_column``; windows never
    cross a series. Windows are never materialised: the data is held once
    (on the GPU when training there) and each batch gathers its windows.

    Parameters
    ----------
    lookback : int, default=96
        Window length; must be divisible by ``patch_len``.
    patch_len : int, default=16
        Length of the endogenous patches.
    endogenous : str or int, default=None
        Endogenous column (name, or position for arrays) in mode ``"MS"``;
        None: the last. Must be None in mode ``"M"``.
    mode : {"MS", "M"}, default="MS"
        One endogenous series with exogenous ones, or every column endogenous.
    group_column : str, default=None
        Column of ``X`` holding series ids; dropped from the features.
    feature_tags : DataFrame, default=None
        Tag table indexed by exogenous column name (extra rows are ignored);
        its columns are read like ``TagEmbeddingTransformer`` input.
    tag_method : str or None, default="auto"
        Embedding method of the tags, one of the nine methods. ``"auto"``:
        ``"sum"`` when ``feature_tags`` is given, else plain TimeXer. ``None``
        is plain TimeXer even when ``feature_tags`` is given, so that a
        search over ``tag_method`` can include the baseline; a method without
        ``feature_tags`` is an error.
    tag_embedding_dim : int, default=16
        Size of the tag embedding before projection to ``d_model``.
    tag_options : dict, default=None
        Options of the tag method, each read only by the methods named:
        ``pooling`` (sum), ``num_heads`` (multihead), ``hidden_dim`` (mlp,
        attention), ``dropout`` (mlp), ``hierarchy`` (hierarchical; default
        ``"infer"``), ``pretrained``, ``freeze`` and ``handle_missing``
        (pretrained; the table as for ``TagEmbeddingTransformer``). A key
        the chosen method does not read is an error.
    calendar : bool, default=False
        Add hour, day-of-week, day-of-month and day-of-year tokens from the
        DatetimeIndex of ``X``.
    d_model, n_heads, e_layers, d_ff : int, default=128, 8, 1, 256
        Transformer width, attention heads, encoder layers, feed-forward width.
    dropout : float, default=0.1
    use_norm : bool, default=True
        Per-window instance normalisation with de-normalisation.
    max_epochs : int, default=10
    lr : float, default=1e-4
        Adam learning rate, halved after every epoch (the paper's schedule).
    batch_size : int, default=32
    patience : int, default=3
        Early stopping on the validation loss; 0 turns it off.
    validation_fraction : float, default=0.1
        The chronologically last fraction of each series' training windows,
        held out for early stopping (0: none).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available.
    accelerate : bool or dict, default=False
        Train through Hugging Face Accelerate (skorch's Accelerate
        integration; needs ``pip install "sktagembed[accelerate]"``):
        ``True``, or a dict of ``accelerate.Accelerator`` keyword arguments
        such as ``{"mixed_precision": "bf16"}``. Run the training script with
        ``accelerate launch`` for one process per GPU; each process trains on
        its share of every epoch's batches. ``device`` must then be
        ``"auto"`` (the Accelerator picks each process's device) or ``"cpu"``.
    random_state : int, RandomState instance or None, default=None
    verbose : int, default=0
        1 prints skorch's epoch table, 2 adds a batch progress bar.
    callbacks : list of skorch callbacks, default=None

    Attributes
    ----------
    net_ : skorch.NeuralNet
        The trained net.
    exogenous_columns_ : list of str
        The exogenous variables, in token order.
    endogenous_columns_ : list of str
        The endogenous variables.
    tag_names_ : list of str or None
        Tags of ``feature_tags``.
    tag_embeddings_ : DataFrame or None
        The learned embedding of each tag alone (one row per tag), when
        ``tag_method`` is set.
    n_outputs_ : int
        Values predicted per row.
    device_ : str
        The torch device of the net (``"cpu"`` after loading a GPU-trained
        model on a machine without CUDA).
    fitted_versions_ : dict of str to str
        Versions of sktagembed, torch, scikit-learn and skorch at fit time.
        Unpickling under another sktagembed version warns with
        :class:`~sktagembed.exceptions.VersionMismatchWarning`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sktagembed import TimeXerRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "target"])
    >>> y = X["target"].shift(-1).ffill()
    >>> model = TimeXerRegressor(lookback=16, patch_len=8, d_model=16, n_heads=2,
    ...                          d_ff=32, max_epochs=1, random_state=0)
    >>> model.fit(X, y).predict(X).shape
    (200,)
    """

    def __init__(
        self,
        lookback=96,
        *,
        patch_len=16,
        endogenous=None,
        mode="MS",
        group_column=None,
        feature_tags=None,
        tag_method="auto",
        tag_embedding_dim=16,
        tag_options=None,
        calendar=False,
        d_model=128,
        n_heads=8,
        e_layers=1,
        d_ff=256,
        dropout=0.1,
        use_norm=True,
        max_epochs=10,
        lr=1e-4,
        batch_size=32,
        patience=3,
        validation_fraction=0.1,
        device="auto",
        accelerate=False,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.lookback = lookback
        self.patch_len = patch_len
        self.endogenous = endogenous
        self.mode = mode
        self.group_column = group_column
        self.feature_tags = feature_tags
        self.tag_method = tag_method
        self.tag_embedding_dim = tag_embedding_dim
        self.tag_options = tag_options
        self.calendar = calendar
        self.d_model = d_model
        self.n_heads = n_heads
        self.e_layers = e_layers
        self.d_ff = d_ff
        self.dropout = dropout
        self.use_norm = use_norm
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.accelerate = accelerate
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y, groups=None):
        """Train TimeXer on every full window of ``X``.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows in time order (within each series); numeric, finite, and at
            most 1e15 in magnitude (training runs in float32).
        y : array-like of shape (n_steps,) or (n_steps, n_outputs)
            Target of each row (``horizon`` steps ahead of it); finite, at
            most 1e15 in magnitude.
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.

        Returns
        -------
        self : TimeXerRegressor
        """
        self._check_params()
        X = as_time_table(X)
        if y is None:
            raise InputValueError(
                "TimeXerRegressor requires y to be passed, but the target y is "
                "None."
            )
        feature_names = FeatureNameRecorder().record(X)
        layout = ColumnLayout.from_training_frame(
            X, endogenous=self.endogenous, mode=self.mode,
            group_column=self.group_column, calendar=self.calendar,
            feature_tags=None if self._tag_method() is None else self.feature_tags,
        )
        data, series = layout.read(X, groups, self.group_column)
        target = check_target(y, data.shape[0], max_magnitude=MAX_MAGNITUDE)
        target = target.reshape(len(target), -1).astype(np.float32)
        n_outputs = target.shape[1]
        ends = series.full_window_ends(self.lookback)
        if len(ends) == 0:
            raise InputValueError(
                f"No series has the lookback={self.lookback} rows needed for one "
                f"training window (X has n_samples={len(target)}); give more rows "
                "or a shorter lookback."
            )
        net_class, net_options = self._net_class()
        device = net_options.pop("device")
        rng = check_random_state(self.random_state)
        seed = torch_seed_from(rng)
        train_ends, valid_ends = series.split_last(ends, self.validation_fraction)
        with seeded_torch(seed, device):
            module = self._build_module(layout, n_outputs, rng)
            data_tensor = torch.from_numpy(series.sorted(data)).to(device)
            target_tensor = torch.from_numpy(target).to(device)

            def windows(row_ends):
                return WindowDataset(data_tensor, series, row_ends, target_tensor,
                                     self.lookback, layout, device)

            schedule = LRScheduler(policy=torch.optim.lr_scheduler.StepLR,
                                   step_size=1, gamma=0.5)
            net = train_net(
                module,
                windows(train_ends),
                windows(valid_ends) if len(valid_ends) else None,
                criterion=nn.MSELoss,
                optimizer=torch.optim.Adam,
                # One fused kernel for the whole update instead of one per
                # parameter tensor: a third of a CPU training step otherwise.
                optimizer__fused=True,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                patience=self.patience,
                device=device,
                verbose=self.verbose,
                callbacks=[*(self.callbacks or []), schedule],
                net_class=net_class,
                **net_options,
            )

        feature_names.apply_to(self)
        self.layout_ = layout
        self.endogenous_columns_ = list(layout.endogenous)
        self.exogenous_columns_ = list(layout.exogenous)
        self.tag_names_ = layout.tag_names
        self.tag_embeddings_ = (
            None if module.tag_embedding is None else
            single_tag_table(module.tag_embedding, layout.tag_names,
                             self._tag_method())
        )
        self.n_outputs_ = n_outputs
        self.device_ = device
        self.net_ = net
        self._record_fitted_versions()
        return self

    def _check_params(self) -> None:
        check_option(self.mode, "mode", MODES)
        check_option(self.tag_method, "tag_method", ["auto", None, *METHODS])
        method = self._tag_method()
        if method is not None and self.feature_tags is None:
            raise InputValueError(
                f"tag_method={method!r} needs feature_tags, a tag table indexed "
                "by exogenous column name."
            )
        if method is not None:
            check_method_options(method, self.tag_options)
        elif self.tag_options and self.feature_tags is None:
            raise InputValueError(
                "tag_options is given without feature_tags, so no tag method "
                "would read it."
            )
        for name in ("lookback", "patch_len", "d_model", "n_heads",
                     "e_layers", "d_ff", "tag_embedding_dim"):
            check_int(getattr(self, name), name)
        check_training_params(self)
        if self.accelerate not in (False, True) and not isinstance(
                self.accelerate, dict):
            raise InputTypeError(
                "accelerate must be False, True or a dict of Accelerator "
                f"keyword arguments, got {self.accelerate!r}."
            )

    def _tag_method(self) -> str | None:
        """The tag method in effect (``"auto"`` resolved)."""
        if self.tag_method == "auto":
            return "sum" if self.feature_tags is not None else None
        return self.tag_method

    def _net_class(self) -> tuple[type, dict]:
        """The skorch net class, its extra options and the device (the
        Accelerator picks the device when ``accelerate`` is set)."""
        if self.accelerate is False:
            return InterruptibleNet, {"device": resolve_device(self.device)}
        from ._accelerate import AcceleratedNet, make_accelerator

        accelerator = make_accelerator(self.accelerate, self.device)
        return AcceleratedNet, {"accelerator": accelerator,
                                "device": str(accelerator.device)}

    def _build_module(self, layout: ColumnLayout, n_outputs: int, rng) -> TimeXer:
        n_endogenous = len(layout.endogenous)
        if n_outputs % n_endogenous:
            raise InputValueError(
                f"In mode='M' y needs a multiple of the {n_endogenous} columns "
                f"of X (one block of steps per column), got {n_outputs}."
            )
        tag_embedding = tag_matrix = None
        method = self._tag_method()
        if method is not None:
            options = dict(self.tag_options or {})
            if method == "hierarchical":
                options.setdefault("hierarchy", "infer")
            tag_matrix = torch.from_numpy(layout.tag_matrix)
            tag_embedding = build_tag_module(
                method, layout.tag_matrix, layout.tag_names,
                self.tag_embedding_dim, random_state=rng, **options,
            )
        return TimeXer(
            self.lookback,
            n_outputs // n_endogenous,
            n_endogenous,
            len(layout.exogenous),
            layout.n_calendar,
            patch_len=self.patch_len,
            d_model=self.d_model,
            n_heads=self.n_heads,
            e_layers=self.e_layers,
            d_ff=self.d_ff,
            dropout=self.dropout,
            use_norm=self.use_norm,
            tag_embedding=tag_embedding,
            tag_matrix=tag_matrix,
        )

    # -- predict --------------------------------------------------------------

    def predict(self, X, groups=None):
        """Predict the target of every row.

        Rows with fewer than ``lookback`` earlier rows in their series get a
        window padded on the left with the series' first row, so every row
        gets a finite prediction.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
        groups : array-like of shape (n_steps,), default=None

        Returns
        -------
        y_pred : ndarray of shape (n_steps,) or (n_steps, n_outputs)
        """
        check_is_fitted(self)
        X = as_time_table(X)
        check_feature_names(self, X)
        layout = self.layout_
        data, series = layout.read(X, groups, self.group_column)
        device = str(self.net_.device)
        data_tensor = torch.from_numpy(series.sorted(data)).to(device)
        module = self.net_.module_.eval()
        n_rows = data.shape[0]
        dataset = WindowDataset(data_tensor, series, np.arange(n_rows), None,
                                self.lookback, layout, device)
        out = np.empty((n_rows, self.n_outputs_))
        with torch.no_grad():
            for start in range(0, n_rows, PREDICT_BATCH):
                items = torch.arange(start, min(start + PREDICT_BATCH, n_rows))
                inputs, _ = dataset.batch(items)
                forecast = flatten_forecast(module(**inputs))
                out[start:start + len(items)] = forecast.cpu()
        return out[:, 0] if self.n_outputs_ == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True
        return tags
