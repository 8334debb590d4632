"""Which tags matter to a fitted tag-aware TimeXer.

Two views of each feature tag:

- *ablation*: how much the forecast error grows when the tag is removed from
  the variables carrying it (their tag rows lose it; nothing is retrained),
  as a share of the error with all tags; its spread comes from bootstrap
  resamples of the scored windows;
- *permutation*: the same when the tag is handed to randomly chosen
  variables instead (as many as carry it), over repeated draws;
- *attention*: the mean cross-attention weight from the endogenous global
  token to the tokens of the variables carrying the tag, over layers, heads
  and windows (1 / n_tokens would be uniform).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state

from .._utils.checks import check_target
from .._utils.params import check_int, check_option
from ..exceptions import InputValueError
from ..nn import dense_to_bags

METHODS = ("ablation", "permutation")


def tag_importance(model, X, y, *, groups=None, method: str = "ablation",
                   n_repeats: int = 5, random_state=None) -> pd.DataFrame:
    """See :meth:`TimeXerRegressor.tag_importance`."""
    check_option(method, "method", METHODS)
    check_int(n_repeats, "n_repeats")
    matrix = model.layout_.tag_matrix
    if matrix is None:
        raise InputValueError(
            "tag_importance needs a model fitted with feature_tags and a tag "
            "method; this one has no feature tags."
        )
    rows = model._scored_rows(X, y, groups)
    if len(rows) == 0:
        raise InputValueError("No row of X has a full window and a known target.")
    truth = check_target(y, len(X), allow_nan=True)
    truth = truth.reshape(len(truth), -1)[rows]
    rng = check_random_state(random_state)
    dense = matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix)
    module = model.net_.module_

    def errors(tags: np.ndarray | None) -> np.ndarray:
        """Squared error of each scored window, with tag rows ``tags``."""
        with _tag_rows(module, tags):
            pred = model._median(model._forecast_rows(X, groups, rows=rows))
        return np.mean((pred - truth) ** 2, axis=1)

    with _recorded_attention(module) as attention:
        base = errors(None)
    base_mse = base.mean()
    tokens = attention()
    n_variables = dense.shape[0]
    resamples = [rng.randint(len(rows), size=len(rows)) for _ in range(n_repeats)]
    out = []
    for k, tag in enumerate(model.tag_names_):
        carriers = dense[:, k] != 0
        if method == "ablation":
            removed = dense.copy()
            removed[:, k] = 0
            grown = errors(removed) - base
            scores = [grown[sample].mean() / base[sample].mean()
                      for sample in resamples]
        else:
            scores = []
            for _ in range(n_repeats):
                moved = dense.copy()
                moved[:, k] = 0
                moved[rng.choice(n_variables, carriers.sum(), replace=False), k] = (
                    dense[carriers, k])
                scores.append((errors(moved).mean() - base_mse) / base_mse)
        out.append({"tag": tag, "importance": float(np.mean(scores)),
                    "importance_std": float(np.std(scores)),
                    "attention": float(tokens[:n_variables][carriers].mean())
                    if carriers.any() else 0.0,
                    "n_variables": int(carriers.sum())})
    return (pd.DataFrame(out).set_index("tag")
            .sort_values("importance", ascending=False))


@contextlib.contextmanager
def _tag_rows(module, tags: np.ndarray | None) -> Iterator[None]:
    """Give the module other tag rows for the feature tags, for a while."""
    if tags is None:
        yield
        return
    saved = (module.tag_indices, module.tag_offsets, module.tag_weights)
    device = saved[0].device
    bags = dense_to_bags(torch.from_numpy(tags.astype(np.float32)))
    module.tag_indices = bags.indices.long().to(device)
    module.tag_offsets = bags.offsets.long().to(device)
    module.tag_weights = bags.per_sample_weights.float().to(device)
    try:
        yield
    finally:
        module.tag_indices, module.tag_offsets, module.tag_weights = saved


@contextlib.contextmanager
def _recorded_attention(module):
    """Record the cross-attention weights; yields a function returning the
    mean weight of each key token."""
    total, count = [0.0], [0]
    layers = [layer.cross_attention for layer in module.layers]

    def hook(attention, inputs, output):
        weights = attention.weights  # (batch, heads, queries, keys)
        total[0] = total[0] + weights.sum(dim=(0, 1, 2)).double().cpu()
        count[0] += weights.shape[0] * weights.shape[1] * weights.shape[2]

    handles = [layer.register_forward_hook(hook) for layer in layers]
    for layer in layers:
        layer.record_weights = True
    try:
        yield lambda: (total[0] / max(count[0], 1)).numpy()
    finally:
        for handle in handles:
            handle.remove()
        for layer in layers:
            layer.record_weights = False
