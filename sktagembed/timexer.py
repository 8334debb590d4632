"""TimeXerRegressor: TimeXer with tag-embedded exogenous variates, as an estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import LRScheduler, ProgressBar
from skorch.helper import predefined_split
from torch import Tensor, nn
from torch.utils.data import Dataset

from ._allocator import adapt_heap_to_training
from ._checks import (
    FeatureNameRecorder,
    InputTypeError,
    InputValueError,
    check_feature_names,
    check_int,
    check_option,
    check_training_params,
    first_flagged_cell,
    is_integer,
)
from ._persistence import PersistenceMixin
from ._pretrained import load_pretrained_table
from ._torch_utils import resolve_device, seeded_torch, torch_seed_from
from ._training import InterruptibleNet, StrictEarlyStopping
from .nn import METHODS, build_tag_embedding, infer_hierarchy
from .nn.timexer import TimeXer
from .tags import TagSchema

MODES = ("MS", "M")
#: Keys of ``tag_options``, passed to the tag-embedding module.
TAG_OPTIONS = ("pooling", "num_heads", "hidden_dim", "dropout", "hierarchy",
               "pretrained", "freeze", "handle_missing")
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
        Endogenous column (name, or position for arrays); None: the last.
    mode : {"MS", "M"}, default="MS"
        One endogenous series with exogenous ones, or every column endogenous.
    group_column : str, default=None
        Column of ``X`` holding series ids; dropped from the features.
    feature_tags : DataFrame, default=None
        Tag table indexed by exogenous column name (extra rows are ignored);
        its columns are read like ``TagEmbeddingTransformer`` input.
    tag_method : str or None, default=None
        Embedding method of the tags; None is plain TimeXer.
    tag_embedding_dim : int, default=16
        Size of the tag embedding before projection to ``d_model``.
    tag_options : dict, default=None
        Options of the tag method: ``pooling``, ``num_heads``, ``hidden_dim``,
        ``dropout``, ``hierarchy`` (default ``"infer"`` for hierarchical),
        ``pretrained`` (a table, as for ``TagEmbeddingTransformer``),
        ``freeze`` and ``handle_missing``.
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
        tag_method=None,
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
        feature_names = FeatureNameRecorder().record(X)
        layout = _Layout.from_training_frame(self, X)
        data, series = layout.read(X, groups, self.group_column)
        target = _check_target(y, data.shape[0], layout)
        n_outputs = target.shape[1]
        ends = series.full_window_ends(self.lookback)
        if len(ends) == 0:
            raise InputValueError(
                f"No series has the lookback={self.lookback} rows needed for one "
                "training window; give more rows or a shorter lookback."
            )
        net_class, net_options = InterruptibleNet, {}
        if self.accelerate is not False:
            from ._accelerate import AcceleratedNet, make_accelerator

            accelerator = make_accelerator(self.accelerate, self.device)
            net_class, net_options = AcceleratedNet, {"accelerator": accelerator}
            device = str(accelerator.device)
        else:
            device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = torch_seed_from(rng)
        train_ends, valid_ends = series.split_last(ends, self.validation_fraction)
        with seeded_torch(seed, device):
            module = self._build_module(layout, n_outputs)
            data_tensor = torch.from_numpy(series.sorted(data)).to(device)
            target_tensor = torch.from_numpy(target).to(device)

            def windows(row_ends):
                return WindowDataset(data_tensor, series, row_ends, target_tensor,
                                     self.lookback, layout, device)

            train_set = windows(train_ends)
            callbacks = list(self.callbacks or [])
            callbacks.append(LRScheduler(policy=torch.optim.lr_scheduler.StepLR,
                                         step_size=1, gamma=0.5))
            train_split = None
            if len(valid_ends):
                valid_set = windows(valid_ends)
                train_split = predefined_split(valid_set)
                if self.patience:
                    callbacks.append(StrictEarlyStopping(
                        monitor="valid_loss", patience=self.patience,
                        load_best=True))
            if self.verbose >= 2:
                callbacks.append(ProgressBar())
            net = net_class(
                module=module,
                criterion=nn.MSELoss,
                optimizer=torch.optim.Adam,
                # One fused kernel for the whole update instead of one per
                # parameter tensor: a third of a CPU training step otherwise.
                optimizer__fused=True,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                iterator_train__shuffle=True,
                iterator_train__collate_fn=train_set.collate,
                iterator_valid__collate_fn=(valid_set.collate if len(valid_ends)
                                            else None),
                train_split=train_split,
                callbacks=callbacks,
                device=device,
                verbose=int(self.verbose >= 1),
                **net_options,
            )
            if self.max_epochs > 0:
                if device == "cpu":
                    # Spares a page fault per gradient page at every step.
                    adapt_heap_to_training()
                net.fit(train_set, y=None)
            else:
                net.initialize()
        net.module_.eval()

        feature_names.apply_to(self)
        self.layout_ = layout
        self.endogenous_columns_ = list(layout.endogenous)
        self.exogenous_columns_ = list(layout.exogenous)
        self.tag_names_ = layout.tag_names
        self.tag_embeddings_ = _tag_table(net.module_, layout.tag_names)
        self.n_outputs_ = n_outputs
        self.device_ = device
        self.net_ = net
        self._record_fitted_versions()
        return self

    def _check_params(self) -> None:
        check_option(self.mode, "mode", MODES)
        check_option(self.tag_method, "tag_method", [None, *METHODS])
        if self.tag_method is not None and self.feature_tags is None:
            raise InputValueError(
                f"tag_method={self.tag_method!r} needs feature_tags, a tag table "
                "indexed by exogenous column name."
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

    def _tag_options(self, layout: _Layout) -> dict:
        """Options of the tag method, with ``hierarchy="infer"`` and the
        pretrained table resolved against the exogenous tags."""
        options = dict(self.tag_options or {})
        unknown = set(options) - set(TAG_OPTIONS)
        if unknown:
            raise InputValueError(
                f"Unknown tag_options {sorted(unknown)}; valid keys are "
                f"{', '.join(TAG_OPTIONS)}."
            )
        if self.tag_method == "hierarchical":
            hierarchy = options.get("hierarchy", "infer")
            if isinstance(hierarchy, str) and hierarchy == "infer":
                hierarchy = infer_hierarchy(layout.tag_matrix, layout.tag_names)
            options["hierarchy"] = hierarchy
        if self.tag_method == "pretrained":
            if "pretrained" not in options:
                raise InputValueError(
                    "tag_method='pretrained' needs tag_options={'pretrained': "
                    "<table>}."
                )
            options["pretrained"] = load_pretrained_table(
                options["pretrained"], layout.tag_names,
                handle_missing=options.pop("handle_missing", "error"),
                embedding_dim=self.tag_embedding_dim,
                random_state=self.random_state,
            )
        options.pop("handle_missing", None)
        return options

    def _build_module(self, layout: _Layout, n_outputs: int) -> TimeXer:
        n_endogenous = len(layout.endogenous)
        if n_outputs % n_endogenous:
            raise InputValueError(
                f"In mode='M' y needs a multiple of the {n_endogenous} columns "
                f"of X (one block of steps per column), got {n_outputs}."
            )
        tag_embedding = tag_matrix = None
        if self.tag_method is not None:
            tag_matrix = torch.from_numpy(layout.tag_matrix)
            tag_embedding = build_tag_embedding(
                self.tag_method, tag_matrix.shape[1], self.tag_embedding_dim,
                tag_names=layout.tag_names,
                **self._tag_options(layout),
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
        check_feature_names(self, X)
        layout = self.layout_
        data, series = layout.read(X, groups, self.group_column)
        device = str(self.net_.device)
        data_tensor = torch.from_numpy(series.sorted(data)).to(device)
        module = self.net_.module_.eval()
        rows = np.arange(data.shape[0])
        dataset = WindowDataset(data_tensor, series, rows, None, self.lookback,
                                layout, device)
        out = np.empty((len(rows), self.n_outputs_), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(rows), PREDICT_BATCH):
                batch = list(range(start, min(start + PREDICT_BATCH, len(rows))))
                inputs, _ = dataset.collate(batch)
                forecast = module(**inputs)
                out[start:start + len(batch)] = _flatten_forecast(forecast).cpu()
        return out[:, 0] if self.n_outputs_ == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.target_tags.multi_output = True
        return tags


# -- layout: which column is what --------------------------------------------


class _Layout:
    """Column roles learned at fit: endogenous, exogenous, calendar, tags."""

    def __init__(self, columns, endogenous, exogenous, calendar, tag_names,
                 tag_matrix, mode):
        self.columns = columns
        self.endogenous = endogenous
        self.exogenous = exogenous
        self.calendar = calendar
        self.tag_names = tag_names
        self.tag_matrix = tag_matrix
        self.mode = mode

    @property
    def n_calendar(self) -> int:
        return len(CALENDAR_FEATURES) if self.calendar else 0

    @classmethod
    def from_training_frame(cls, estimator: TimeXerRegressor, X) -> _Layout:
        columns = _column_names(X)
        if estimator.group_column is not None:
            if estimator.group_column not in columns:
                raise InputValueError(
                    f"group_column={estimator.group_column!r} is not a column of X."
                )
            columns = [c for c in columns if c != estimator.group_column]
        if not columns:
            raise InputValueError("X has no feature columns.")
        endogenous = _resolve_endogenous(estimator.endogenous, columns)
        if estimator.mode == "M":
            endo, exo = list(columns), list(columns)
        else:
            endo = [endogenous]
            exo = [c for c in columns if c != endogenous]
        if estimator.calendar and not isinstance(getattr(X, "index", None),
                                                 pd.DatetimeIndex):
            raise InputValueError("calendar=True needs X with a DatetimeIndex.")
        tag_names = tag_matrix = None
        if estimator.feature_tags is not None:
            tag_names, tag_matrix = _read_feature_tags(estimator.feature_tags, exo)
        if not exo and not estimator.calendar:
            raise InputValueError(
                "TimeXer needs at least one exogenous column (or calendar=True); "
                f"X only has the endogenous column {endogenous!r}."
            )
        return cls(columns, endo, exo, bool(estimator.calendar), tag_names,
                   tag_matrix, estimator.mode)

    def read(self, X, groups, group_column) -> tuple[np.ndarray, _Series]:
        """Validated float32 data: the feature columns in order, then calendar.

        A C-ordered float32 array without calendar features is used as it is,
        without a copy; anything else is copied once.
        """
        names = _column_names(X)
        if len(X) == 0:
            raise InputValueError("X has 0 rows.")
        if group_column is not None:
            if groups is not None:
                raise InputValueError(
                    "Give series ids by groups or group_column, not both."
                )
            groups = np.asarray(X[group_column])
        missing = [c for c in self.columns if c not in names]
        if missing:
            raise InputValueError(f"X lacks the columns seen in fit: {missing}.")
        if isinstance(X, pd.DataFrame):
            positions = [names.index(c) for c in self.columns]
            for position in positions:
                dtype = X.dtypes.iloc[position]
                if not pd.api.types.is_numeric_dtype(dtype):
                    raise InputValueError(
                        f"Column {names[position]!r} of X is not numeric "
                        f"(dtype {dtype})."
                    )
            values = X.iloc[:, positions].to_numpy(dtype=np.float32,
                                                   na_value=np.nan)
        else:
            values = np.asarray(X)
            if not (np.issubdtype(values.dtype, np.number)
                    or values.dtype == np.bool_):
                raise InputValueError(f"X must be numeric, got dtype {values.dtype}.")
        n_rows = values.shape[0]
        data = values
        if self.calendar or data.dtype != np.float32 or not data.flags.c_contiguous:
            data = np.empty((n_rows, len(self.columns) + self.n_calendar),
                            dtype=np.float32)
            data[:, : len(self.columns)] = values
            if self.calendar:
                data[:, len(self.columns):] = calendar_features(X.index)
        if not data.flags.writeable:
            data = data.copy()  # torch.from_numpy wants writable memory
        _check_finite(data, self.columns)
        return data, _Series.from_groups(groups, n_rows)

    def split(self, windows: Tensor, index: dict[str, Tensor | slice]) -> dict:
        """Model inputs from gathered windows ``(batch, lookback, n_columns)``;
        ``index`` comes from :meth:`column_index`."""

        def take(columns: Tensor | slice) -> Tensor:
            if isinstance(columns, slice):  # a view: no copy of the windows
                return windows[:, :, columns]
            return windows.index_select(2, columns)

        inputs = {"endogenous": take(index["endogenous"]),
                  "exogenous": take(index["exogenous"])}
        if self.calendar:
            inputs["calendar"] = windows[:, :, len(self.columns):]
        return inputs

    def column_index(self, device) -> dict[str, Tensor | slice]:
        """Positions of the endogenous and exogenous columns in the data: a
        slice where they are adjacent (the usual case), else an index."""
        position = {name: i for i, name in enumerate(self.columns)}
        index = {}
        for role, columns in (("endogenous", self.endogenous),
                              ("exogenous", self.exogenous)):
            positions = [position[c] for c in columns]
            first = positions[0] if positions else 0
            if positions == list(range(first, first + len(positions))):
                index[role] = slice(first, first + len(positions))
            else:
                index[role] = torch.tensor(positions, device=device)
        return index


#: Largest magnitude accepted in X and y: squares of larger float32 values
#: (in the per-window normalisation and the MSE loss) can overflow to inf.
MAX_MAGNITUDE = 1e15


def _check_finite(data: np.ndarray, columns: list[str],
                  chunk_rows: int = 1 << 16) -> None:
    """Reject NaN or infinity, naming the column; memory bounded by the chunk."""
    for start in range(0, data.shape[0], chunk_rows):
        block = data[start:start + chunk_rows]
        finite = np.isfinite(block)
        if not finite.all():
            row, column = first_flagged_cell(~finite)
            row += start
            name = columns[column] if column < len(columns) else "calendar"
            raise InputValueError(
                f"Column {name!r} of X contains {data[row, column]} at row {row}; "
                "X must be finite (fill or drop missing values first)."
            )
        huge = np.abs(block) > MAX_MAGNITUDE
        if huge.any():
            row, column = first_flagged_cell(huge)
            row += start
            name = columns[column] if column < len(columns) else "calendar"
            raise InputValueError(
                f"Column {name!r} of X contains {data[row, column]:.4g} at row "
                f"{row}; values beyond {MAX_MAGNITUDE:.0e} overflow float32 "
                "training (squared in the normalisation): rescale the column."
            )


# -- series and windows -------------------------------------------------------


class _Series:
    """Rows grouped into series, stored contiguously in time order."""

    def __init__(self, order: np.ndarray | None, position: np.ndarray,
                 start: np.ndarray):
        self.order = order  # rows sorted by series (None: one series)
        self.position = position  # row -> position in the sorted data
        self.start = start  # row -> position of its series' first row

    @classmethod
    def from_groups(cls, groups, n_rows: int) -> _Series:
        if groups is None:
            return cls(None, np.arange(n_rows), np.zeros(n_rows, dtype=np.int64))
        groups = np.asarray(groups)
        if groups.shape != (n_rows,):
            raise InputValueError(
                f"groups must have one id per row of X ({n_rows}), got shape "
                f"{groups.shape}."
            )
        if pd.isna(groups).any():
            raise InputValueError("groups contains missing series ids.")
        codes = pd.factorize(groups)[0]
        if np.all(codes[1:] >= codes[:-1]):  # series already contiguous
            starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            start = starts[np.searchsorted(starts, np.arange(n_rows), "right") - 1]
            return cls(None, np.arange(n_rows), start)
        order = np.argsort(codes, kind="stable")
        position = np.empty(n_rows, dtype=np.int64)
        position[order] = np.arange(n_rows)
        sorted_codes = codes[order]
        first = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        series_start = first[np.searchsorted(first, np.arange(n_rows), "right") - 1]
        return cls(order, position, series_start[position])

    def sorted(self, data: np.ndarray) -> np.ndarray:
        return data if self.order is None else data[self.order]

    def full_window_ends(self, lookback: int) -> np.ndarray:
        """Rows with at least ``lookback`` rows of their series up to them."""
        return np.flatnonzero(self.position - self.start + 1 >= lookback)

    def split_last(self, rows: np.ndarray, fraction: float):
        """Split rows into (train, valid): valid is the last ``fraction`` of
        each series' rows, in time order."""
        if fraction == 0 or len(rows) < 2:
            return rows, rows[:0]
        series = self.start[rows]
        train, valid = [], []
        for start in np.unique(series):
            members = rows[series == start]
            members = members[np.argsort(self.position[members])]
            n_valid = int(np.ceil(fraction * len(members)))
            if n_valid >= len(members):
                train.append(members)
                continue
            train.append(members[:-n_valid])
            valid.append(members[-n_valid:])
        train = np.sort(np.concatenate(train))
        valid = np.sort(np.concatenate(valid)) if valid else rows[:0]
        return train, valid


