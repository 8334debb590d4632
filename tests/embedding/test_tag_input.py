"""Reading user tag input: every layout, every error (sktagembed.embedding._schema)."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch

from sktagembed.embedding._pretrained import load_pretrained_table
from sktagembed.embedding._schema import TagSchema
from sktagembed.embedding._training import rows_to_tensor
from sktagembed.nn import sparse_to_bags


def test_boolean_frame_gives_the_same_matrix():
    frame = pd.DataFrame({"a": [True, False, True], "b": [False, False, True]})
    schema = TagSchema().fit(frame)
    assert schema.tag_names_ == ["a", "b"]
    assert schema.input_kind_ == "matrix"
    out = schema.transform(frame)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, frame.to_numpy(float))


def test_nullable_boolean_and_true_false_strings():
    frame = pd.DataFrame(
        {
            "nullable": pd.array([True, False, True], dtype="boolean"),
            "strings": ["TRUE", "false", "True"],
            "ints": [0, 1, 1],
        }
    )
    out = TagSchema().fit_transform(frame)
    np.testing.assert_array_equal(out, [[1, 1, 0], [0, 0, 1], [1, 1, 1]])


def test_numpy_array_names_tags_by_position():
    schema = TagSchema().fit(np.array([[1, 0, 1], [0, 1, 1]]))
    assert schema.tag_names_ == ["tag_0", "tag_1", "tag_2"]
    assert schema.feature_names_in_ is None


def test_sparse_input_stays_sparse():
    matrix = sp.random(50, 1000, density=0.01, format="csr", random_state=0)
    matrix.data[:] = 1
    out = TagSchema().fit_transform(matrix)
    assert sp.issparse(out)
    np.testing.assert_array_equal(out.toarray(), matrix.toarray())


def test_categorical_columns_expand_to_named_tags():
    frame = pd.DataFrame(
        {
            "SensorType": ["Temperature", "Pressure", "Humidity"],
            "Location": pd.Categorical(["North", "South", "East"]),
            "Unit": ["Metric", "Imperial", "Metric"],
        }
    )
    schema = TagSchema().fit(frame)
    assert len(schema.tag_names_) == 8
    out = schema.transform(frame)
    # Naive: one tag per (column, value) pair of each row.
    for row, (_, record) in zip(out, frame.iterrows(), strict=True):
        expected = {f"{c}={v}" for c, v in record.items()}
        active = {schema.tag_names_[j] for j in np.flatnonzero(row)}
        assert active == expected


def test_label_lists_and_unknown_labels():
    labels = pd.Series([["x", "y"], [], ("y",), {"z"}], name="labels")
    schema = TagSchema().fit(labels)
    assert schema.tag_names_ == ["x", "y", "z"]
    np.testing.assert_array_equal(
        schema.transform(labels), [[1, 1, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]]
    )
    new = pd.Series([["x", "new"]], name="labels")
    np.testing.assert_array_equal(schema.transform(new), [[1, 0, 0]])
    strict = TagSchema(handle_unknown="error").fit(labels)
    with pytest.raises(ValueError, match="new"):
        strict.transform(new)


def test_unknown_category_under_error_names_column_and_value():
    frame = pd.DataFrame({"kind": ["a", "b"]})
    schema = TagSchema(handle_unknown="error").fit(frame)
    with pytest.raises(ValueError, match=r"'kind'.*'c'"):
        schema.transform(pd.DataFrame({"kind": ["c"]}))


@pytest.mark.parametrize(
    "frame, match",
    [
        (pd.DataFrame({"ok": [0, 1], "bad": [1, 2]}), r"'bad'.*value 2"),
        (pd.DataFrame({"ok": [0, 1], "bad": [1.0, np.nan]}), r"'bad'"),
        (pd.DataFrame({"ok": [0, 1], "bad": [1.0, np.inf]}), r"'bad'"),
        (pd.DataFrame({"bad": pd.array([True, None], dtype="boolean")}), "'bad'"),
        (pd.DataFrame({"bad": ["a", None]}), "'bad'"),
        (pd.DataFrame({"bad": ["TRUE", "maybe"]}), "'bad'"),
    ],
)
def test_bad_values_name_the_column(frame, match):
    with pytest.raises(ValueError, match=match):
        TagSchema().fit(frame)


def test_weighted_values_and_negative_weights():
    frame = pd.DataFrame({"w": [0.5, 2.0], "v": [0.0, 1.0]})
    np.testing.assert_array_equal(TagSchema(weighted=True).fit_transform(frame),
                                  frame.to_numpy(np.float32))
    with pytest.raises(ValueError, match="'v'.*-1"):
        TagSchema(weighted=True).fit(frame.assign(v=[0.0, -1.0]))


def test_sparse_bad_value_names_column():
    matrix = sp.csr_matrix(np.array([[0, 1, 0], [0, 0, 3]]))
    with pytest.raises(ValueError, match="'tag_2'.*3"):
        TagSchema().fit(matrix)


def test_column_mismatch_at_transform():
    schema = TagSchema().fit(pd.DataFrame({"a": [1, 0], "b": [0, 1]}))
    with pytest.raises(ValueError, match="missing columns.*'b'.*unexpected.*'c'"):
        schema.transform(pd.DataFrame({"a": [1], "c": [0]}))
    with pytest.raises(ValueError, match="3 columns"):
        TagSchema().fit(np.eye(2)).transform(np.eye(3))


def test_shuffled_columns_are_read_by_name():
    frame = pd.DataFrame({"a": [1, 0], "b": [0, 1], "c": [1, 1]})
    schema = TagSchema().fit(frame)
    np.testing.assert_array_equal(schema.transform(frame[["c", "a", "b"]]),
                                  schema.transform(frame))


def test_empty_and_duplicate_inputs_are_rejected():
    with pytest.raises(ValueError, match="0 sample"):
        TagSchema().fit(pd.DataFrame({"a": pd.Series([], dtype=bool)}))
    with pytest.raises(ValueError, match="duplicate.*'a'"):
        TagSchema().fit(pd.DataFrame([[1, 0]], columns=["a", "a"]))
    with pytest.raises(ValueError, match="Reshape"):
        TagSchema().fit(np.array([1, 0, 1]))


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support")
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_rows_reach_the_modules_as_the_same_bags(weighted):
    rng = np.random.default_rng(0)
    dense = (rng.random((20, 7)) < 0.3).astype(np.float32)
    dense[3] = 0
    if weighted:
        dense *= rng.random((20, 7)).astype(np.float32) * 3
    unsorted = sp.csr_matrix(dense)
    unsorted.indices[:2] = unsorted.indices[:2][::-1]  # row 0 out of order
    unsorted.data[:2] = unsorted.data[:2][::-1]
    unsorted.has_sorted_indices = False
    rows = np.array([5, 3, 0, 19, 0])
    for matrix in (sp.csr_matrix(dense), unsorted):
        batch = rows_to_tensor(matrix, rows)
        assert batch.layout == torch.sparse_coo
        for sparse in (batch, batch.to_sparse_csr()):
            bags = sparse_to_bags(sparse)
            rebuilt = np.zeros((len(rows), 7), dtype=np.float32)
            ends = np.append(bags.offsets.numpy(), len(bags.indices))
            for row in range(len(rows)):
                for k in range(ends[row], ends[row + 1]):
                    rebuilt[row, bags.indices[k]] += bags.per_sample_weights[k]
            np.testing.assert_allclose(rebuilt, dense[rows])
    dense_batch = rows_to_tensor(dense, rows)
    assert dense_batch.layout == torch.strided
    np.testing.assert_array_equal(dense_batch.numpy(), dense[rows])


def test_sparse_to_bags_rejects_dense_tensors():
    with pytest.raises(TypeError, match="sparse COO or CSR"):
        sparse_to_bags(torch.ones(2, 3))


# -- pretrained tables ----------------------------------------------------------

TAGS = ["a", "b", "c"]
TABLE = pd.DataFrame(np.arange(6.0).reshape(3, 2), index=TAGS)


def test_pretrained_dataframe_aligns_by_name():
    shuffled = TABLE.loc[["c", "a", "b"]]
    np.testing.assert_array_equal(load_pretrained_table(shuffled, TAGS),
                                  TABLE.to_numpy())


def test_pretrained_file_round_trips(tmp_path):
    np.save(tmp_path / "t.npy", TABLE.to_numpy())
    TABLE.loc[["b", "c", "a"]].to_csv(tmp_path / "t.csv")
    for name in ("t.npy", "t.csv"):
        np.testing.assert_array_equal(
            load_pretrained_table(tmp_path / name, TAGS), TABLE.to_numpy()
        )
    (tmp_path / "t.txt").write_text("")
    with pytest.raises(ValueError, match=r"\.csv, \.npy, \.safetensors"):
        load_pretrained_table(tmp_path / "t.txt", TAGS)


def test_pretrained_missing_tags():
    partial = TABLE.loc[["a", "c"]]
    with pytest.raises(ValueError, match="'b'"):
        load_pretrained_table(partial, TAGS)
    zeros = load_pretrained_table(partial, TAGS, handle_missing="zeros")
    np.testing.assert_array_equal(zeros[1], 0.0)
    first = load_pretrained_table(partial, TAGS, handle_missing="random",
                                  random_state=0)
    second = load_pretrained_table(partial, TAGS, handle_missing="random",
                                   random_state=0)
    np.testing.assert_array_equal(first, second)
    assert np.all(first[1] != 0)
    np.testing.assert_array_equal(first[[0, 2]], TABLE.to_numpy()[[0, 2]])


def test_pretrained_shape_and_value_errors():
    with pytest.raises(ValueError, match="2 rows but there are 3 tags"):
        load_pretrained_table(np.zeros((2, 2)), TAGS)
    with pytest.raises(ValueError, match="embedding_dim=4"):
        load_pretrained_table(TABLE, TAGS, embedding_dim=4)
    with pytest.raises(ValueError, match="NaN"):
        load_pretrained_table(TABLE.replace(0.0, np.nan), TAGS)
