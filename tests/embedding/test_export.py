"""Sharing a learned tag table without pickle: export_embeddings and back."""

import json
import pickle
import struct

import numpy as np
import pandas as pd
import pytest

from sktagembed import TagEmbeddingTransformer
from sktagembed.embedding._table_io import read_tag_table, write_tag_table

FORMATS = [".csv", ".npy", ".safetensors"]
# Separators, quotes, non-ASCII letters and a number-like name all survive.
NAMES = ["plain", "a,b", 'quote"d', "größe", "温度", "007", "x y"]


def tag_frame(seed=0, n_rows=40):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.random((n_rows, len(NAMES))) < 0.4, columns=NAMES)


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    """Reading a table must never unpickle."""
    def refuse(*args, **kwargs):
        raise AssertionError("a tag table was unpickled")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)


@pytest.mark.parametrize("suffix", FORMATS)
def test_table_round_trip_keeps_values_and_names(tmp_path, suffix):
    rng = np.random.default_rng(1)
    table = pd.DataFrame(rng.normal(size=(len(NAMES), 3)).astype(np.float32),
                         index=pd.Index(NAMES, name="tag"),
                         columns=["embed_0", "embed_1", "embed_2"])
    back = read_tag_table(write_tag_table(table, tmp_path / f"t{suffix}"))
    assert list(back.index) == NAMES
    np.testing.assert_array_equal(back.to_numpy(np.float32), table.to_numpy())


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("method", ["sum", "hierarchical", "pretrained"])
def test_exported_table_reproduces_the_transform(tmp_path, suffix, method):
    X = tag_frame()
    y = X.sum(axis=1).to_numpy(float)
    options = {"hierarchy": "infer"} if method == "hierarchical" else {}
    if method == "pretrained":
        options["pretrained"] = pd.DataFrame(
            np.random.default_rng(2).normal(size=(len(NAMES), 4)), index=NAMES)
        options["freeze"] = False
    fitted = TagEmbeddingTransformer(method, embedding_dim=4, max_epochs=3,
                                     random_state=0, **options).fit(X, y)
    path = fitted.export_embeddings(tmp_path / f"table{suffix}")
    # Columns shuffled: the table is aligned by tag name, not position.
    shuffled = X[NAMES[::-1]]
    shared = TagEmbeddingTransformer("pretrained", embedding_dim=4,
                                     pretrained=str(path), max_epochs=0)
    shared.fit(shuffled)
    np.testing.assert_allclose(shared.transform(shuffled), fitted.transform(X),
                               rtol=1e-6, atol=1e-6)


def test_export_of_a_two_part_method_has_every_column(tmp_path):
    fitted = TagEmbeddingTransformer("interaction", embedding_dim=3,
                                     max_epochs=0, random_state=0).fit(tag_frame())
    back = read_tag_table(fitted.export_embeddings(tmp_path / "t.csv"))
    np.testing.assert_array_equal(back.to_numpy(np.float32),
                                  fitted.embeddings_.to_numpy())
    assert list(back.columns) == list(fitted.embeddings_.columns)


def test_export_needs_a_fit_and_a_known_suffix(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TagEmbeddingTransformer().export_embeddings(tmp_path / "t.csv")
    fitted = TagEmbeddingTransformer(max_epochs=0).fit(tag_frame())
    with pytest.raises(ValueError, match=r"t\.pkl.*\.csv, \.npy, \.safetensors"):
        fitted.export_embeddings(tmp_path / "t.pkl")


def test_safetensors_file_is_readable_by_the_reference_library(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    from safetensors import safe_open

    table = pd.DataFrame(np.arange(14, dtype=np.float32).reshape(7, 2),
                         index=NAMES)
    path = write_tag_table(table, tmp_path / "t.safetensors")
    tensors = safetensors_numpy.load_file(str(path))
    np.testing.assert_array_equal(tensors["embeddings"], table.to_numpy())
    with safe_open(str(path), framework="numpy") as handle:
        assert json.loads(handle.metadata()["tag_names"]) == NAMES
    # And a file the library wrote (no names) is read by position.
    other = tmp_path / "other.safetensors"
    safetensors_numpy.save_file({"w": np.ones((3, 2), np.float64)}, str(other))
    np.testing.assert_array_equal(read_tag_table(other), np.ones((3, 2)))


def test_plain_npy_is_read_by_position_and_object_arrays_are_refused(tmp_path):
    np.save(tmp_path / "plain.npy", np.eye(3))
    np.testing.assert_array_equal(read_tag_table(tmp_path / "plain.npy"),
                                  np.eye(3))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object),
            allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        read_tag_table(tmp_path / "objects.npy")


def _safetensors_bytes(header: dict, body: bytes) -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + body


@pytest.mark.parametrize("content, message", [
    (b"abc", "header too small"),
    (struct.pack("<Q", 10**12) + b"{}", "header too large"),
    (struct.pack("<Q", 4) + b"nope", "invalid JSON"),
    (_safetensors_bytes([1], b""), "invalid JSON|expected struct"),
    (_safetensors_bytes({"a": {"dtype": "F32", "shape": [1, 1],
                               "data_offsets": [0, 4]},
                         "b": {"dtype": "F32", "shape": [1, 1],
                               "data_offsets": [4, 8]}}, bytes(8)),
     "one tensor"),
    (_safetensors_bytes({"embeddings": {"dtype": "I64", "shape": [1, 1],
                                        "data_offsets": [0, 8]}}, bytes(8)),
     "2-D float"),
    (_safetensors_bytes({"embeddings": {"dtype": "F32", "shape": [2, 2],
                                        "data_offsets": [0, 16]}}, bytes(8)),
     "not fully covered"),
    (_safetensors_bytes({"embeddings": {"dtype": "F32", "shape": [1, 1],
                                        "data_offsets": [0, 4]},
                         "__metadata__": {"tag_names": '["a", "b"]'}},
                        bytes(4)),
     "one name per row"),
])
def test_corrupt_safetensors_files_are_named(tmp_path, content, message):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        read_tag_table(path)
    with pytest.raises(ValueError, match=message):
        TagEmbeddingTransformer("pretrained", embedding_dim=1,
                                pretrained=path).fit(tag_frame())