class WindowDataset(Dataset):
    """Windows ending at given rows, gathered from the data batch by batch."""

    def __init__(self, data: Tensor, series: _Series, rows: np.ndarray,
                 target: Tensor | None, lookback: int, layout: _Layout,
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

    def __getitem__(self, index: int) -> int:
        return index

    def collate(self, items: list[int]) -> tuple[dict, Tensor]:
        items = torch.as_tensor(items, device=self.position.device)
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


# -- helpers --------------------------------------------------------------------


CALENDAR_FEATURES = ("hour", "day_of_week", "day_of_month", "day_of_year")


def calendar_features(index: pd.DatetimeIndex) -> np.ndarray:
    """Hour, day of week, day of month, day of year, each scaled to [-0.5, 0.5]."""
    return np.column_stack([
        index.hour / 23.0 - 0.5,
        index.day_of_week / 6.0 - 0.5,
        (index.day - 1) / 30.0 - 0.5,
        (index.day_of_year - 1) / 365.0 - 0.5,
    ]).astype(np.float32)


def make_forecast_frame(df: pd.DataFrame, target: str, horizon: int = 1, *,
                        all_steps: bool = True, group_column: str | None = None):
    """Build ``(X, y)`` for forecasting ``target`` ``horizon`` steps ahead.

    ``X`` is ``df`` with ``target`` moved to the last column (the default
    endogenous column), keeping only rows whose future is known. ``y`` at row
    ``t`` holds the target at ``t+1 .. t+horizon`` (``all_steps=True``) or only
    at ``t+horizon``; values come from later rows of the same series only, so
    nothing leaks from the future into ``X``.

    Parameters
    ----------
    df : DataFrame
        Rows in time order (within each series).
    target : str
        Column to forecast.
    horizon : int, default=1
        Steps ahead.
    all_steps : bool, default=True
        ``y`` of shape ``(n, horizon)`` with every step, else ``(n,)``.
    group_column : str, default=None
        Series-id column of a panel; targets are shifted within each series.

    Returns
    -------
    X : DataFrame
    y : Series (one step) or DataFrame (columns ``target+1`` ...)

    Examples
    --------
    >>> import pandas as pd
    >>> from sktagembed import make_forecast_frame
    >>> df = pd.DataFrame({"load": [1, 2, 3, 4], "price": [10, 20, 30, 40]})
    >>> X, y = make_forecast_frame(df, "price", horizon=2)
    >>> y.to_numpy().tolist()
    [[20.0, 30.0], [30.0, 40.0]]
    """
    if target not in df.columns:
        raise InputValueError(f"target {target!r} is not a column of df.")
    if not is_integer(horizon) or horizon < 1:
        raise InputValueError(f"horizon must be a positive integer, got {horizon!r}.")
    grouped = df.groupby(group_column, sort=False)[target] if group_column else None
    steps = range(1, horizon + 1) if all_steps else [horizon]
    future = pd.DataFrame({
        f"{target}+{k}": (grouped.shift(-k) if grouped is not None
                          else df[target].shift(-k))
        for k in steps
    }, index=df.index)
    known = future.notna().all(axis=1).to_numpy()
    columns = [c for c in df.columns if c != target] + [target]
    X = df.loc[known, columns]
    y = future.loc[known]
    return X, (y.iloc[:, 0] if y.shape[1] == 1 else y)


def _check_target(y, n_rows: int, layout: _Layout) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    if y.ndim != 2 or y.shape[0] != n_rows:
        raise InputValueError(
            f"y must have shape ({n_rows},) or ({n_rows}, n_outputs), got {y.shape}."
        )
    try:
        y = y.astype(np.float32)
    except (TypeError, ValueError) as exc:
        raise InputValueError("y must be numeric.") from exc
    if not np.isfinite(y).all():
        row = int(np.flatnonzero(~np.isfinite(y).all(axis=1))[0])
        raise InputValueError(f"y contains NaN or infinity (row {row}).")
    huge = (np.abs(y) > MAX_MAGNITUDE).any(axis=1)
    if huge.any():
        row = int(np.flatnonzero(huge)[0])
        raise InputValueError(
            f"y contains values beyond {MAX_MAGNITUDE:.0e} (row {row}), which "
            "overflow the float32 squared-error loss: rescale y."
        )
    return y


def _column_names(X) -> list[str]:
    if sp.issparse(X):
        raise InputTypeError(
            "X must be a DataFrame or a dense 2-D array, got a sparse matrix; "
            "pass X.toarray()."
        )
    if isinstance(X, pd.DataFrame):
        return [str(c) for c in X.columns]
    shape = np.shape(X)
    if len(shape) != 2:
        raise InputValueError(
            f"X must be 2-D (n_steps, n_vars), got shape {shape}. Reshape your "
            "data with X.reshape(-1, 1) if it is a single series."
        )
    return [f"x{i}" for i in range(shape[1])]


def _resolve_endogenous(endogenous, columns: list[str]) -> str:
    if endogenous is None:
        return columns[-1]
    if is_integer(endogenous):
        if not -len(columns) <= endogenous < len(columns):
            raise InputValueError(
                f"endogenous={endogenous} is out of range for {len(columns)} columns."
            )
        return columns[endogenous]
    if str(endogenous) not in columns:
        raise InputValueError(
            f"endogenous={endogenous!r} is not a column of X; columns are "
            f"{columns}."
        )
    return str(endogenous)


def _read_feature_tags(feature_tags, exogenous: list[str]):
    if not isinstance(feature_tags, pd.DataFrame):
        raise InputTypeError(
            "feature_tags must be a DataFrame indexed by exogenous column name, "
            f"got {type(feature_tags).__name__}."
        )
    index = feature_tags.index.map(str)
    missing = [c for c in exogenous if c not in set(index)]
    if missing:
        raise InputValueError(
            f"feature_tags has no row for the exogenous columns {missing}; its "
            "rows must be named like the columns of X."
        )
    repeated = sorted(set(index[index.duplicated()]) & set(exogenous))
    if repeated:
        raise InputValueError(
            f"feature_tags has more than one row for the exogenous columns "
            f"{repeated}; give each column one row of tags."
        )
    table = feature_tags.set_axis(index).loc[exogenous]
    schema = TagSchema().fit(table)
    matrix = schema.transform(table)
    if not isinstance(matrix, np.ndarray):
        matrix = matrix.toarray()
    return list(schema.tag_names_), matrix.astype(np.float32)


def _tag_table(module: TimeXer, tag_names) -> pd.DataFrame | None:
    """Each tag's embedding on its own, as a DataFrame."""
    if module.tag_embedding is None:
        return None
    embedding = module.tag_embedding
    device = module.tag_matrix.device
    with torch.no_grad():
        table = embedding(torch.eye(len(tag_names), device=device)).cpu().numpy()
    return pd.DataFrame(table, index=pd.Index(tag_names, name="tag"),
                        columns=[f"embed_{i}" for i in range(table.shape[1])])


def _flatten_forecast(forecast: Tensor) -> Tensor:
    """(batch, steps, n_endo) -> (batch, n_endo * steps), variable-major."""
    return forecast.transpose(1, 2).reshape(forecast.shape[0], -1)

