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
    read here with the standard library, following the published format: an
    8-byte little-endian header length, a JSON header, then the raw data.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import InputValueError

FORMATS = (".csv", ".npy", ".safetensors")
SAFETENSORS_KEY = "embeddings"
_SAFETENSORS_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64}
#: Far above any real header; a bound so a corrupt length cannot exhaust memory.
_MAX_HEADER_BYTES = 100 * 2**20


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


def _write_safetensors(path: Path, values: np.ndarray, names: list[str]) -> None:
    header = {
        SAFETENSORS_KEY: {
            "dtype": "F32",
            "shape": list(values.shape),
            "data_offsets": [0, values.nbytes],
        },
        "__metadata__": {"tag_names": json.dumps(names, ensure_ascii=False)},
    }
    encoded = json.dumps(header, ensure_ascii=False).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)))
        file.write(encoded)
        file.write(values.astype("<f4").tobytes())


def _read_safetensors(path: Path) -> tuple[np.ndarray, list[str] | None]:
    data = path.read_bytes()
    problem = f"{path} is not a valid .safetensors tag table"
    if len(data) < 8:
        raise InputValueError(f"{problem}: the file is too short.")
    (header_len,) = struct.unpack("<Q", data[:8])
    if header_len > min(len(data) - 8, _MAX_HEADER_BYTES):
        raise InputValueError(f"{problem}: bad header length {header_len}.")
    try:
        header = json.loads(data[8:8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputValueError(f"{problem}: the header is not JSON.") from exc
    if not isinstance(header, dict):
        raise InputValueError(f"{problem}: the header is not a JSON object.")
    metadata = header.pop("__metadata__", None) or {}
    if SAFETENSORS_KEY in header:
        entry = header[SAFETENSORS_KEY]
    elif len(header) == 1:
        entry = next(iter(header.values()))
    else:
        raise InputValueError(
            f"{problem}: expected one tensor or one named {SAFETENSORS_KEY!r}, "
            f"found {sorted(header)}."
        )
    try:
        dtype = _SAFETENSORS_DTYPES[entry["dtype"]]
        shape = [int(n) for n in entry["shape"]]
        start, stop = (int(n) for n in entry["data_offsets"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputValueError(
            f"{problem}: the tensor must be 2-D float (F16, F32 or F64) with "
            "dtype, shape and data_offsets."
        ) from exc
    body = data[8 + header_len:]
    n_bytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if len(shape) != 2 or not 0 <= start <= stop <= len(body) or (
        stop - start != n_bytes
    ):
        raise InputValueError(
            f"{problem}: shape {shape} and offsets {[start, stop]} do not fit "
            f"the {len(body)} data bytes."
        )
    values = np.frombuffer(body[start:stop], dtype=np.dtype(dtype).newbyteorder("<"))
    values = values.reshape(shape).astype(np.float32)
    names = metadata.get("tag_names") if isinstance(metadata, dict) else None
    if names is None:
        return values, None
    try:
        names = json.loads(names)
    except (TypeError, json.JSONDecodeError) as exc:
        raise InputValueError(f"{problem}: tag_names is not a JSON list.") from exc
    if not isinstance(names, list) or len(names) != shape[0]:
        raise InputValueError(
            f"{problem}: tag_names must list one name per row ({shape[0]})."
        )
    return values, [str(name) for name in names]
