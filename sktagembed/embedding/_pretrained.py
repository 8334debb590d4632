"""Reading a pretrained tag table and aligning it to the fitted tags."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ..exceptions import InputValueError
from ._table_io import read_tag_table

HANDLE_MISSING = ("error", "zeros", "random")


def load_pretrained_table(
    source,
    tag_names: Sequence[str],
    *,
    handle_missing: str = "error",
    embedding_dim: int | None = None,
    random_state=None,
) -> np.ndarray:
    """Return the ``(K, d)`` float32 table for ``tag_names`` from ``source``.

    Parameters
    ----------
    source : array-like, DataFrame, str or path
        A 2-D array (rows by position, one per tag), a DataFrame indexed by
        tag name (rows aligned by name; extra rows ignored), or the path of a
        ``.csv``, ``.npy`` or ``.safetensors`` file as written by
        :meth:`TagEmbeddingTransformer.export_embeddings` (aligned by name; a
        plain 2-D ``.npy`` array is aligned by position).
    tag_names : sequence of str
        The fitted tags, in table order.
    handle_missing : {"error", "zeros", "random"}, default="error"
        Tags a named table lacks: raise, give them zero rows, or small random
        rows (seeded by ``random_state``).
    embedding_dim : int, optional
        Expected width of the table.
    random_state : int, RandomState or None
        Seed of the ``"random"`` rows.
    """
    if handle_missing not in HANDLE_MISSING:
        raise InputValueError(
            f"handle_missing must be one of {HANDLE_MISSING}, got {handle_missing!r}."
        )
    if isinstance(source, (str, os.PathLike)):
        source = read_tag_table(Path(source))
    if isinstance(source, pd.DataFrame):
        table = _align_by_name(source, tag_names, handle_missing, random_state)
    else:
        table = np.asarray(source, dtype=np.float64)
        if table.ndim != 2:
            raise InputValueError(
                f"The pretrained table must be 2-D (n_tags, embedding_dim), got "
                f"shape {table.shape}."
            )
        if table.shape[0] != len(tag_names):
            raise InputValueError(
                f"The pretrained table has {table.shape[0]} rows but there are "
                f"{len(tag_names)} tags; pass a DataFrame indexed by tag name to "
                "align by name."
            )
    if not np.isfinite(table).all():
        raise InputValueError("The pretrained table contains NaN or infinite values.")
    if embedding_dim is not None and table.shape[1] != embedding_dim:
        raise InputValueError(
            f"The pretrained table has {table.shape[1]} columns but "
            f"embedding_dim={embedding_dim}; they must match."
        )
    return table.astype(np.float32)


def _align_by_name(frame: pd.DataFrame, tag_names, handle_missing, random_state):
    index = frame.index.map(str)
    if index.duplicated().any():
        raise InputValueError(
            "The pretrained table names some tags twice: "
            f"{sorted(set(index[index.duplicated()]))}."
        )
    try:
        values = frame.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputValueError("The pretrained table must hold numbers only.") from exc
    positions = pd.Index(index).get_indexer(list(tag_names))
    missing = [name for name, pos in zip(tag_names, positions, strict=True)
               if pos < 0]
    if missing and handle_missing == "error":
        shown = ", ".join(map(repr, missing[:10]))
        raise InputValueError(
            f"The pretrained table has no row for the tags {shown}"
            + (" ..." if len(missing) > 10 else "")
            + "; pass handle_missing='zeros' or 'random' to fill them."
        )
    table = np.zeros((len(tag_names), values.shape[1]))
    found = positions >= 0
    table[found] = values[positions[found]]
    if handle_missing == "random" and (~found).any():
        rng = check_random_state(random_state)
        scale = values.std() if values.size else 1.0
        table[~found] = rng.normal(scale=scale or 1.0, size=((~found).sum(),
                                                             values.shape[1]))
    return table
