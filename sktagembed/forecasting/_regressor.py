"""TimeXerRegressor: the TimeXer forecaster as a scikit-learn regressor, with
tags, known-future covariates, quantiles, panels and missing values."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._utils.checks import (
    TRAINING_PARAMETERS,
    FeatureNameRecorder,
    check_feature_names,
    check_target,
    default_params,
    warn_idle_training_params,
)
from .._utils.params import (
    BOOLEAN,
    FRACTION,
    NONE,
    POSITIVE_INT,
    POSITIVE_REAL,
    InstanceOf,
    Options,
    Satisfies,
    is_default,
    is_integer,
    is_real,
    short_repr,
    validate_params,
    warn_ignored,
)
from .._utils.persistence import PersistenceMixin
from .._utils.torch_utils import (
    autocast,
    resolve_device,
    resolve_precision,
    seeded_torch,
    torch_seed_from,
)
from .._utils.training import (
    BatchLoader,
    InterruptibleNet,
    learning_rate_schedule,
    train_net,
)
from ..embedding._build import single_tag_table
from ..exceptions import InputValueError, UnseenTagWarning
from ..nn import METHODS
from ..nn.timexer import TAG_COMBINES, TimeXer
from ._forecast_frame import check_forecast_rows, forecast_table
from ._layout import (
    MAX_MAGNITUDE,
    ColumnLayout,
    as_time_table,
    column_names,
    resolve_group_column,
)
from ._long_format import (
    check_horizon,
    check_long_input,
    check_wide_input,
    forecast_long,
    long_scoring_data,
    long_table_for,
    warn_idle_long_parameters,
)
from ._losses import DECILES, ForecastLoss, quantile_levels
from ._series import SeriesIndex
from ._tag_embedding import TagEmbeddingSpec, is_transformer, unwrap
from ._tag_tables import SeriesTagTable, as_tensor, unique_row_share
from ._targets import (
    check_sample_weight,
    is_endogenous_future,
    series_statistics,
    warn_if_target_is_another_column,
)
from ._time_index import time_step
from ._windows import SeriesContext, flatten_forecast

MODES = ("MS", "M")
TARGET_SCALINGS = ("auto", "window", "series")
LR_SCHEDULES = ("cosine", "halving")
#: Windows per forward pass in ``predict``.
PREDICT_BATCH = 2048
#: ``steps_per_epoch="auto"``: an epoch of at most 500 batches, 16,000
#: windows at the default batch size (see the user guide's "Training").
AUTO_STEPS_PER_EPOCH = 500
#: ``series_tag_dropout="auto"`` where every training series has a tag row
#: of its own (see the user guide's "Series tags, panels and missing values").
AUTO_SERIES_TAG_DROPOUT = 0.5


def _is_column(value: object) -> bool:
    return isinstance(value, str) or is_integer(value)


def _are_columns(value: object) -> bool:
    return isinstance(value, (list, tuple, pd.Index, np.ndarray)) and all(
        _is_column(name) for name in value)


def _are_levels(value: object) -> bool:
    return isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0 and all(
        is_real(q) and 0 < q < 1 for q in value)


#: Parameters of the tag embedding, which act only when tags are embedded.
_TAG_PARAMETERS = ("tag_combine",)


@dataclass
class _TrainingData:
    """What :meth:`TimeXerRegressor.fit` reads from its input before
    training."""

    tags: TagEmbeddingSpec | None
    layout: ColumnLayout
    data: np.ndarray
    series: SeriesIndex
    target: np.ndarray
    weight: np.ndarray | None
    series_table: SeriesTagTable | None
    horizon: int
    levels: list[float]
    context: SeriesContext
    train_ends: np.ndarray
    valid_ends: np.ndarray
    series_tag_dropout: float


class TimeXerRegressor(PersistenceMixin, RegressorMixin, BaseEstimator):
    """TimeXer forecaster with tag-aware tokens, known-future covariates and
    quantiles, as a scikit-learn regressor.

    ``X`` holds rows in time order (a DataFrame or 2-D array, ``n_steps x
    n_vars``); the forecast made at row ``t`` reads rows ``t - lookback + 1 ..
    t`` of its series, the known-future covariates also rows ``t + 1 .. t +
    horizon``, and predicts ``y[t]``: the target's next ``horizon`` steps (one
    column per step; :func:`make_forecast_frame` builds such a ``y`` without
    leakage). ``horizon`` is the number of columns of ``y`` per endogenous
    variable.

    In the MS setting (default) the ``endogenous`` column is patched and read
    through TimeXer's global token; every other column becomes one variate
    token. In the M setting every column is endogenous (and also a variate
    token), and ``y`` holds one block of steps per column.

    Tags: with ``feature_tags`` (a tag table indexed by column name) each
    exogenous or future variable's token gets its tag embedding; with
    ``series_tags`` (indexed by series id) the endogenous tokens of each
    series get the series' tag embedding, so one model serves many series and
    a series never seen in training, with known tags, gets a forecast.

    Panels of many series (rows interleaved) are given with ``groups`` or
    ``group_column``; windows never cross a series. A long table (one row
    per series and time step: ``unique_id``, ``ds``, ``y`` and covariates,
    as Nixtla's libraries hold panels) is read by ``fit(X)`` without ``y``,
    given ``horizon``; ``forecast(X, future=...)`` then takes the horizon's
    known-future covariates as a table of their own. NaN in ``X`` is a missing
    value, masked inside the model; NaN in ``y`` marks a context row, read for
    its covariates but never trained on. Windows are never materialised: the
    data is held once (on the GPU when training there) and each batch gathers
    its windows. Forecasts are in the units of ``y``.

    Parameters
    ----------
    lookback : int, default=96
        Window length; must be divisible by ``patch_len``.
    patch_len : int, default=16
        Length of the endogenous patches.
    endogenous : str or int, default=None
        Endogenous column (name, or position for arrays) in mode ``"MS"``;
        None: the last column that is not a future covariate. Must be None in
        mode ``"M"``.
    mode : {"MS", "M"}, default="MS"
        One endogenous series with exogenous ones, or every column endogenous.
    group_column : str, default=None
        Column of ``X`` holding series ids; not a feature.
    horizon : int, default=None
        Steps to forecast. Needed by ``fit(X)`` on a long table, whose
        targets it makes; with ``y``, None reads it from ``y``'s width.
    id_column : str or None, default="unique_id"
        Series-id column of a long table (None: a table of one series).
    time_column : str, default="ds"
        Time column of a long table: dates, or integer steps. Each series is
        sorted by it and must advance one regular step per row; it is the
        time, not a feature (dates give the calendar tokens).
    target : str, default="y"
        Column of a long table to forecast. ``id_column``, ``time_column``
        and ``target`` are read by ``fit(X)`` without ``y`` only; with
        ``y`` the table is wide, and a value other than the default warns.
    future_covariates : list of str, default=None
        Columns known over the horizon (day-ahead forecasts, calendar,
        planned events), each a variate token read over the look-back and the
        horizon. Mode ``"MS"`` only.
    feature_tags : DataFrame, default=None
        Tag table indexed by exogenous/future column name (a
        ``ColumnTransformer``'s ``name__`` prefix is recognised); its columns
        are read like ``TagEmbeddingTransformer`` input. Rows beyond the
        columns of ``fit`` describe columns to forecast with later: a tagged
        model reads, in ``predict``, ``forecast`` and ``score``, exogenous
        columns it never saw through their tags (see ``feature_names_in_``).
    series_tags : DataFrame, default=None
        Tag table indexed by series id (the values of ``groups`` or
        ``group_column``); every series met in ``fit``, ``predict`` or
        ``forecast`` needs a row.
    tag_embedding : TagEmbeddingTransformer, str or None, default="auto"
        The embedding of the feature and series tags. An unfitted
        :class:`TagEmbeddingTransformer` gives the method, ``embedding_dim``
        and the method's options (``n_heads``, ``hidden_dim``, ``hierarchy``,
        ...), trained end to end inside TimeXer; its own training parameters
        (``max_epochs``, ``lr``, ...) are not read. A method name stands for
        ``TagEmbeddingTransformer(method)``. A fitted transformer (trained on
        a target, or unsupervised on a large tag vocabulary) also gives its
        learned values as the start: each tag of the forecaster takes the
        transformer's by name, and a tag the transformer never saw a fresh
        initialisation; with its ``freeze=True`` (its default) the whole tag
        embedding then stays fixed while TimeXer trains, with
        ``freeze=False`` it is fine-tuned (a tag table sharing no tag with
        the transformer is trained from scratch). The transformer itself is
        never changed. A search clones the forecaster and with it the
        transformer, which loses its fit: wrap a fitted one in
        :class:`sklearn.frozen.FrozenEstimator` to keep it. ``"auto"``:
        ``"sum"`` when tags are given, else plain TimeXer; ``None`` is plain
        TimeXer even when tags are given, so that a search can include the
        baseline. With a transformer, nested parameters
        (``tag_embedding__method``, ``tag_embedding__n_heads``) can be
        searched.
    tag_combine : {"add", "concat"}, default="add"
        Tag embeddings are projected to ``d_model`` and added to their tokens,
        or concatenated to them and projected back. Without tags to embed, a
        value other than the default warns
        (:class:`~sktagembed.exceptions.IgnoredParameterWarning`).
    series_tag_dropout : float or "auto", default="auto"
        In training, the probability that a window's series reads as
        untagged (its series tag embedding zeroed). Where each training
        series has a tag row of its own, the tags act as its identity and a
        series never seen in training would be forecast as its training twin
        of the same tags; dropping them keeps a forecast that holds without
        them. ``predict`` then gives the forecast training expects:
        ``(1 - p)`` times the tagged forecast plus ``p`` times the untagged
        one (two forward passes). ``"auto"``: 0.5 times the share of the
        training series whose tag row no other training series has (0.5
        when the tags tell every series apart, 0 when every tag row is
        shared); the fitted ``series_tag_dropout_`` says which ran. ``0``
        uses the tags in every window. Acts only with ``series_tags`` (a
        value other than the default warns without them). The user guide's
        "Series tags, panels and missing values" has the measurements.
    calendar : {"auto", True, False}, default="auto"
        Add hour, day-of-week, day-of-month and day-of-year tokens from the
        DatetimeIndex of ``X`` (read over the look-back, as in the paper).
        ``"auto"``: when ``X`` has a DatetimeIndex; ``True`` requires one.
    quantiles : sequence of float or None, default=(0.1, 0.2, ..., 0.9)
        Quantile levels in (0, 1) to forecast, trained with the pinball loss;
        they never cross. The default is the nine deciles. ``predict``
        returns the median (level 0.5, added if absent). None gives point
        forecasts trained with the squared error.
    median_weight : float, default=1.0
        With ``quantiles``: how much the median's pinball loss weighs in
        training against each other level's. Above 1 the model leans
        towards its median, the forecast ``predict`` returns; 1 weighs every
        level alike. Without quantiles a value other than the default warns.
        The Forecasting docs' "Quantiles" has the measurements.
    target_scaling : {"auto", "window", "series"}, default="auto"
        How forecasts return to the units of ``y``. ``"window"``: with the
        endogenous window's mean and standard deviation (TimeXer's instance
        normalisation), right when ``y`` holds the endogenous column's own
        next values. ``"series"``: with each series' mean and standard
        deviation of ``y`` in training, for any other target. ``"auto"``
        picks ``"window"`` when ``y`` matches the endogenous column's next
        values on the training rows, else ``"series"``, with a warning when
        ``y`` matches another column's next values instead (the endogenous
        column left to its default by mistake).
    d_model : int, default=128
        Width of the tokens; must be divisible by ``n_heads``.
    n_heads : int, default=8
        Attention heads.
    e_layers : int, default=1
        Encoder layers.
    d_ff : int, default=256
        Width of the encoder's feed-forward layers.
    dropout : float, default=0.1
        Dropout rate in ``[0, 1)`` of the embeddings, attention and
        feed-forward layers while training.
    use_norm : bool, default=True
        Per-window instance normalisation of the inputs (TimeXer's).
    linear_skip : {"auto", True, False}, default="auto"
        Add a linear map from the windows straight to the forecast
        (LSTNet's highway; zero at initialisation), reading each window both
        normalised as TimeXer sees it and standardised with the training
        data's statistics of its column. ``False`` is TimeXer as published;
        ``"auto"`` is on. ``"tags"``: on, with the exogenous and future
        columns read through their tags alone (no weights of their own), so
        that every column of a kind shares its weights (without feature tags,
        as ``True``). With tags the skip reads them too: each tagged
        variable's weights are its own plus a map of its tag embedding, and
        each series' weights on its own history shared ones plus a map of its
        series tag embedding, so that what is learned for a kind of variable
        or series carries to another of that kind. The user guide's "The
        linear skip" has the measurements.
    max_epochs : int, default=10
        Passes over the training windows; ``0`` keeps the seeded
        initialisation.
    lr : float, default=1e-3
        AdamW learning rate (the peak, with ``lr_schedule="cosine"``).
    lr_schedule : {"cosine", "halving"}, default="cosine"
        ``"cosine"``: a linear warm-up over the first 5% of the training
        steps, then a cosine decay to zero at the last step, whatever the
        data size. ``"halving"``: two epochs at ``lr``, then halve after
        every epoch (the reference TimeXer's schedule, tuned for about 10,000
        steps an epoch).
    batch_size : int, default=32
        Training windows per batch.
    steps_per_epoch : int, None or "auto", default="auto"
        At most this many batches (optimiser steps) an epoch. Where the
        training windows make more batches, each epoch trains on a fresh
        random subset of them, so that training time stops growing with the
        length of the series while every window is still reached over the
        epochs. ``None``: every window once an epoch. ``"auto"``:
        ``AUTO_STEPS_PER_EPOCH`` (500), which leaves a series of up to about
        16,000 windows at the default batch size untouched. The user guide's
        "Training" has the measurements.
    weight_decay : float, default=0.0
        AdamW's decoupled weight decay, on every parameter; ``0`` is plain
        Adam.
    patience : int, default=3
        With a validation set, early stopping after this many epochs without
        a lower validation loss, restoring the best weights; ``0`` turns it
        off. Without a validation set a value other than the default warns
        (:class:`~sktagembed.exceptions.IgnoredParameterWarning`).
    validation_fraction : float, default=0.0
        The chronologically last fraction of each series' training windows,
        held out for validation and early stopping; ``0`` trains on every
        window and runs the learning-rate schedule to its end (see the user
        guide's "Training" for why that is the default).
    device : str, default="auto"
        ``"auto"`` trains on CUDA when available.
    precision : {"float32", "bfloat16", "auto"}, default="float32"
        ``"bfloat16"`` runs forward passes under bfloat16 autocast (weights,
        optimiser state and loss stay float32): faster on GPUs and on CPUs
        with AVX-512 BF16 or AMX, slower where bfloat16 is emulated (a
        :class:`~sktagembed.exceptions.SlowBfloat16Warning` says so).
        ``"auto"``: bfloat16 where the training device computes it natively,
        else float32 (``precision_`` says which ran). With ``accelerate``,
        ``"auto"`` is float32: Accelerate does not choose bfloat16 from the
        hardware, its ``mixed_precision`` option sets it.
    compile : bool, default=False
        Train a ``torch.compile``-d model: after a compilation of tens of
        seconds, faster steps. Where compilation is unavailable, a warning
        and ordinary training. Predictions run uncompiled.
    accelerate : bool or dict, default=False
        Train through Hugging Face Accelerate (skorch's Accelerate
        integration; needs ``pip install "sktagembed[accelerate]"``):
        ``True``, or a dict of ``accelerate.Accelerator`` keyword arguments
        such as ``{"mixed_precision": "bf16"}``. Run the training script with
        ``accelerate launch`` for one process per GPU; each process trains on
        its share of every epoch's batches. ``device`` must then be
        ``"auto"`` (the Accelerator picks each process's device) or ``"cpu"``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation and the batch shuffling; an integer makes
        ``fit`` deterministic on a given device.
    verbose : int, default=0
        ``1`` prints skorch's epoch table, ``2`` adds a batch progress bar.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks of the skorch net that trains the model.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of ``X`` in ``fit``.
    feature_names_in_ : ndarray of str
        The columns of ``X`` in ``fit`` (a DataFrame's). ``predict``,
        ``forecast`` and ``score`` take a table with these columns; a model
        with ``feature_tags`` also takes a DataFrame with other exogenous
        columns, matched by name: a column ``fit`` never saw is read through
        its row of ``feature_tags``, one that is absent is left out (the
        endogenous column and the future covariates must be there).
        ``feature_names_in_`` stays what ``fit`` saw.
    net_ : skorch.NeuralNet
        The trained net.
    exogenous_columns_ : list of str
        The exogenous variables read over the look-back, in token order.
    future_columns_ : list of str
        The known-future covariates, in token order.
    endogenous_columns_ : list of str
        The endogenous variables.
    horizon_ : int
        Forecast steps per endogenous variable.
    quantile_levels_ : list of float or None
        The levels ``predict_quantiles`` returns.
    target_scaling_ : {"window", "series"}
        How forecasts return to the units of ``y``.
    linear_skip_ : bool
        Whether the model has the linear skip (``linear_skip`` resolved).
    calendar_ : bool
        Whether the model reads calendar tokens (``calendar`` resolved).
    series_ids_ : ndarray
        The series seen in training.
    tag_names_ : list of str or None
        Tags of ``feature_tags``.
    tag_embeddings_ : DataFrame or None
        The learned embedding of each feature tag alone (one row per tag).
    variable_embeddings_ : DataFrame or None
        The learned tag embedding of each tagged variable (its tag row),
        indexed by column name.
    series_tag_names_ : list of str or None
        Tags of ``series_tags``.
    series_tag_dropout_ : float or None
        The ``series_tag_dropout`` that trained (``"auto"`` resolved); None
        without series tags.
    n_outputs_ : int
        Values predicted per row.
    device_ : str
        The torch device of the net (``"cpu"`` after loading a GPU-trained
        model on a machine without CUDA).
    precision_ : {"float32", "bfloat16"}
        The precision of training and prediction (``precision`` resolved).
    fitted_versions_ : dict of str to str
        Versions of sktagembed, torch, scikit-learn and skorch at fit time.
        Unpickling under another sktagembed version warns with
        :class:`~sktagembed.exceptions.VersionMismatchWarning`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sktagembed import TimeXerRegressor, make_forecast_frame
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["load", "price"],
    ...                   index=pd.date_range("2024-01-01", periods=200, freq="h"))
    >>> X, y = make_forecast_frame(df, "price", horizon=4)
    >>> model = TimeXerRegressor(lookback=16, patch_len=8, d_model=16, n_heads=2,
    ...                          d_ff=32, quantiles=[0.1, 0.9], max_epochs=1,
    ...                          random_state=0).fit(X, y)
    >>> model.predict(X).shape, model.predict_quantiles(X).shape
    ((196, 4), (196, 4, 2))
    >>> model.forecast(df).columns.tolist()
    ['timestamp', 'step', 'prediction', '0.1', '0.9']

    With tags, the tag embedding is a ``TagEmbeddingTransformer`` (or a
    method name):

    >>> from sktagembed import TagEmbeddingTransformer
    >>> tags = pd.DataFrame({"grid": [True], "weather": [False]}, index=["load"])
    >>> tagged = TimeXerRegressor(
    ...     lookback=16, patch_len=8, d_model=16, n_heads=2, d_ff=32,
    ...     max_epochs=1, random_state=0, feature_tags=tags,
    ...     tag_embedding=TagEmbeddingTransformer("attention", embedding_dim=4),
    ... ).fit(X, y)
    >>> tagged.tag_embeddings_.shape  # one row per tag
    (2, 4)
    """

    _parameter_table = {
        "lookback": [POSITIVE_INT],
        "patch_len": [POSITIVE_INT],
        "endogenous": [NONE, Satisfies(_is_column, "a column name or position")],
        "mode": [Options(*MODES)],
        "group_column": [NONE, Satisfies(_is_column, "a column name")],
        "horizon": [NONE, POSITIVE_INT],
        "id_column": [NONE, InstanceOf(str, "a column name")],
        "time_column": [InstanceOf(str, "a column name")],
        "target": [InstanceOf(str, "a column name")],
        "future_covariates": [NONE, Satisfies(_is_column, "a column name"),
                              Satisfies(_are_columns, "a list of column names")],
        "feature_tags": [NONE, InstanceOf(pd.DataFrame, "a DataFrame indexed "
                                                        "by column name")],
        "series_tags": [NONE, InstanceOf(pd.DataFrame, "a DataFrame indexed "
                                                       "by series id")],
        "tag_embedding": [Options("auto", None, *METHODS),
                          Satisfies(is_transformer, "a TagEmbeddingTransformer "
                                    "(fitted or not, or in a FrozenEstimator)")],
        "tag_combine": [Options(*TAG_COMBINES)],
        "series_tag_dropout": [Options("auto"), FRACTION],
        "calendar": [Options("auto", False, True)],
        "quantiles": [NONE, Satisfies(_are_levels, "a sequence of levels in "
                                                    "(0, 1)")],
        "median_weight": [POSITIVE_REAL],
        "target_scaling": [Options(*TARGET_SCALINGS)],
        "d_model": [POSITIVE_INT],
        "n_heads": [POSITIVE_INT],
        "e_layers": [POSITIVE_INT],
        "d_ff": [POSITIVE_INT],
        "dropout": [FRACTION],
        "use_norm": [BOOLEAN],
        "linear_skip": [Options("auto", False, True, "tags")],
        "lr_schedule": [Options(*LR_SCHEDULES)],
        "steps_per_epoch": [Options("auto", None), POSITIVE_INT],
        "accelerate": [BOOLEAN, InstanceOf(dict, "a dict of Accelerator "
                                                 "keyword arguments")],
        **TRAINING_PARAMETERS,
    }

    def __init__(
        self,
        lookback=96,
        *,
        patch_len=16,
        endogenous=None,
        mode="MS",
        group_column=None,
        horizon=None,
        id_column="unique_id",
        time_column="ds",
        target="y",
        future_covariates=None,
        feature_tags=None,
        series_tags=None,
        tag_embedding="auto",
        tag_combine="add",
        series_tag_dropout="auto",
        calendar="auto",
        quantiles=DECILES,
        median_weight=1.0,
        target_scaling="auto",
        d_model=128,
        n_heads=8,
        e_layers=1,
        d_ff=256,
        dropout=0.1,
        use_norm=True,
        linear_skip="auto",
        max_epochs=10,
        lr=1e-3,
        lr_schedule="cosine",
        batch_size=32,
        steps_per_epoch="auto",
        weight_decay=0.0,
        patience=3,
        validation_fraction=0.0,
        device="auto",
        precision="float32",
        compile=False,
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
        self.horizon = horizon
        self.id_column = id_column
        self.time_column = time_column
        self.target = target
        self.future_covariates = future_covariates
        self.feature_tags = feature_tags
        self.series_tags = series_tags
        self.tag_embedding = tag_embedding
        self.tag_combine = tag_combine
        self.series_tag_dropout = series_tag_dropout
        self.calendar = calendar
        self.quantiles = quantiles
        self.median_weight = median_weight
        self.target_scaling = target_scaling
        self.d_model = d_model
        self.n_heads = n_heads
        self.e_layers = e_layers
        self.d_ff = d_ff
        self.dropout = dropout
        self.use_norm = use_norm
        self.linear_skip = linear_skip
        self.max_epochs = max_epochs
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.batch_size = batch_size
        self.steps_per_epoch = steps_per_epoch
        self.weight_decay = weight_decay
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.device = device
        self.precision = precision
        self.compile = compile
        self.accelerate = accelerate
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # -- fit ------------------------------------------------------------------

    def fit(self, X, y=None, groups=None, sample_weight=None):
        """Train TimeXer on every full window whose target is known.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows in time order (within each series); numeric, NaN for missing
            values, no infinity, at most 1e15 in magnitude (training runs in
            float32). Without ``y``: a long table, one row per series and time
            step, in any order, with the columns ``id_column``,
            ``time_column`` and ``target`` (the defaults ``unique_id``, ``ds``
            and ``y``) and the covariates.
        y : array-like of shape (n_steps,) or (n_steps, n_outputs), optional
            Target of each row: its next ``horizon`` steps (per endogenous
            variable). NaN marks an unknown value; a row with no known value
            is a context row, never trained on. None reads ``X`` as a long
            table and makes the targets from its ``target`` column.
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.
        sample_weight : array-like of shape (n_steps,), default=None
            Weight of each row's forecast in the loss; a zero weight leaves
            the row out of training, as a NaN target does.

        Returns
        -------
        self : TimeXerRegressor
            The fitted forecaster.
        """
        self._check_params()
        long_table = None
        if y is None and isinstance(X, pd.DataFrame):
            long_table = long_table_for(self, groups)
            n_rows = len(X)
            X, y, groups, rows = long_table.training_data(
                X, self.horizon, self.future_covariates)
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, n_rows)[rows]
        elif y is not None:
            warn_idle_long_parameters(self)
        X = as_time_table(X)
        if y is None:
            raise InputValueError(
                "TimeXerRegressor requires y to be passed, but the target y is "
                "None; without y, X must be a long table (a DataFrame with the "
                "columns id_column, time_column and target)."
            )
        # Everything is built in locals and assigned at the end, so a fit
        # that raises or is interrupted leaves the estimator as it was.
        feature_names = FeatureNameRecorder().record(X)
        prepared = self._prepare(X, y, groups, sample_weight)
        module, net, device, precision = self._train(prepared)
        feature_names.apply_to(self)
        self._record(prepared, module, net, device)
        self.precision_ = precision
        self._long_table = long_table
        return self

    def _prepare(self, X, y, groups, sample_weight) -> _TrainingData:
        """Read ``X`` by column role, check ``y`` and the weights, and pick
        the training and validation windows."""
        tags = self._tag_spec()
        layout = ColumnLayout.from_training_frame(
            X, endogenous=self.endogenous, mode=self.mode,
            group_column=self.group_column, calendar=self.calendar,
            feature_tags=None if tags is None else self.feature_tags,
            future_covariates=self.future_covariates,
        )
        data, series = layout.read(X, groups, self.group_column)
        n_rows, n_endogenous = data.shape[0], len(layout.endogenous)
        target = check_target(y, n_rows, allow_nan=True,
                              max_magnitude=MAX_MAGNITUDE).reshape(n_rows, -1)
        weight = check_sample_weight(sample_weight, n_rows)
        if target.shape[1] % n_endogenous:
            raise InputValueError(
                f"In mode='M' y needs a multiple of the {n_endogenous} columns "
                f"of X (one block of steps per column), got {target.shape[1]}."
            )
        if weight is not None:  # a zero weight: the row's target is unknown
            target[weight == 0] = np.nan
        series_table = None
        if tags is not None and self.series_tags is not None:
            series_table = SeriesTagTable.read(self.series_tags)
        scaling = self._target_scaling(data, series, target, layout)
        location, scale = series_statistics(target, series.codes,
                                            len(series.labels), n_endogenous)
        ends = series.full_window_ends(self.lookback)
        ends = ends[np.isfinite(target[ends]).any(axis=1)]
        if len(ends) == 0:
            raise InputValueError(
                f"No row has both the lookback={self.lookback} rows of history "
                f"one training window needs and a known target (X has "
                f"n_samples={n_rows}); give more rows or a shorter lookback."
            )
        train_ends, valid_ends = series.split_last(ends, self.validation_fraction)
        check_horizon(self.horizon, target.shape[1] // n_endogenous)
        return _TrainingData(
            tags=tags, layout=layout, data=data, series=series,
            target=target, weight=weight, series_table=series_table,
            horizon=target.shape[1] // n_endogenous,
            levels=quantile_levels(self.quantiles),
            context=SeriesContext(series.labels, location, scale, scaling,
                                  series_table),
            train_ends=train_ends, valid_ends=valid_ends,
            series_tag_dropout=self._series_tag_dropout(series_table,
                                                        series.labels),
        )

    def _series_tag_dropout(self, table: SeriesTagTable | None,
                            labels: np.ndarray) -> float:
        """``series_tag_dropout`` resolved: ``"auto"`` is
        :data:`AUTO_SERIES_TAG_DROPOUT` times the share of the training
        series whose tag row is theirs alone."""
        if self.series_tag_dropout != "auto":
            return float(self.series_tag_dropout)
        if table is None:
            return 0.0
        return AUTO_SERIES_TAG_DROPOUT * unique_row_share(table, labels)

    def _target_scaling(self, data, series, target, layout) -> str:
        """``target_scaling`` resolved: ``"window"`` when ``y`` holds the
        endogenous columns' next values."""
        if self.target_scaling != "auto":
            return self.target_scaling
        if is_endogenous_future(data, series, target,
                                layout.positions("endogenous")):
            return "window"
        if self.mode == "MS" and self.endogenous is None:
            warn_if_target_is_another_column(
                data, series, target, layout.columns, layout.endogenous[0],
                layout.positions("exogenous"))
        return "series"

    def _train(self, prepared: _TrainingData):
        """Build the module and train it on ``prepared``'s windows; the
        module, the net, the device and the precision."""
        layout, data, horizon = prepared.layout, prepared.data, prepared.horizon
        levels, series_table = prepared.levels, prepared.series_table
        net_class, net_options = self._net_class()
        device = net_options.pop("device")
        # Under Accelerate its own mixed_precision option rules, not ours.
        precision = ("float32" if self.accelerate is not False
                     else resolve_precision(self.precision, device))
        rng = check_random_state(self.random_state)
        seed = torch_seed_from(rng)
        with seeded_torch(seed, device):
            # min propagates NaN: a scan without a mask the size of the data.
            module = self._build_module(layout, horizon, levels, series_table,
                                        bool(np.isnan(np.min(data))), rng, data,
                                        prepared.tags, prepared.series_tag_dropout)
            dataset = prepared.context.source(data, prepared.series, layout,
                                              self.lookback, horizon, device)
            target = torch.from_numpy(prepared.target.astype(np.float32)).to(device)
            weight = (None if prepared.weight is None else
                      torch.from_numpy(prepared.weight.astype(np.float32)).to(device))
            train = dataset.windows(prepared.train_ends, target, weight)
            valid = (dataset.windows(prepared.valid_ends, target, weight)
                     if len(prepared.valid_ends) else None)
            # Under Accelerate each process runs its share of the batches.
            processes = net_options["accelerator"].num_processes if (
                "accelerator" in net_options) else 1
            steps = self._steps_per_epoch()
            batches = len(BatchLoader(train, self.batch_size, max_batches=steps))
            schedule = learning_rate_schedule(self.lr_schedule, self.max_epochs,
                                              -(-batches // processes))
            net = train_net(
                module, train, valid,
                criterion=ForecastLoss(None if self.quantiles is None else levels,
                                       median_weight=self.median_weight),
                # With no weight decay, AdamW's update is Adam's, bit for bit.
                optimizer=torch.optim.AdamW,
                optimizer__weight_decay=self.weight_decay,
                # One fused kernel for the whole update instead of one per
                # parameter tensor: a third of a CPU training step otherwise.
                optimizer__fused=True,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                steps_per_epoch=steps,
                patience=self.patience,
                device=device,
                verbose=self.verbose,
                callbacks=[*(self.callbacks or []), schedule],
                net_class=net_class,
                precision=precision,
                compile=self.compile,
                **net_options,
            )
        return module, net, device, precision

    def _steps_per_epoch(self) -> int | None:
        """``steps_per_epoch`` resolved: ``"auto"`` is
        :data:`AUTO_STEPS_PER_EPOCH`."""
        if self.steps_per_epoch == "auto":
            return AUTO_STEPS_PER_EPOCH
        return self.steps_per_epoch

    def _record(self, prepared: _TrainingData, module: TimeXer, net,
                device: str) -> None:
        """Set the fitted attributes."""
        layout, series_table = prepared.layout, prepared.series_table
        self.layout_ = layout
        self.endogenous_columns_ = list(layout.endogenous)
        self.exogenous_columns_ = list(layout.exogenous)
        self.future_columns_ = list(layout.future)
        self.horizon_ = prepared.horizon
        self.quantile_levels_ = (None if self.quantiles is None else
                                 sorted(float(q) for q in set(self.quantiles)))
        self._levels = prepared.levels
        self.target_scaling_ = prepared.context.scaling
        self.linear_skip_ = module.linear_skip
        self.calendar_ = layout.calendar
        self.series_ids_ = prepared.series.labels
        self._series_context = prepared.context
        self.tag_names_ = layout.tag_names
        self.tag_embeddings_ = (
            None if module.tag_embedding is None else
            single_tag_table(module.tag_embedding, layout.tag_names,
                             prepared.tags.method))
        self.variable_embeddings_ = (
            None if module.tag_embedding is None else
            _variable_table(module, layout.tagged))
        self.series_tag_names_ = (None if series_table is None else
                                  series_table.tag_names)
        self.series_tag_dropout_ = (None if module.series_tags is None else
                                    prepared.series_tag_dropout)
        self.n_outputs_ = prepared.target.shape[1]
        self.device_ = device
        self.net_ = net
        self._record_fitted_versions()

    def _check_params(self) -> None:
        """Check every parameter against :attr:`_parameter_table`, then the
        combinations; warn about values that cannot act."""
        params = self.get_params(deep=False)
        validate_params(params, self._parameter_table)
        if self.lookback % self.patch_len:
            raise InputValueError(
                f"lookback={self.lookback} must be divisible by "
                f"patch_len={self.patch_len}."
            )
        if self.d_model % self.n_heads:
            raise InputValueError(
                f"d_model={self.d_model} must be divisible by "
                f"n_heads={self.n_heads}."
            )
        if self.accelerate is not False and self.precision == "bfloat16":
            raise InputValueError(
                "With accelerate, set the precision through Accelerate: "
                "accelerate={'mixed_precision': 'bf16'}, precision='float32'."
            )
        self._check_tag_params()
        warn_idle_training_params(self)

    def _check_tag_params(self) -> None:
        tagged = self.feature_tags is not None or self.series_tags is not None
        transformer = unwrap(self.tag_embedding)
        if is_transformer(transformer):
            transformer._check_method_params(prefix="tag_embedding__")
            transformer._warn_unread_options("tag_embedding__", stacklevel=7)
        tags = self._tag_spec()
        if tags is not None and not tagged:
            raise InputValueError(
                f"tag_embedding={short_repr(self.tag_embedding)} needs "
                "feature_tags (indexed by column name) or series_tags (indexed "
                "by series id)."
            )
        if self.linear_skip == "tags" and (tags is None
                                           or self.feature_tags is None):
            warn_ignored("linear_skip", "tags", "no feature tags are embedded, "
                         "so every column keeps skip weights of its own")
        if self.series_tag_dropout != "auto" and (tags is None
                                                  or self.series_tags is None):
            warn_ignored("series_tag_dropout", self.series_tag_dropout,
                         "no series tags are embedded")
        if self.quantiles is None and self.median_weight != 1.0:
            warn_ignored("median_weight", self.median_weight,
                         "quantiles=None trains on the squared error")
        if tags is not None:
            return
        reason = ("tag_embedding=None embeds no tags" if tagged else
                  "there are no feature_tags or series_tags to embed")
        defaults = default_params(self)
        for name in _TAG_PARAMETERS:
            value = getattr(self, name)
            if not is_default(value, defaults[name]):
                warn_ignored(name, value, reason)

    def _tag_spec(self) -> TagEmbeddingSpec | None:
        """The tag embedding in effect (None: plain TimeXer)."""
        tagged = self.feature_tags is not None or self.series_tags is not None
        return TagEmbeddingSpec.resolve(self.tag_embedding, tagged)

    def _tag_method(self) -> str | None:
        """The tag method in effect (``"auto"`` resolved)."""
        tags = self._tag_spec()
        return None if tags is None else tags.method

    def _net_class(self) -> tuple[type, dict]:
        """The skorch net class, its extra options and the device (the
        Accelerator picks the device when ``accelerate`` is set)."""
        if self.accelerate is False:
            return InterruptibleNet, {"device": resolve_device(self.device)}
        from ._accelerate import AcceleratedNet, make_accelerator

        accelerator = make_accelerator(self.accelerate, self.device)
        return AcceleratedNet, {"accelerator": accelerator,
                                "device": str(accelerator.device)}

    def _linear_skip(self) -> bool:
        return self.linear_skip == "auto" or bool(self.linear_skip)

    def _build_module(self, layout: ColumnLayout, horizon: int,
                      levels: list[float], series_table, has_missing: bool,
                      rng, data: np.ndarray, tags: TagEmbeddingSpec | None,
                      series_tag_dropout: float) -> TimeXer:
        """The torch module; ``data`` (the training table) gives the linear
        skip's column statistics."""

        def tag_module(matrix, names):
            return tags.build(matrix, names, rng)

        tag_embedding = tag_matrix = series_embedding = None
        if layout.tag_matrix is not None:
            tag_embedding = tag_module(layout.tag_matrix, layout.tag_names)
            tag_matrix = as_tensor(layout.tag_matrix)
        if series_table is not None:
            series_embedding = tag_module(series_table.matrix,
                                          series_table.tag_names)
        linear_skip = self._linear_skip()
        variable_weights = not (self.linear_skip == "tags"
                                and tag_embedding is not None)
        location = scale = None
        if linear_skip:
            location, scale = map(torch.from_numpy, layout.level_statistics(data))
        return TimeXer(
            self.lookback,
            horizon,
            len(layout.endogenous),
            len(layout.exogenous),
            layout.n_calendar,
            n_future=len(layout.future),
            n_quantiles=len(levels) if self.quantiles is not None else 1,
            median_index=levels.index(0.5) if self.quantiles is not None else 0,
            patch_len=self.patch_len,
            d_model=self.d_model,
            n_heads=self.n_heads,
            e_layers=self.e_layers,
            d_ff=self.d_ff,
            dropout=self.dropout,
            use_norm=self.use_norm,
            missing_embedding=has_missing,
            tag_embedding=tag_embedding,
            tag_matrix=tag_matrix,
            series_tag_embedding=series_embedding,
            series_tag_dropout=series_tag_dropout,
            tag_combine=self.tag_combine,
            linear_skip=linear_skip,
            skip_variable_weights=variable_weights,
            level_location=location,
            level_scale=scale,
        )

    # -- predict --------------------------------------------------------------

    def predict(self, X, groups=None):
        """Forecast the target of every row (the median with ``quantiles``).

        Rows with fewer than ``lookback`` earlier rows in their series get a
        window padded on the left with the series' first row, so every row
        gets a finite forecast; to score only full windows, see
        :func:`sktagembed.model_selection.full_window_scorer`.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows in time order, with the columns seen in ``fit``; for a model
            fitted on a long table, a long table (rows in any order).
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.

        Returns
        -------
        y_pred : ndarray of shape (n_steps,) or (n_steps, n_outputs)
            The forecast of each row (in the order of ``X``), in the units of
            ``y``.
        """
        X, groups, back = self._long_rows(X, groups)
        out = self._median(self._forecast_rows(X, groups))[back]
        return out[:, 0] if self.n_outputs_ == 1 else out

    def predict_quantiles(self, X, groups=None):
        """Forecast the quantile levels of ``quantiles`` for every row.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows in time order, with the columns seen in ``fit``; for a model
            fitted on a long table, a long table (rows in any order).
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.

        Returns
        -------
        y_quantiles : ndarray of shape (n_steps, n_outputs, n_levels)
            Levels in increasing order (``quantile_levels_``); never crossing.
        """
        check_is_fitted(self)
        if self.quantile_levels_ is None:
            raise InputValueError(
                "predict_quantiles needs a model fitted with quantile levels; "
                "this one, fitted with quantiles=None, gives point forecasts "
                "(predict)."
            )
        X, groups, back = self._long_rows(X, groups)
        return self._user_levels(self._forecast_rows(X, groups))[back]

    def forecast(self, X, groups=None, *, future=None) -> pd.DataFrame:
        """Forecast the next ``horizon`` steps after each series' last row
        with a known target, in the units of ``y``.

        The origin of a series is its last row whose endogenous value is
        known; its window is the ``lookback`` rows up to it, and the
        known-future covariates come from the ``horizon`` rows after it
        (rows with the covariates filled in and the target missing).

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            History (and, for future covariates, the rows of the horizon).
            A DataFrame's columns are matched by name, in any order. For a
            model fitted on a long table, a long table.
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.
        future : DataFrame, default=None
            For a model fitted on a long table: the horizon's known-future
            covariates, one row per series and future time step, with the id
            and time columns and every column of ``future_covariates`` (as
            NeuralForecast's ``futr_df``); other columns are not read. None:
            ``X`` holds those rows itself, its target left missing.

        Returns
        -------
        forecast : DataFrame
            One row per series, variable and future step: the series id
            (panels, named by ``group_column`` or ``"series"``), ``variable``
            (mode ``"M"``), ``timestamp`` (when ``X`` has a DatetimeIndex with
            a frequency), ``step`` (1 to ``horizon``), ``prediction`` and one
            column per quantile level (named like ``"0.1"``). For a model
            fitted on a long table, a long table: ``id_column`` (panels),
            ``time_column``, ``prediction`` and the quantile columns.

        Examples
        --------
        A long table of two series, and the horizon's known temperatures in
        a table of their own:

        >>> import numpy as np, pandas as pd
        >>> from sktagembed import TimeXerRegressor
        >>> rng = np.random.default_rng(0)
        >>> hours = pd.date_range("2024-01-01", periods=64, freq="h")
        >>> df = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 60),
        ...                    "ds": np.tile(hours[:60], 2),
        ...                    "y": rng.normal(size=120),
        ...                    "temp": rng.normal(size=120)})
        >>> future = pd.DataFrame({"unique_id": np.repeat(["a", "b"], 4),
        ...                        "ds": np.tile(hours[60:], 2),
        ...                        "temp": rng.normal(size=8)})
        >>> model = TimeXerRegressor(lookback=16, patch_len=8, horizon=4,
        ...                          future_covariates=["temp"], d_model=16,
        ...                          n_heads=2, d_ff=32, max_epochs=1,
        ...                          random_state=0).fit(df)
        >>> forecast = model.forecast(df, future=future)
        >>> forecast.columns.tolist()[:4], len(forecast)
        (['unique_id', 'ds', 'prediction', '0.1'], 8)
        >>> str(forecast["ds"].iloc[0])
        '2024-01-03 12:00:00'
        """
        check_is_fitted(self)
        long_table = getattr(self, "_long_table", None)
        if long_table is not None:
            return forecast_long(self, long_table, X, groups, future)
        check_wide_input(self, X)
        if future is not None:
            raise InputValueError(
                "future= takes the horizon's covariates of a long table, and "
                "this model was fitted on a wide one (fit(X, y)): give them as "
                "the rows after the last known target of X, the target missing."
            )
        return self._forecast_table(X, groups)

    def _forecast_table(self, X, groups) -> pd.DataFrame:
        """The table of :meth:`forecast` from a wide table."""
        X = as_time_table(X)
        fitted = getattr(self, "feature_names_in_", None)
        if fitted is not None and isinstance(X, pd.DataFrame) and (
                set(map(str, X.columns)) == set(fitted)):
            X = X[list(fitted)]  # a frame's columns are read by name here
        read = self._read(X, groups)
        data, series, layout, _ = read
        known = np.isfinite(data[:, layout.positions("endogenous")]).all(axis=1)
        origins = series.last_rows(known)
        index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(len(X))
        check_forecast_rows(data, series, origins, layout, self.horizon_, index)
        out = self._forecast_rows(X, groups, rows=origins, read=read)
        group_name = None
        if series.labels[0] is not None or len(series.labels) > 1:
            group_name = (str(self.group_column) if self.group_column is not None
                          else "series")
        frequency = (time_step(index, series)
                     if isinstance(index, pd.DatetimeIndex) else None)
        return forecast_table(
            self._median(out),
            None if self.quantile_levels_ is None else self._user_levels(out),
            self.quantile_levels_, series.labels, index[origins],
            self.endogenous_columns_, group_name, frequency)

    def scored_rows(self, X, y=None, groups=None) -> np.ndarray:
        """The rows a score should count: those with a full window (at least
        ``lookback`` rows of their series up to them) and, when ``y`` is
        given, a known target.

        For a model fitted on a long table, ``X`` is a long table and the
        target is its target column's next ``horizon`` values: the rows
        counted have a full window and those values known.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows in time order, with the columns seen in ``fit``; for a model
            fitted on a long table, a long table (rows in any order).
        y : array-like of shape (n_steps,) or (n_steps, n_outputs), optional
            Targets; rows whose target is unknown (NaN) are left out. None
            for a long table.
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.

        Returns
        -------
        rows : ndarray of int
            Positions of the scored rows in ``X``, in increasing order.
        """
        X, y, groups, _, rows = self._scoring_data(X, y, groups, None,
                                                   "scored_rows")
        scored = self._scored_rows(X, y, groups)
        return scored if rows is None else np.sort(rows[scored])

    def _scored_rows(self, X, y, groups) -> np.ndarray:
        """:meth:`scored_rows` of a wide table."""
        check_is_fitted(self)
        _, series, _, _ = self._read(as_time_table(X), groups)
        full = np.zeros(len(series.position), dtype=bool)
        full[series.full_window_ends(self.lookback)] = True
        if y is not None:
            target = check_target(y, len(full), allow_nan=True)
            full &= np.isfinite(target.reshape(len(full), -1)).all(axis=1)
        return np.flatnonzero(full)

    def score(self, X, y=None, sample_weight=None, groups=None) -> float:
        """R² of the forecasts of the rows with a full window and a known
        target (:meth:`scored_rows`): the first ``lookback - 1`` rows of each
        series in ``X`` serve as history only.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows in time order, with the columns seen in ``fit``; for a model
            fitted on a long table, a long table.
        y : array-like of shape (n_steps,) or (n_steps, n_outputs), optional
            True targets; None for a long table (its target's next values).
        sample_weight : array-like of shape (n_steps,), default=None
            Weight of each row in the R².
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.

        Returns
        -------
        score : float
            R² of the forecasts of the scored rows.
        """
        from sklearn.metrics import r2_score

        X, y, groups, sample_weight, _ = self._scoring_data(
            X, y, groups, sample_weight, "score")
        rows = self._scored_rows(X, y, groups)
        if len(rows) == 0:
            raise InputValueError(
                f"No row of X has a full window of lookback={self.lookback} rows "
                "and a known target to score; give the rows before the scored "
                "ones as history (see sktagembed.model_selection)."
            )
        truth = np.asarray(y, dtype=np.float64)[rows]
        weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
        pred = self._median(self._forecast_rows(X, groups))[rows]
        return r2_score(truth, pred[:, 0] if self.n_outputs_ == 1 else pred,
                        sample_weight=weight)

    def tag_importance(self, X, y=None, groups=None, *, method="ablation",
                       n_repeats=5, random_state=None) -> pd.DataFrame:
        """Score each feature tag by what the forecasts lose without it.

        ``"ablation"`` removes the tag from the variables carrying it and
        measures the relative growth of the MSE on the rows of ``X`` with a
        full window and a known target (nothing is retrained); its spread
        comes from ``n_repeats`` bootstrap resamples of those rows.
        ``"permutation"`` hands the tag to as many randomly drawn variables
        instead, ``n_repeats`` times. Both also give the mean cross-attention
        weight from the global token to the variables carrying the tag. It
        swaps the model's tag rows while it runs: do not call other methods
        of the same model from other threads meanwhile.

        Parameters
        ----------
        X : DataFrame or array of shape (n_steps, n_vars)
            Rows to score (held-out rows, with the history before them); for
            a model fitted on a long table, a long table.
        y : array-like of shape (n_steps,) or (n_steps, n_outputs), optional
            True targets; None for a long table (its target's next values).
        groups : array-like of shape (n_steps,), default=None
            Series id of each row, for panels.
        method : {"ablation", "permutation"}, default="ablation"
            Remove each tag, or hand it to randomly drawn variables.
        n_repeats : int, default=5
            Bootstrap resamples (ablation) or random draws (permutation).
        random_state : int, RandomState instance or None, default=None
            Seeds the resamples and draws.

        Returns
        -------
        importance : DataFrame
            One row per tag, most important first: ``importance`` (relative
            MSE growth; 0.1 is 10% worse without the tag), ``importance_std``,
            ``attention`` (mean cross-attention weight of its variables) and
            ``n_variables`` carrying it.
        """
        from ._importance import tag_importance

        X, y, groups, _, _ = self._scoring_data(X, y, groups, None,
                                                "tag_importance")
        return tag_importance(self, X, y, groups=groups, method=method,
                              n_repeats=n_repeats, random_state=random_state)

    def _long_rows(self, X, groups):
        """``(X, groups, back)``: a long table read as a wide one and where
        its rows went (``back`` restores the order of ``X``); a wide table as
        it is."""
        long_table = getattr(self, "_long_table", None)
        if long_table is None:
            check_wide_input(self, X)
            return X, groups, slice(None)
        check_long_input(long_table, X, groups)
        return long_table.rows(X)

    def _scoring_data(self, X, y, groups, sample_weight, method: str):
        """``(X, y, groups, sample_weight, rows)`` to score: a long table read
        as a wide one with its targets, and each wide row's position in
        ``X``; a wide table as it is (``rows`` None), ``y`` required by
        ``method`` unless it is :meth:`scored_rows`."""
        check_is_fitted(self)
        long_table = getattr(self, "_long_table", None)
        if long_table is not None:
            return long_scoring_data(self, long_table, X, y, groups,
                                     sample_weight, method)
        check_wide_input(self, X)
        if y is None and method != "scored_rows":
            raise InputValueError(f"{method} needs y: this model was fitted on "
                                  "a wide table (fit(X, y)).")
        return X, y, groups, sample_weight, None

    def _read(self, X, groups):
        """The data and series of a table to forecast from, its layout, and
        the position among the fitted exogenous columns of each of its own
        (None when the table has the fitted columns)."""
        layout, known = self._layout_for(X)
        data, series = layout.read(X, groups, self.group_column)
        return data, series, layout, known

    def _layout_for(self, X) -> tuple[ColumnLayout, list[int] | None]:
        """The fitted layout for a table with the columns seen in ``fit``;
        for a tagged model, the layout of a table with other exogenous
        columns (new ones read through their tags, absent ones left out)."""
        fitted = getattr(self, "feature_names_in_", None)
        if (fitted is None or not isinstance(X, pd.DataFrame)
                or list(map(str, X.columns)) == list(fitted)):
            check_feature_names(self, X)
            return self.layout_, None
        names = column_names(X)
        if self.group_column is not None:
            group = resolve_group_column(self.group_column, names)
            names = [c for c in names if c != group]
        if self.layout_.tag_schema is None and set(names) <= set(fitted):
            check_feature_names(self, X)  # the columns seen in fit, reordered
        return self.layout_.with_exogenous(names, self.feature_tags)

    def _module_for(self, layout: ColumnLayout, known: list[int] | None,
                    data: np.ndarray) -> TimeXer:
        """The fitted module, reading the exogenous columns of ``layout``."""
        module = self.net_.module_
        if known is None:
            return module
        new = [i for i, k in enumerate(known) if k < 0]
        counts = np.asarray(layout.tag_matrix[new].sum(axis=1)).ravel()
        blank = [layout.exogenous[i] for i, count in zip(new, counts, strict=True)
                 if not count > 0]
        if blank:
            warnings.warn(
                f"The new columns {blank} have none of the tags seen in fit "
                f"({self.tag_names_}): the model cannot tell what they are.",
                UnseenTagWarning, stacklevel=4)
        location = scale = None
        if module.linear_skip and new:
            # The statistics of a new column come from the table itself.
            location, scale = layout.level_statistics(data)
            location, scale = (torch.from_numpy(v[[1 + i for i in new]])
                               for v in (location, scale))
        return module.with_exogenous(known, as_tensor(layout.tag_matrix),
                                     location, scale)

    def _forecast_rows(self, X, groups, rows=None, read=None) -> np.ndarray:
        """Forecasts ``(n_rows, n_outputs, n_model_levels)`` of ``rows`` (all
        rows of ``X`` by default)."""
        check_is_fitted(self)
        if read is None:
            X = as_time_table(X)
            read = self._read(X, groups)
        data, series, layout, known = read
        device = str(self.net_.device)
        inputs = self._series_context.source(data, series, layout,
                                             self.lookback, self.horizon_, device)
        rows = np.arange(data.shape[0]) if rows is None else rows
        dataset = inputs.windows(rows)
        module = self._module_for(layout, known, data).eval()
        n_levels = len(self._levels) if self.quantile_levels_ is not None else 1
        out = np.empty((len(rows), self.n_outputs_, n_levels))
        # A model pickled before precision_ existed ran self.precision.
        precision = getattr(self, "precision_", self.precision)
        with torch.no_grad(), autocast(device, precision):
            for start in range(0, len(rows), PREDICT_BATCH):
                items = torch.arange(start, min(start + PREDICT_BATCH, len(rows)))
                batch, _ = dataset.batch(items)
                forecast = module(**batch).float()
                if n_levels == 1:
                    forecast = forecast.unsqueeze(-1)
                out[start:start + len(items)] = flatten_forecast(forecast).cpu()
        return out

    def _median(self, out: np.ndarray) -> np.ndarray:
        return out[:, :, self._levels.index(0.5) if out.shape[2] > 1 else 0]

    def _user_levels(self, out: np.ndarray) -> np.ndarray:
        return out[:, :, [self._levels.index(q) for q in self.quantile_levels_]]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.multi_output = True
        # A forecaster of windows scores poorly on i.i.d. rows with no
        # time structure; the checks keep their other assertions.
        tags.regressor_tags.poor_score = True
        return tags


@torch.no_grad()
def _variable_table(module: TimeXer, names: list[str]) -> pd.DataFrame:
    """The tag embedding of each tagged variable, one row per variable."""
    table = module.tag_embedding(module.feature_tag_bags()).cpu().numpy()
    return pd.DataFrame(table, index=pd.Index(names, name="variable"),
                        columns=[f"embed_{i}" for i in range(table.shape[1])])
