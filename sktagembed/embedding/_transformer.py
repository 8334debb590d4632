"""TagEmbeddingTransformer: nine tag-embedding methods as one transformer."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._utils.checks import (
    TRAINING_PARAMETERS,
    FeatureNameRecorder,
    check_feature_names,
    check_input_features,
    check_target,
    default_params,
    warn_idle_training_params,
)
from .._utils.params import (
    BOOLEAN,
    NONE,
    POSITIVE_INT,
    Options,
    Satisfies,
    validate_params,
)
from .._utils.persistence import PersistenceMixin
from .._utils.torch_utils import (
    resolve_device,
    resolve_precision,
    seeded_torch,
    torch_seed_from,
)
from ..exceptions import IgnoredParameterWarning, InputValueError
from ..forecasting._targets import check_sample_weight
from ..nn import METHODS
from ._build import (
    TAG_OPTION_PARAMETERS,
    build_tag_module,
    check_method_params,
    method_options,
    single_tag_table,
    warn_unread_options,
)
from ._schema import TagSchema, as_tag_table
from ._table_io import write_tag_table
from ._training import Objective, embed_in_chunks, train_tag_embedding

OBJECTIVES = ("auto", "regression", "classification", "reconstruction",
              "sampled_reconstruction")
#: Above this many tags ``objective="auto"`` without ``y`` samples the
#: reconstruction (the dense one builds ``batch x n_tags`` logits and targets).
SAMPLED_RECONSTRUCTION_ABOVE = 4096

#: Rows embedded per forward pass in ``transform``.
TRANSFORM_CHUNK_ROWS = 1 << 20


def _is_separator(value: object) -> bool:
    return isinstance(value, str) and value != ""


class TagEmbeddingTransformer(PersistenceMixin, TransformerMixin, BaseEstimator):
    """Learn dense embeddings of tag sets and transform rows into them.

    Each row of ``X`` is a set of tags (the columns of a boolean matrix, the
    categories of categorical columns, or the labels of a label-list column).
    ``fit`` builds one of nine torch embedding modules (see ``method``) and
    trains it with a skorch :class:`~skorch.NeuralNet`: against ``y`` through
    a small linear head when ``y`` is given, else to reconstruct the row's own
    tag set. ``transform`` maps each row to its embedding.

    The options of the methods (``pooling``, ``n_heads``, ``hidden_dim``,
    ``dropout``, ``hierarchy``, ``pretrained``, ``freeze``,
    ``handle_missing``) are accepted whatever the method, so that one search
    can span methods; a value other than the default that the chosen method
    does not read warns with
    :class:`~sktagembed.exceptions.IgnoredParameterWarning`, and an invalid
    value is an error whatever the method.

    Parameters
    ----------
    method : {"sum", "linear", "multihead", "interaction", "mlp", "bilinear", \
            "attention", "hierarchical", "pretrained"}, default="sum"
        The embedding method; see the user guide for each formula.
    embedding_dim : int, default=16
        Size ``d`` of one tag embedding. ``interaction`` and ``bilinear``
        output ``2 * d`` columns, every other method ``d``.
    objective : {"auto", "regression", "classification", "reconstruction", \
            "sampled_reconstruction"}, default="auto"
        What the training head predicts. ``"auto"`` picks regression or
        classification from the type of ``y``, and reconstruction of the tag
        set when ``y`` is None: ``"reconstruction"`` (binary cross-entropy
        over all tags) up to 4096 tags, ``"sampled_reconstruction"`` above
        (each row's active tags against 512 tags sampled per batch, so that
        nothing of size ``batch x n_tags`` is built).
    pooling : {"sum", "mean"}, default="sum"
        Pooling of the ``sum`` method.
    n_heads : int, default=4
        Heads of the ``multihead`` method; must divide ``embedding_dim``.
    hidden_dim : int, default=32
        Hidden width of the ``mlp`` method and of the ``attention`` scorer.
    dropout : float, default=0.0
        Dropout of the ``mlp`` method while training.
    hierarchy : dict, "infer" or None, default="infer"
        ``{parent: [children]}`` by tag name or index for ``hierarchical``;
        ``"infer"`` derives it from the training tags (``p`` is a parent of
        ``c`` when ``c`` never occurs without ``p``).
    pretrained : array-like, DataFrame, str or path, default=None
        Tag table for ``pretrained``: an ``(n_tags, embedding_dim)`` array
        (by position), a DataFrame indexed by tag name (aligned by name), or
        the path of a ``.csv``, ``.npy`` or ``.safetensors`` file written by
        :meth:`export_embeddings` (aligned by name). Reading a file never
        unpickles anything.
    freeze : bool, default=True
        Keep the ``pretrained`` table fixed while training. Given fitted to
        a :class:`TimeXerRegressor` (``tag_embedding=``), any method: keep
        its learned tag embedding fixed there (``False``: fine-tune it).
    handle_missing : {"error", "zeros", "random"}, default="error"
        Tags absent from a named ``pretrained`` table.
    handle_unknown : {"ignore", "error"}, default="ignore"
        Categories or labels seen in ``transform`` but not in ``fit``:
        ``"ignore"`` gives them no contribution, ``"error"`` raises.
    weighted : bool, default=False
        Read non-negative tag values as weights (a weighted bag) instead of
        requiring 0/1 values.
    separator : str, default=None
        Split string columns on this separator into label lists.
    max_epochs : int, default=20
        Training epochs; ``0`` keeps the seeded initialisation.
    lr : float, default=0.01
        AdamW learning rate.
    batch_size : int, default=256
        Rows per training batch.
    weight_decay : float, default=0.0
        AdamW weight decay.
    validation_fraction : float, default=0.1
        Fraction of training rows held out for early stopping (no split is
        made below 20 rows or when ``max_epochs == 0``).
    patience : int, default=5
        Early-stopping patience in epochs on the held-out loss; ``0`` turns
        early stopping off.
    device : {"auto", "cpu", "cuda", ...}, default="auto"
        Torch device; ``"auto"`` uses CUDA when available.
    precision : {"float32", "bfloat16", "auto"}, default="float32"
        ``"bfloat16"`` runs forward passes under bfloat16 autocast (weights,
        optimiser state and loss stay float32); the output is float32.
        ``"auto"``: bfloat16 where the device computes it natively (CUDA, a
        CPU with AVX-512 BF16 or AMX), else float32 (``precision_`` says
        which ran).
    compile : bool, default=False
        Train a ``torch.compile``-d module (a warning and ordinary training
        where compilation is unavailable).
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, the validation split and batch shuffling.
    verbose : int, default=0
        ``1`` prints skorch's epoch table, ``2`` adds a progress bar.
    callbacks : list of skorch callbacks, default=None
        Extra callbacks for the skorch net that trains the embedding.

    Attributes
    ----------
    tag_names_ : list of str
        The tags, in the order of the embedding table.
    embeddings_ : pandas.DataFrame of shape (n_tags, n_output)
        The transform of each tag alone, indexed by tag name. For ``sum`` it
        is the tag table ``E`` itself.
    net_ : skorch.NeuralNet
        The trained net (embedding module plus training head).
    objective_ : str
        The objective used for training.
    device_ : str
        The torch device of the net (``"cpu"`` after loading a GPU-trained
        model on a machine without CUDA).
    precision_ : {"float32", "bfloat16"}
        The precision of training and transform (``precision`` resolved).
    fitted_versions_ : dict of str to str
        Versions of sktagembed, torch, scikit-learn and skorch at fit time.
        Unpickling under another sktagembed version warns with
        :class:`~sktagembed.exceptions.VersionMismatchWarning`.
    n_features_in_ : int
        Number of input columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Input column names, when ``X`` had string column names.

    See Also
    --------
    TimeXerRegressor : Forecaster whose exogenous tokens carry tag embeddings;
        it takes this transformer, fitted or not, as its ``tag_embedding``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sktagembed import TagEmbeddingTransformer
    >>> tags = pd.DataFrame({"price": [1, 0, 1], "volume": [0, 1, 1]},
    ...                     dtype=bool)
    >>> emb = TagEmbeddingTransformer("sum", embedding_dim=4, max_epochs=0,
    ...                               random_state=0).fit(tags)
    >>> emb.transform(tags).shape
    (3, 4)
    >>> emb.get_feature_names_out()
    array(['embed_0', 'embed_1', 'embed_2', 'embed_3'], dtype=object)
    """

    _parameter_table = {
        "method": [Options(*METHODS)],
        "embedding_dim": [POSITIVE_INT],
        "objective": [Options(*OBJECTIVES)],
        **TAG_OPTION_PARAMETERS,
        "handle_unknown": [Options("ignore", "error")],
        "weighted": [BOOLEAN],
        "separator": [NONE, Satisfies(_is_separator, "a non-empty string")],
        **TRAINING_PARAMETERS,
    }

    def __init__(
        self,
        method="sum",
        embedding_dim=16,
        *,
        objective="auto",
        pooling="sum",
        n_heads=4,
        hidden_dim=32,
        dropout=0.0,
        hierarchy="infer",
        pretrained=None,
        freeze=True,
        handle_missing="error",
        handle_unknown="ignore",
        weighted=False,
        separator=None,
        max_epochs=20,
        lr=0.01,
        batch_size=256,
        weight_decay=0.0,
        validation_fraction=0.1,
        patience=5,
        device="auto",
        precision="float32",
        compile=False,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.method = method
        self.embedding_dim = embedding_dim
        self.objective = objective
        self.pooling = pooling
        self.n_heads = n_heads
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.hierarchy = hierarchy
        self.pretrained = pretrained
        self.freeze = freeze
        self.handle_missing = handle_missing
        self.handle_unknown = handle_unknown
        self.weighted = weighted
        self.separator = separator
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.device = device
        self.precision = precision
        self.compile = compile
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    # -- fitting -----------------------------------------------------------

    def fit(self, X, y=None, sample_weight=None):
        """Learn the tag vocabulary and train the embedding.

        Parameters
        ----------
        X : DataFrame, array-like or sparse matrix of shape (n_samples, n_cols)
            Tag rows (see the class description for the accepted layouts).
        y : array-like of shape (n_samples,) or (n_samples, n_targets), \
                default=None
            Target for supervised training; None trains the embedding to
            reconstruct each row's tags.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each row in the training loss. A row of weight zero is
            left out entirely, as if it were not in ``X`` (its tags are not
            learned either).

        Returns
        -------
        self : TagEmbeddingTransformer
            The fitted transformer.
        """
        self._check_params(y)
        X = as_tag_table(X)
        # Everything is built in locals and assigned at the end, so a fit
        # that raises or is interrupted leaves the estimator as it was.
        feature_names = FeatureNameRecorder().record(X)
        weight = check_sample_weight(sample_weight, X.shape[0])
        if weight is not None:
            if y is not None:
                y = check_target(y, X.shape[0], numeric=False)[weight > 0]
            X = _take_rows(X, weight > 0)
            weight = weight[weight > 0]
        schema = TagSchema(
            handle_unknown=self.handle_unknown,
            weighted=self.weighted,
            separator=self.separator,
        )
        tags = schema.fit_transform(X)
        objective = self._resolve_objective(y, tags, weight)
        objective.weight = weight
        device = resolve_device(self.device)
        precision = resolve_precision(self.precision, device)
        rng = check_random_state(self.random_state)
        seed = torch_seed_from(rng)
        with seeded_torch(seed, device):
            embedding = self._build_module(tags, schema.tag_names_, rng)
            net = train_tag_embedding(
                embedding,
                tags,
                objective,
                max_epochs=self.max_epochs,
                lr=self.lr,
                batch_size=self.batch_size,
                weight_decay=self.weight_decay,
                validation_fraction=self.validation_fraction,
                patience=self.patience,
                device=device,
                random_state=rng,
                verbose=self.verbose,
                callbacks=self.callbacks,
                precision=precision,
                compile=self.compile,
            )
        embeddings = single_tag_table(net.module_.embedding, schema.tag_names_,
                                      self.method)

        self.schema_ = schema
        self.tag_names_ = list(schema.tag_names_)
        feature_names.apply_to(self)
        self.objective_ = objective.name
        self.device_ = device
        self.precision_ = precision
        self.net_ = net
        self.embeddings_ = embeddings
        self._record_fitted_versions()
        return self

    def _check_params(self, y) -> None:
        """Check every parameter against :attr:`_parameter_table`, then the
        combinations; warn about values that cannot act."""
        params = self.get_params(deep=False)
        validate_params(params, self._parameter_table)
        self._check_method_params()
        self._warn_unread_options()
        if y is not None and self.objective in ("reconstruction",
                                                "sampled_reconstruction"):
            warnings.warn(
                f"y is ignored: objective={self.objective!r} trains the "
                "embedding to reconstruct each row's tags; objective='auto' "
                "trains it on y.", IgnoredParameterWarning, stacklevel=3)
        warn_idle_training_params(self)

    def _check_method_params(self, prefix: str = "") -> None:
        """Check the method and its options alone and together (the error
        names each parameter with ``prefix``)."""
        params = {"method": self.method, "embedding_dim": self.embedding_dim,
                  **self._method_options(all_options=True)}
        validate_params(params, {name: self._parameter_table[name]
                                 for name in params},
                        name_format=prefix + "{}")
        check_method_params(self.method, self.embedding_dim, params, prefix)

    def _warn_unread_options(self, prefix: str = "", stacklevel: int = 6) -> None:
        """Warn about each option set away from its default that the method
        does not read (``stacklevel`` counts from :func:`warn_ignored`: 6 is
        the caller of ``fit``)."""
        # freeze also acts on a fitted transformer given to a forecaster.
        warn_unread_options(self.method, {
            name: value for name, value in self._method_options(True).items()
            if name != "freeze"}, default_params(self), prefix=prefix,
            stacklevel=stacklevel)

    def _method_options(self, all_options: bool = False) -> dict:
        """The options of the method (of every method with ``all_options``),
        by name."""
        names = TAG_OPTION_PARAMETERS if all_options else method_options(self.method)
        return {name: getattr(self, name) for name in names}

    def _resolve_objective(self, y, tags, weight=None) -> Objective:
        objective = self.objective
        if objective == "auto":
            if y is None:
                objective = ("sampled_reconstruction" if tags.shape[1] >
                             SAMPLED_RECONSTRUCTION_ABOVE else "reconstruction")
            else:
                try:
                    kind = type_of_target(y, input_name="y")
                except (TypeError, ValueError) as exc:
                    raise InputValueError(f"y is not a valid target: {exc}") from exc
                objective = (
                    "classification" if kind in ("binary", "multiclass")
                    else "regression"
                )
        if objective in ("reconstruction", "sampled_reconstruction"):
            return Objective(objective, tags.shape[1], nn.BCEWithLogitsLoss, None)
        if y is None:
            raise InputValueError(f"objective={objective!r} needs y; got y=None.")
        if objective == "classification":
            y = check_target(y, tags.shape[0], numeric=False)
            if y.ndim != 1:
                raise InputValueError(
                    "objective='classification' needs a 1-D y, got shape "
                    f"{y.shape}."
                )
            codes = LabelEncoder().fit_transform(y).astype(np.int64)
            n_classes = int(codes.max()) + 1
            return Objective(
                "classification", max(n_classes, 2), nn.CrossEntropyLoss, codes
            )
        y = check_target(y, tags.shape[0])
        target = y.reshape(len(y), -1)
        # Standardising does not depend on the scale; dividing by the largest
        # magnitude first keeps the variance of huge targets finite.
        peak = np.abs(target).max(axis=0)
        target = target / np.where(peak > 0, peak, 1.0)
        # With sample weights, the weighted moments: a row of weight 2
        # standardises as two copies of it would.
        mean = target.mean(axis=0) if weight is None else np.average(
            target, axis=0, weights=weight)
        scale = target.std(axis=0) if weight is None else np.sqrt(np.average(
            (target - mean) ** 2, axis=0, weights=weight))
        scale[scale == 0] = 1.0
        target = ((target - mean) / scale).astype(np.float32)
        return Objective("regression", target.shape[1], nn.MSELoss, target)

    def _build_module(self, tags, tag_names, rng):
        return build_tag_module(self.method, tags, tag_names, self.embedding_dim,
                                random_state=rng, **self._method_options())

    # -- transforming --------------------------------------------------------

    def transform(self, X):
        """Embed each row of ``X``.

        Parameters
        ----------
        X : DataFrame, array-like or sparse matrix of shape (n_samples, n_cols)
            Tag rows laid out as in ``fit``.

        Returns
        -------
        X_embedded : ndarray of shape (n_samples, n_output), float32
            One embedding per row.
        """
        check_is_fitted(self)
        X = as_tag_table(X)
        check_feature_names(self, X)
        tags = self.schema_.transform(X)
        device = self.net_.device
        # A model pickled before precision_ existed ran self.precision.
        precision = getattr(self, "precision_", self.precision)
        return embed_in_chunks(self.net_.module_, tags, device, TRANSFORM_CHUNK_ROWS,
                               precision)

    def export_embeddings(self, path) -> Path:
        """Write the learned tag table to a file that loads without pickle.

        The file holds :attr:`embeddings_` with its tag names, so it can be
        shared as data rather than as code, and read back with
        ``TagEmbeddingTransformer(method="pretrained", pretrained=path)``.
        For ``sum``, ``hierarchical`` and ``pretrained``, whose transform is a
        (weighted) sum of per-tag vectors, such a ``pretrained`` transformer
        reproduces this one's output exactly; for the other methods it
        starts from their per-tag outputs.

        Parameters
        ----------
        path : str or path-like
            Destination; the suffix picks the format: ``.csv`` (a ``tag``
            column, then one column per dimension), ``.npy`` (a structured
            array with ``tag`` and ``embedding`` fields) or ``.safetensors``
            (tensor ``"embeddings"``, tag names in the metadata).

        Returns
        -------
        path : pathlib.Path
            The written file.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import pandas as pd
        >>> from sktagembed import TagEmbeddingTransformer
        >>> tags = pd.DataFrame({"price": [1, 0, 1], "volume": [0, 1, 1]},
        ...                     dtype=bool)
        >>> emb = TagEmbeddingTransformer("sum", embedding_dim=2, max_epochs=0,
        ...                               random_state=0).fit(tags)
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "tags.safetensors"
        >>> _ = emb.export_embeddings(path)
        >>> again = TagEmbeddingTransformer("pretrained", embedding_dim=2,
        ...                                 pretrained=path, max_epochs=0).fit(tags)
        >>> bool((again.transform(tags) == emb.transform(tags)).all())
        True
        """
        check_is_fitted(self)
        return write_tag_table(self.embeddings_, path)

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output columns: ``embed_*`` then ``pair_*``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against the input columns seen in ``fit``
            (``feature_names_in_``, or their number); the output names do
            not depend on them.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``embed_0 ... embed_{d-1}``, then ``pair_*`` for ``interaction``
            and ``bilinear``.
        """
        check_is_fitted(self)
        check_input_features(self, input_features)
        return np.asarray(self.embeddings_.columns, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.input_tags.allow_nan = False
        tags.transformer_tags.preserves_dtype = ["float32"]
        tags.requires_fit = True
        return tags


def _take_rows(X, keep: np.ndarray):
    """The rows of a tag table flagged in ``keep``."""
    return X.iloc[np.flatnonzero(keep)] if hasattr(X, "iloc") else X[keep]
