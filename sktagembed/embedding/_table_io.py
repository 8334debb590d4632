"""Tag tables on disk without pickle: ``.csv``, ``.npy`` and ``.safetensors``.

A tag table is a float matrix with one row per tag and the tag names beside
it. Each format keeps the names without executing code on load:

``.csv``
    First column ``tag``, then one column per embedding dimension.
``.npy``
    A structured array with the fields ``tag`` (unicode) and ``embedding``
    (float32 vector), readable with ``np.load(path, allow_pickle=False)``.
    A plain 2-D ``.npy`` array is also read, by position.
``.safetensors``
    One float32 tensor ``"embeddings"`` of shape ``(n_tags, d)``; the names
    are a JSON list in the header metadata under ``"tag_names"``. Written and
    read with the ``safetensors`` library (``pip install
    "sktagembed[safetensors]"``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .._utils.optional import import_optional
from ..exceptions import InputValueError

FORMATS = (".csv", ".npy", ".safetensors")
SAFETENSORS_KEY = "embeddings"
_FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")


def table_format(path: Path) -> str:
    """The format of ``path`` from its suffix; ``ValueError`` if unsupported."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputValueError(
            f"Unsupported tag table file {str(path)!r}: the suffix must be one "
            f"of {', '.join(FORMATS)}."
        )
    return suffix


def write_tag_table(table: pd.DataFrame, path) -> Path:
    """Write ``table`` (indexed by tag name) in the format of ``path``'s suffix."""
    path = Path(path)
    suffix = table_format(path)
    names = [str(name) for name in table.index]
    values = np.ascontiguousarray(table.to_numpy(dtype=np.float32))
    if suffix == ".csv":
        out = pd.DataFrame(values, index=pd.Index(names, name="tag"),
                           columns=[str(c) for c in table.columns])
        # Full float32 precision, so a round trip returns the same table.
        out.to_csv(path, float_format="%.9g")
    elif suffix == ".npy":
        width = max((len(name) for name in names), default=1)
        dtype = np.dtype([("tag", f"<U{max(width, 1)}"),
                          ("embedding", "<f4", (values.shape[1],))])
        records = np.empty(len(names), dtype=dtype)
        records["tag"] = names
        records["embedding"] = values
        np.save(path, records, allow_pickle=False)
    else:
        _write_safetensors(path, values, names)
    return path


def read_tag_table(path) -> pd.DataFrame | np.ndarray:
    """Read a tag table: a DataFrame indexed by tag name, or a plain array
    (rows by position) for a ``.npy`` file without names."""
    path = Path(path)
    suffix = table_format(path)
    if not path.exists():
        raise InputValueError(f"Tag table file not found: {path}")
    if suffix == ".csv":
        frame = pd.read_csv(path, index_col=0)
        frame.index = frame.index.map(str)
        return frame
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise InputValueError(
                f"{path} is not a plain .npy array (object arrays need pickle, "
                "which is refused)."
            ) from exc
        if array.dtype.names is None:
            return array
        if set(array.dtype.names) != {"tag", "embedding"} or array.ndim != 1:
            raise InputValueError(
                f"{path} holds a structured array with fields "
                f"{array.dtype.names}; expected ('tag', 'embedding')."
            )
        values = np.asarray(array["embedding"]).reshape(len(array), -1)
        return _named_frame(values, [str(name) for name in array["tag"]])
    values, names = _read_safetensors(path)
    return values if names is None else _named_frame(values, names)


def _named_frame(values: np.ndarray, names: list[str]) -> pd.DataFrame:
    columns = [f"embed_{i}" for i in range(values.shape[1])]
    return pd.DataFrame(values, index=pd.Index(names, name="tag"), columns=columns)


def _safetensors(purpose: str):
    return import_optional("safetensors.numpy", purpose)


def _write_safetensors(path: Path, values: np.ndarray, names: list[str]) -> None:
    _safetensors("Writing .safetensors tag tables").save_file(
        {SAFETENSORS_KEY: values.astype(np.float32)}, str(path),
        metadata={"tag_names": json.dumps(names, ensure_ascii=False)},
    )


def _read_safetensors(path: Path) -> tuple[np.ndarray, list[str] | None]:
    _safetensors("Reading .safetensors tag tables")
    from safetensors import SafetensorError, safe_open

    problem = f"{path} is not a valid .safetensors tag table"
    try:
        with safe_open(str(path), framework="numpy") as file:
            keys = list(file.keys())
            if SAFETENSORS_KEY in keys:
                key = SAFETENSORS_KEY
            elif len(keys) == 1:
                key = keys[0]
            else:
                raise InputValueError(
                    f"{problem}: expected one tensor or one named "
                    f"{SAFETENSORS_KEY!r}, found {sorted(keys)}."
                )
            tensor = file.get_slice(key)
            dtype, shape = tensor.get_dtype(), tensor.get_shape()
            if dtype not in _FLOAT_DTYPES or len(shape) != 2:
                raise InputValueError(
                    f"{problem}: the tensor must be 2-D float, got dtype "
                    f"{dtype} and shape {shape}."
                )
            values = file.get_tensor(key).astype(np.float32)
            metadata = file.metadata() or {}
    except SafetensorError as exc:
        raise InputValueError(f"{problem}: {exc}.") from exc
    names = metadata.get("tag_names")
    if names is None:
        return values, None
    try:
        names = json.loads(names)
    except json.JSONDecodeError as exc:
        raise InputValueError(f"{problem}: tag_names is not a JSON list.") from exc
    if not isinstance(names, list) or len(names) != values.shape[0]:
        raise InputValueError(
            f"{problem}: tag_names must list one name per row ({values.shape[0]})."
        )
    return values, [str(name) for name in names]
