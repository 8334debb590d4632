"""Building the tag-embedding module of an estimator from its fitted tags.

Both estimators build their module here, so ``hierarchy="infer"`` and
pretrained tables are resolved against the fitted tag names the same way.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from .._utils.params import (
    BOOLEAN,
    FRACTION,
    NONE,
    POSITIVE_INT,
    Constraint,
    InstanceOf,
    Options,
    Satisfies,
    is_default,
    warn_ignored,
)
from ..exceptions import InputValueError
from ..nn import (
    METHOD_OPTIONS,
    METHODS,
    OPTION_DEFAULTS,
    TagBags,
    TagEmbedding,
    build_tag_embedding,
    infer_hierarchy,
)
from ..nn.sum import POOLINGS
from ._pretrained import HANDLE_MISSING, load_pretrained_table


def _is_table(value: object) -> bool:
    return isinstance(value, (pd.DataFrame, np.ndarray, list, tuple)) or (
        hasattr(value, "__array__") and not isinstance(value, str))


#: The table entries of the tag methods' options (the transformer's
#: parameters, which a forecaster reads from its ``tag_embedding``).
TAG_OPTION_PARAMETERS: dict[str, list[Constraint]] = {
    "pooling": [Options(*POOLINGS)],
    "n_heads": [POSITIVE_INT],
    "hidden_dim": [POSITIVE_INT],
    "dropout": [FRACTION],
    "hierarchy": [NONE, Options("infer"),
                  InstanceOf(Mapping, "a {parent: [children]} mapping")],
    "pretrained": [NONE, InstanceOf((str, os.PathLike), "a path"),
                   Satisfies(_is_table, "an array or a DataFrame indexed by tag "
                                        "name")],
    "freeze": [BOOLEAN],
    "handle_missing": [Options(*HANDLE_MISSING)],
}


def method_options(method: str) -> tuple[str, ...]:
    """The options a user may give for ``method``."""
    return METHOD_OPTIONS[method]


def check_method_params(method: str, embedding_dim: int, options: Mapping,
                        prefix: str = "") -> None:
    """Check the options of ``method`` together (the table checks each
    alone); the error names each parameter with ``prefix``
    (``"tag_embedding__"`` in a forecaster)."""
    if method == "pretrained" and options["pretrained"] is None:
        raise InputValueError(
            f"{prefix}method='pretrained' needs a tag table: pass "
            f"{prefix}pretrained=<array, DataFrame indexed by tag name, or "
            ".npy/.csv path>."
        )
    if method == "hierarchical" and options["hierarchy"] is None:
        raise InputValueError(
            f"{prefix}method='hierarchical' needs {prefix}hierarchy={{parent: "
            f"[children]}} or {prefix}hierarchy='infer'."
        )
    if method == "multihead" and embedding_dim % options["n_heads"]:
        raise InputValueError(
            f"{prefix}embedding_dim={embedding_dim} must be divisible by "
            f"{prefix}n_heads={options['n_heads']}."
        )


def readers(option: str) -> list[str]:
    """The methods that read ``option``."""
    return [method for method in METHODS if option in method_options(method)]


def warn_unread_options(method: str, values: Mapping, defaults: Mapping, *,
                        prefix: str = "", stacklevel: int = 5) -> None:
    """Warn about each option in ``values`` set away from its default that
    ``method`` does not read (named with ``prefix``; ``stacklevel`` counts
    from :func:`warn_ignored`)."""
    for option, value in values.items():
        if method in readers(option) or is_default(value, defaults[option]):
            continue
        by = " and ".join(map(repr, readers(option)))
        warn_ignored(prefix + option, value,
                     f"{prefix}method={method!r} does not read it, only {by}",
                     stacklevel=stacklevel)


def build_tag_module(method: str, tags, tag_names: Sequence[str],
                     embedding_dim: int, *, random_state=None,
                     handle_missing: str = "error", **options) -> TagEmbedding:
    """The module of ``method`` for the fitted ``tags`` (an ``(n, K)`` tag
    matrix) named ``tag_names``.

    ``hierarchy="infer"`` is derived from ``tags``; a ``pretrained`` table is
    read and aligned to ``tag_names`` (``handle_missing`` fills tags it
    lacks, seeded by ``random_state``). Other options go to
    :func:`~sktagembed.nn.build_tag_embedding`.
    """
    hierarchy = options.get("hierarchy", OPTION_DEFAULTS["hierarchy"])
    if method == "hierarchical" and isinstance(hierarchy, str) and (
        hierarchy == "infer"
    ):
        options["hierarchy"] = infer_hierarchy(tags, tag_names=tag_names)
    if method == "pretrained":
        if options.get("pretrained") is None:
            raise InputValueError(
                "The 'pretrained' method needs a tag table: an array, a "
                "DataFrame indexed by tag name, or a .csv/.npy/.safetensors path."
            )
        options["pretrained"] = load_pretrained_table(
            options["pretrained"], tag_names, handle_missing=handle_missing,
            embedding_dim=embedding_dim, random_state=random_state,
        )
    return build_tag_embedding(method, len(tag_names), embedding_dim,
                               tag_names=list(tag_names), **options)


def output_names(output_dim: int, method: str) -> list[str]:
    """Names of a method's output columns: ``embed_*``, then ``pair_*`` for
    the second half of ``interaction`` and ``bilinear``."""
    if method in ("interaction", "bilinear"):
        half = output_dim // 2
        return [f"embed_{i}" for i in range(half)] + [f"pair_{i}" for i in range(half)]
    return [f"embed_{i}" for i in range(output_dim)]


@torch.no_grad()
def single_tag_table(embedding: TagEmbedding, tag_names: Sequence[str],
                     method: str) -> pd.DataFrame:
    """The embedding of each tag alone, one row per tag (a sparse batch of
    one-tag rows, so a vocabulary of any size works)."""
    device = next(itertools.chain(embedding.parameters(), embedding.buffers())).device
    indices = torch.arange(len(tag_names), device=device)
    ones = torch.ones(len(tag_names), device=device)
    table = embedding(TagBags(indices, indices.clone(), ones)).cpu().numpy()
    return pd.DataFrame(table, index=pd.Index(list(tag_names), name="tag"),
                        columns=output_names(table.shape[1], method))
