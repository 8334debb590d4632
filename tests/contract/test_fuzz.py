"""Property-based tests of bad input: the contract of the user guide.

"Bad input" in the user guide promises that, whatever a caller passes,
``fit``/``transform``/``predict`` either work as documented (an output of the
documented shape whose every value is finite) or raise
:class:`~sktagembed.exceptions.InputValueError` or
:class:`~sktagembed.exceptions.InputTypeError` whose message names the column
(quoted, as ``repr`` writes it) or the argument (``X``, ``y``, ``lookback``,
``feature_tags``) at fault. Never another exception (a torch, numpy or pandas
error leaking out), never NaN, never a hang.

Each strategy draws an input together with what the contract expects of it:
the columns or arguments to blame (a missing value, NaN or infinity, a value
that is not 0/1, a stray string among true/false ones, a duplicated name or
tag, too few rows ...). A test therefore also fails when bad input is
silently accepted, or when good input is rejected.

Column order at transform/predict time follows scikit-learn: an estimator
that recorded ``feature_names_in_`` (every column name a string) rejects its
columns in another order, naming a misplaced one; without string names the
columns are read by name and the result is the same as in the fitted order.

Finite values are drawn up to 1e6 in magnitude, plus 1e300 (which float64
holds and float32 does not) and, for TimeXer, 1e18 (which float32 holds, but
TimeXer rejects magnitudes beyond 1e15: from about 1e19 on, squares in its
normalisation and loss overflow float32).

Profiles are registered in ``tests/conftest.py``: ``ci`` (the default: few
examples, derandomized) and ``long`` (``SKTAGEMBED_HYPOTHESIS_PROFILE=long``,
run by ``benchmarks/fuzz_long.py``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import assume, event, given
from hypothesis import strategies as st

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
from sktagembed.exceptions import InputError, InputTypeError, InputValueError
from sktagembed.nn import METHODS

PRETRAINED = pd.DataFrame([[0.5, -0.5]], index=["no such tag"])
TIMEXER = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2,
           "e_layers": 1, "d_ff": 8, "max_epochs": 1, "batch_size": 8,
           "random_state": 0}
BIG_TAG_COUNT = 100_000
NAN, INF = float("nan"), float("inf")


# -- the contract ---------------------------------------------------------------


def names_one_of(message: str, blame: set[str]) -> bool:
    """A quoted column (``"'a'"``) must appear verbatim, an argument as a word."""
    return any(
        item in message if item[0] in "'\"" else
        re.search(rf"(?<!\w){re.escape(item)}(?!\w)", message) is not None
        for item in blame
    )


def run_contract(call, blame: set[str]):
    """``call()`` must return when nothing is to blame, else raise an input
    error naming one of ``blame``; any other exception fails the test."""
    try:
        result = call()
    except InputError as exc:
        assert blame, f"good input rejected: {exc!r}"
        assert names_one_of(str(exc), blame), (
            f"{exc!r} names none of {sorted(blame)}")
        event(f"rejected: {type(exc).__name__}")
        return None
    assert not blame, f"bad input accepted; expected one of {sorted(blame)}"
    event("worked")
    return result


def assert_finite_rows(out, n_rows: int, n_outputs: int) -> None:
    """Documented shape: ``(n_rows,)`` for one output, else 2-D."""
    shape = (n_rows,) if n_outputs == 1 else (n_rows, n_outputs)
    assert isinstance(out, np.ndarray) and out.shape == shape
    assert np.isfinite(out).all()


def quoted(name) -> str:
    return repr(str(name))


def embedder(method: str, **params) -> TagEmbeddingTransformer:
    if method == "hierarchical":
        params["hierarchy"] = "infer"
    if method == "pretrained":
        params.update(pretrained=PRETRAINED, handle_missing="random")
    if method == "multihead":
        params["n_heads"] = 2
    if method in ("mlp", "attention"):
        params["hidden_dim"] = 4
    return TagEmbeddingTransformer(method, embedding_dim=2, max_epochs=1,
                                   batch_size=8, random_state=0, **params)


def output_width(method: str) -> int:
    """``interaction`` and ``bilinear`` give ``2 * embedding_dim`` columns."""
    return 4 if method in ("interaction", "bilinear") else 2


def embed(method: str, X, y=None, **params) -> np.ndarray:
    return embedder(method, **params).fit(X, y).transform(X)


def forecaster(**params) -> TimeXerRegressor:
    return TimeXerRegressor(**{**TIMEXER, **params})


# -- strategies: names ------------------------------------------------------------


@st.composite
def column_names(draw, n_columns: int, allow_duplicates: bool = True) -> list:
    """Distinct unicode or integer names; sometimes the last repeats the
    first."""
    if draw(st.booleans()):
        names = draw(st.permutations(range(-2, 30)))[:n_columns]
    else:
        name = st.one_of(st.text(min_size=1, max_size=4),
                         st.sampled_from(["a", "b", "a=b", "ä", "标签", "😀"]))
        names = []
        for text in draw(st.lists(name, min_size=n_columns, max_size=n_columns)):
            names.append(text if text not in names else f"{text}#{len(names)}")
    if n_columns >= 2 and sometimes(draw, allow_duplicates, 8):
        names[-1] = names[0]
    return names


def sometimes(draw, allow_bad: bool, one_in: int = 3) -> bool:
    """Whether to make this input bad: ``allow_bad`` and a one-in-``one_in``
    chance, so that most examples stay good enough to exercise fitting."""
    return allow_bad and draw(st.integers(1, one_in)) == one_in


def duplicates(names) -> set[str]:
    index = pd.Index([str(n) for n in names])
    return {quoted(n) for n in index[index.duplicated()]}


def bad_rows(n_rows: int, allow_bad: bool):
    if not (n_rows and allow_bad):
        return st.just(set())
    return st.sets(st.integers(0, n_rows - 1), max_size=2)


# -- strategies: tag tables ---------------------------------------------------------

TAG_KINDS = ("bool", "int", "float", "Int64", "boolean", "object", "str",
             "category", "labels")


def is_true_false(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("true", "false")


def categories(allow_bad: bool):
    """Category values, some of them true/false strings (a column of only
    those is a tag column; a mix is rejected)."""
    if not allow_bad:
        return st.text(max_size=3).filter(lambda s: not is_true_false(s))
    return st.one_of(st.text(max_size=3),
                     st.sampled_from(["x", "true", " FALSE", "True"]))


def tag_values(weighted: bool, integer: bool):
    if integer:
        return st.integers(0, 10**6) if weighted else st.integers(0, 1)
    if weighted:
        return st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0, 1e6))
    return st.sampled_from([0.0, 1.0])


def bad_tag_values(weighted: bool, integer: bool):
    if integer:
        return st.sampled_from([-1, -7] if weighted else [2, -1, 7])
    return st.sampled_from([NAN, INF, -INF, -0.5, 1e300]
                           + ([] if weighted else [0.5, 2.0]))


@st.composite
def tag_column(draw, n_rows: int, weighted: bool, allow_bad: bool = True):
    """One tag-table column: ``(values, kind, labels, bad)``; ``kind`` is
    "tag", "categorical" or "labels", ``labels`` its categories or labels."""
    kind = draw(st.sampled_from(TAG_KINDS))
    rows = draw(bad_rows(n_rows, allow_bad))
    if kind in ("bool", "boolean"):
        values = draw(st.lists(st.booleans(), min_size=n_rows, max_size=n_rows))
        if kind == "bool":
            return np.asarray(values, dtype=bool), "tag", None, False
        values = [pd.NA if i in rows else v for i, v in enumerate(values)]
        return pd.array(values, dtype="boolean"), "tag", None, bool(rows)
    if kind in ("int", "float", "Int64"):
        integer = kind != "float"
        values = draw(st.lists(tag_values(weighted, integer), min_size=n_rows,
                               max_size=n_rows))
        bad = bad_tag_values(weighted, integer)
        for i in rows:
            values[i] = draw(st.one_of(bad, st.just(pd.NA)) if kind == "Int64"
                             else bad)
        dtype = {"int": np.int64, "float": np.float64, "Int64": "Int64"}[kind]
        return pd.array(values, dtype=dtype), "tag", None, bool(rows)
    if kind == "labels":
        label = st.text(max_size=2)
        lists = draw(st.lists(st.lists(label, max_size=3)
                              | st.lists(label, max_size=3).map(tuple),
                              min_size=n_rows, max_size=n_rows))
        for i in rows:
            lists[i] = draw(st.sampled_from([None, "a plain string"]))
        labels = sorted({x for row in lists if isinstance(row, (list, tuple))
                         for x in row})
        return pd.Series(lists, dtype=object), "labels", labels, bool(rows)
    values = draw(st.lists(categories(allow_bad), min_size=n_rows,
                           max_size=n_rows))
    flags = [is_true_false(v) for v in values]
    for i in rows:
        values[i] = None
    if kind == "category":
        column = pd.Categorical(values)
    else:
        column = pd.array(values, dtype=object if kind == "object" else "str")
    if values and all(flags) and kind != "category":
        return column, "tag", None, bool(rows)
    seen = list(dict.fromkeys(v for v in values if v is not None))
    half_boolean = any(flags) and not all(flags)
    return column, "categorical", seen, bool(rows) or half_boolean


def tag_names(name, kind: str, labels) -> list[str]:
    """The tags a column gives, as the documented layouts name them."""
    if kind == "tag":
        return [str(name)]
    if kind == "categorical":
        return [f"{name}={value}" for value in labels]
    return list(labels)


@st.composite
def tag_frames(draw, weighted: bool = False, n_rows: int | None = None,
               min_columns: int = 0, allow_bad: bool = True):
    """A tag DataFrame of random dtypes and names, and what the contract
    blames in it (empty: it must embed)."""
    if n_rows is None:
        n_rows = 0 if sometimes(draw, allow_bad, 8) else draw(st.integers(1, 5))
    n_columns = min_columns if sometimes(draw, allow_bad, 8) else draw(
        st.integers(max(min_columns, 1), 4))
    names = draw(column_names(n_columns, allow_duplicates=allow_bad))
    bad_values = sometimes(draw, allow_bad, 2)
    columns = [draw(tag_column(n_rows, weighted, bad_values))
               for _ in range(n_columns)]
    frame = pd.DataFrame({i: c[0] for i, c in enumerate(columns)})
    frame.columns = pd.Index(names, dtype=object)
    blame = duplicates(names) | {
        quoted(n) for n, c in zip(names, columns, strict=True) if c[3]}
    if n_rows == 0 or n_columns == 0:
        return frame, blame | {"X"}
    tags = [t for n, c in zip(names, columns, strict=True)
            for t in tag_names(n, c[1], c[2])]
    blame |= duplicates(tags)  # two columns giving the same tag
    if not tags:  # only label columns, and not one label in them
        blame |= {quoted(n) for n in names}
    return frame, blame


@st.composite
def tag_arrays(draw):
    """A 2-D numpy tag matrix of a random dtype, and what is to blame."""
    shape = draw(st.tuples(st.integers(0, 5), st.integers(0, 4)))
    dtype = draw(st.sampled_from([bool, np.int8, np.uint8, np.int64,
                                  np.float32, np.float64, object]))
    cells = draw(st.lists(st.sampled_from([0, 1]), min_size=shape[0] * shape[1],
                          max_size=shape[0] * shape[1]))
    array = np.asarray(cells).reshape(shape).astype(dtype)
    if 0 in shape:
        return array, {"X"}
    blame = set()
    if dtype is object:
        bad = st.sampled_from([None, NAN, INF, 2, "not a number"])
    elif dtype is bool:
        bad = st.nothing()
    elif np.issubdtype(dtype, np.integer):
        bad = st.sampled_from([2, 7])
    else:
        bad = st.sampled_from([NAN, INF, -INF, 0.5, -1.0, 2.0])
    for _ in range(draw(st.integers(0, 0 if dtype is bool else 2))):
        row = draw(st.integers(0, shape[0] - 1))
        column = draw(st.integers(0, shape[1] - 1))
        array[row, column] = value = draw(bad)
        blame.add("X" if isinstance(value, str) else quoted(f"tag_{column}"))
    return array, blame


@st.composite
def sparse_tags(draw):
    """A scipy sparse tag matrix (K up to 100,000), whether it holds weights,
    and what is to blame."""
    n_rows = draw(st.integers(0, 4))
    n_tags = draw(st.one_of(st.integers(0, 6), st.just(BIG_TAG_COUNT)))
    weighted = draw(st.booleans())
    dtype = draw(st.sampled_from([bool, np.int64, np.float32, np.float64]))
    integer = dtype is not np.float32 and dtype is not np.float64
    if not (n_rows and n_tags):
        return sp.csr_matrix((n_rows, n_tags), dtype=dtype), weighted, {"X"}
    cells = draw(st.sets(st.tuples(st.integers(0, n_rows - 1),
                                   st.integers(0, n_tags - 1)), max_size=6))
    blame, entries = set(), []
    for row, column in sorted(cells):
        if dtype is bool:
            value = draw(st.booleans())
        elif sometimes(draw, True, 4):
            value = draw(bad_tag_values(weighted, integer))
        else:
            value = draw(tag_values(weighted, integer))
        with np.errstate(over="ignore"):
            value = np.asarray(value).astype(dtype).item()
        if not (value in (0, 1) or (weighted and 0 <= value <= 1e6)):
            blame.add(quoted(f"tag_{column}"))
        entries.append((row, column, value))
    rows, columns, values = (list(part) for part in zip(*entries, strict=True)
                             ) if entries else ([], [], [])
    coo = sp.coo_matrix((np.asarray(values, dtype=dtype), (rows, columns)),
                        shape=(n_rows, n_tags))
    layout = draw(st.sampled_from(["csr", "csc", "coo", "csr_array"]))
    matrix = sp.csr_array(coo) if layout == "csr_array" else coo.asformat(layout)
    return matrix, weighted, blame


# -- strategies: targets and series -------------------------------------------------


@st.composite
def tag_targets(draw, n_rows: int):
    """``y`` for ``TagEmbeddingTransformer.fit`` (None: reconstruction), and
    whether ``y`` is to blame."""
    kind = draw(st.sampled_from(["none", "float", "float2d", "int", "bool",
                                 "str", "Int64", "short"]))
    if kind == "none":
        return None, set()
    n = n_rows - 1 if kind == "short" else n_rows
    blame = {"y"} if kind == "short" else set()
    if kind in ("float", "float2d", "short"):
        width = 2 if kind == "float2d" else 1
        y = np.asarray(draw(st.lists(
            st.one_of(st.floats(-1e6, 1e6), st.sampled_from([1e300, -1e300])),
            min_size=n * width, max_size=n * width)), dtype=float).reshape(n, width)
        if n and draw(st.booleans()):
            y[draw(st.integers(0, n - 1)), 0] = draw(st.sampled_from([NAN, INF]))
            blame.add("y")
        return (y[:, 0] if width == 1 else y), blame
    if kind in ("int", "bool"):
        element = st.integers(-3, 3) if kind == "int" else st.booleans()
        return np.asarray(draw(st.lists(element, min_size=n, max_size=n))), blame
    element = st.text(max_size=2) if kind == "str" else st.integers(0, 2)
    values = draw(st.lists(element, min_size=n, max_size=n))
    if draw(st.booleans()):
        values[draw(st.integers(0, n - 1))] = None
        blame.add("y")
    if kind == "Int64":
        return pd.array(values, dtype="Int64"), blame
    return np.asarray(values, dtype=object), blame


NUMERIC_KINDS = ("float64", "float32", "int64", "bool", "Int64", "Float64",
                 "boolean")
OTHER_KINDS = ("object", "category", "str")


@st.composite
def series_column(draw, n_rows: int, allow_bad: bool = True):
    """One column of a TimeXer ``X``: ``(values, bad)``."""
    kinds = NUMERIC_KINDS + (OTHER_KINDS if allow_bad else ())
    kind = draw(st.sampled_from(kinds))
    values = draw(st.lists(st.floats(-1e6, 1e6), min_size=n_rows,
                           max_size=n_rows))
    if kind == "object":
        return pd.array(values, dtype=object), True
    if kind == "category":
        return pd.Categorical(values), True
    if kind == "str":
        return pd.array([str(v) for v in values], dtype="str"), True
    if kind == "bool":
        return np.asarray(values) > 0, False
    if kind == "int64":
        return np.asarray(values, dtype=np.int64), False
    rows = draw(bad_rows(n_rows, allow_bad))
    if kind in ("Int64", "Float64", "boolean"):
        # A missing value is legal: the model masks it.
        cast = {"Int64": int, "Float64": float, "boolean": lambda v: v > 0}[kind]
        values = [pd.NA if i in rows else cast(v) for i, v in enumerate(values)]
        return pd.array(values, dtype=kind), False
    bad = False
    for i in rows:
        values[i] = draw(st.sampled_from(
            [NAN, INF, -INF, -1e18] + ([1e300] if kind == "float64" else [])))
        bad |= not np.isnan(values[i])
    return np.asarray(values, dtype=kind), bad


@st.composite
def series_frames(draw, allow_bad: bool = True):
    """A TimeXer ``X`` (its last column the endogenous one), and what the
    contract blames in it."""
    lookback = TIMEXER["lookback"]
    few_rows = sometimes(draw, allow_bad, 6)
    n_rows = draw(st.integers(0, lookback - 1) if few_rows
                  else st.integers(lookback, 20))
    n_columns = 1 if sometimes(draw, allow_bad, 8) else draw(st.integers(2, 4))
    names = draw(column_names(n_columns, allow_duplicates=allow_bad))
    bad_values = sometimes(draw, allow_bad, 4)
    columns = [draw(series_column(n_rows, bad_values)) for _ in range(n_columns)]
    frame = pd.DataFrame({i: c for i, (c, _) in enumerate(columns)})
    frame.columns = pd.Index(names, dtype=object)
    blame = duplicates(names) | {
        quoted(n) for n, (_, bad) in zip(names, columns, strict=True) if bad}
    if n_rows == 0 or n_columns == 1:
        blame.add("X")
    elif n_rows < lookback:
        blame.add("lookback")
    return frame, blame


@st.composite
def series_targets(draw, n_rows: int):
    """``y`` for TimeXer, one or two steps ahead, and whether it is to blame."""
    n_outputs = draw(st.integers(1, 2))
    kind = draw(st.sampled_from(["float"] * 6 + ["Int64", "bool", "str",
                                                 "short"]))
    n = n_rows - 1 if kind == "short" and n_rows else n_rows
    blame = {"y"} if n != n_rows else set()
    values = np.asarray(draw(st.lists(
        st.floats(-1e6, 1e6), min_size=n * n_outputs, max_size=n * n_outputs)
    )).reshape(n, n_outputs)
    if kind == "str":
        return np.where(values > 0, "up", "down").astype(object), {"y"}
    if kind == "bool":
        return values > 0, blame
    # A missing target marks a context row; the last row keeps a known
    # target, so a full training window always remains.
    if kind == "Int64":
        y = pd.array(values[:, 0].round().astype(int), dtype="Int64")
        if n > 1 and sometimes(draw, True, 4):
            y[draw(st.integers(0, n - 2))] = pd.NA
        return y, blame
    if n > 1 and sometimes(draw, True, 4):
        value = draw(st.sampled_from([NAN, INF, 1e300, 1e18]))
        values[draw(st.integers(0, n - 2)), -1] = value
        if not np.isnan(value):
            blame.add("y")
    return (values[:, 0] if n_outputs == 1 else values), blame


def n_outputs(y) -> int:
    return 1 if np.ndim(y) == 1 else np.shape(y)[1]


def moved_columns(columns, order) -> set[str]:
    return {quoted(columns[i]) for position, i in enumerate(order)
            if position != i}


def check_columns_in_another_order(estimator, infer, X, order) -> None:
    """With string column names (``feature_names_in_``) columns in another
    order are rejected, naming a moved one; otherwise they are read by name."""
    shuffled = X.iloc[:, order]
    if order == sorted(order) or not hasattr(estimator, "feature_names_in_"):
        np.testing.assert_array_equal(infer(shuffled), infer(X))
        event("same order" if order == sorted(order) else "read by name")
        return
    with pytest.raises(InputValueError, match="order") as info:
        infer(shuffled)
    assert names_one_of(str(info.value), moved_columns(X.columns, order))
    event("rejected: other order")


# -- TagEmbeddingTransformer --------------------------------------------------------


@given(data=st.data(), method=st.sampled_from(METHODS), weighted=st.booleans())
def test_tag_frames_embed_or_name_the_bad_column(data, method, weighted):
    X, blame = data.draw(tag_frames(weighted=weighted))
    out = run_contract(lambda: embed(method, X, weighted=weighted), blame)
    if out is not None:
        assert_finite_rows(out, len(X), output_width(method))


@given(data=tag_arrays(), method=st.sampled_from(METHODS))
def test_tag_arrays_embed_or_name_the_bad_column(data, method):
    X, blame = data
    out = run_contract(lambda: embed(method, X), blame)
    if out is not None:
        assert_finite_rows(out, X.shape[0], output_width(method))


@given(data=sparse_tags(), method=st.sampled_from(METHODS))
def test_sparse_tags_embed_or_name_the_bad_column(data, method):
    X, weighted, blame = data
    if X.shape[1] == BIG_TAG_COUNT:
        event("K = 100,000 tags")
    out = run_contract(lambda: embed(method, X, weighted=weighted), blame)
    if out is not None:
        assert_finite_rows(out, X.shape[0], output_width(method))


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_targets_train_or_name_y(data, method):
    n_rows = data.draw(st.integers(1, 5))
    X, tag_blame = data.draw(tag_frames(n_rows=n_rows, min_columns=1,
                                        allow_bad=False))
    y, blame = data.draw(tag_targets(n_rows))
    out = run_contract(lambda: embed(method, X, y), blame | tag_blame)
    if out is not None:
        assert_finite_rows(out, n_rows, output_width(method))


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_shuffled_tag_columns_are_rejected_or_read_by_name(data, method):
    X, blame = data.draw(tag_frames(n_rows=3, min_columns=2, allow_bad=False))
    assume(not blame)  # e.g. two columns giving the same tag: covered above
    emb = embedder(method).fit(X)
    order = list(data.draw(st.permutations(range(X.shape[1]))))
    check_columns_in_another_order(emb, emb.transform, X, order)


# -- TimeXerRegressor ----------------------------------------------------------------


@given(data=st.data())
def test_series_forecast_or_name_the_bad_column(data):
    X, blame = data.draw(series_frames())
    y, y_blame = data.draw(series_targets(len(X)))
    model = run_contract(lambda: forecaster().fit(X, y), blame | y_blame)
    if model is not None:
        assert_finite_rows(model.predict(X), len(X), n_outputs(y))
        assert_finite_rows(model.predict(X.iloc[:1]), 1, n_outputs(y))


@given(data=st.data())
def test_shuffled_series_columns_are_rejected_or_read_by_name(data):
    X, _ = data.draw(series_frames(allow_bad=False))
    model = forecaster().fit(X, np.linspace(-1, 1, len(X)))
    order = list(data.draw(st.permutations(range(X.shape[1]))))
    check_columns_in_another_order(model, model.predict, X, order)


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_feature_tags_forecast_or_name_the_bad_column(data, method):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(16, 3)),
                     columns=["a", "b", "target"])
    y = X["target"].shift(-1).ffill()
    tags, blame = data.draw(tag_frames(n_rows=2, min_columns=1))
    tags.index = ["a", "b"]
    change = data.draw(st.sampled_from(["none", "none", "drop", "repeat"]))
    if change == "drop":
        tags, blame = tags.iloc[:1], blame | {"feature_tags"}
    elif change == "repeat":
        tags, blame = tags.iloc[[0, 1, 0]], blame | {"feature_tags"}
    options = {"multihead": {"n_heads": 1},
               "pretrained": {"pretrained": PRETRAINED,
                              "handle_missing": "random"}}.get(method, {})
    embedding = TagEmbeddingTransformer(method, embedding_dim=2, **options)
    model = run_contract(
        lambda: forecaster(feature_tags=tags, tag_embedding=embedding).fit(X, y),
        blame)
    if model is not None:
        assert_finite_rows(model.predict(X), len(X), 1)


@given(data=st.data(), method=st.sampled_from(METHODS))
def test_missing_values_at_transform_name_the_column(data, method):
    X, blame = data.draw(tag_frames(n_rows=3, min_columns=1, allow_bad=False))
    assume(not blame)  # e.g. two columns giving the same tag: covered above
    emb = embedder(method).fit(X)
    row, column = data.draw(st.integers(0, 2)), data.draw(
        st.integers(0, X.shape[1] - 1))
    values = X.iloc[:, column].astype(object)
    values.iloc[row] = data.draw(st.sampled_from([None, NAN]))
    bad = X.copy()
    bad.isetitem(column, values)
    run_contract(lambda: emb.transform(bad), {quoted(X.columns[column])})


@given(data=st.data())
def test_missing_values_at_predict_are_masked_and_infinity_named(data):
    X, _ = data.draw(series_frames(allow_bad=False))
    model = forecaster().fit(X, np.linspace(-1, 1, len(X)))
    row = data.draw(st.integers(0, len(X) - 1))
    column = data.draw(st.integers(0, X.shape[1] - 1))
    bad = X.astype({X.columns[column]: float})
    value = data.draw(st.sampled_from([NAN, INF, -INF]))
    bad.iloc[row, column] = value
    # NaN is a missing value, masked; infinity is named.
    blame = set() if np.isnan(value) else {quoted(X.columns[column])}
    out = run_contract(lambda: model.predict(bad), blame)
    if out is not None:
        assert_finite_rows(out, len(X), 1)


# -- regression tests of the bugs the fuzzing found ------------------------------------


def timexer_data(columns=("a", "b", "target"), n_rows=16):
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(n_rows, len(columns))),
                     columns=list(columns))
    return X, X.iloc[:, -1].shift(-1).ffill()


def fitted(kind: str):
    if kind == "transformer":
        X = pd.DataFrame({"a": [1, 0, 1], "b": [0, 1, 1]}, dtype=bool)
        return embedder("sum").fit(X), X
    X, y = timexer_data()
    return forecaster().fit(X, y), X


def infer(estimator, X):
    return (estimator.transform(X) if hasattr(estimator, "transform")
            else estimator.predict(X))


@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_columns_in_another_order_are_an_input_error_naming_one(kind):
    # Was scikit-learn's plain ValueError, naming no column.
    estimator, X = fitted(kind)
    with pytest.raises(InputValueError, match=r"same order(.|\n)*'b'.*'a'"):
        infer(estimator, X[["b", "a", *X.columns[2:]]])


@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_duplicate_column_names_are_an_input_error_naming_them(kind):
    # Was narwhals' DuplicateError.
    estimator, X = fitted(kind)
    twice = X.set_axis(["a", "a", *X.columns[2:]], axis=1)
    with pytest.raises(InputValueError, match=r"duplicate column names: \['a'\]"):
        estimator.fit(twice, None if kind == "transformer" else timexer_data()[1])
    with pytest.raises(InputValueError, match=r"duplicate column names: \['a'\]"):
        infer(estimator, twice)


@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_column_names_of_mixed_types_are_an_input_type_error(kind):
    # Was scikit-learn's plain TypeError.
    estimator, X = fitted(kind)
    mixed = X.set_axis([0, *X.columns[1:]], axis=1)
    with pytest.raises(InputTypeError, match="column name"):
        estimator.fit(mixed, None if kind == "transformer" else timexer_data()[1])


def test_empty_tag_table_message_names_x():
    with pytest.raises(InputValueError, match=r"0 sample\(s\).*\bX\b"):
        embedder("sum").fit(pd.DataFrame({"a": pd.Series([], dtype=bool)}))


@pytest.mark.parametrize("X", [
    pd.DataFrame({"w": [1e300, 0.0], "v": [0.0, 1.0]}),
    sp.csr_matrix(np.array([[0.0, 1e300], [1.0, 0.0]])),
], ids=["frame", "sparse"])
def test_weights_float32_cannot_hold_are_rejected(X):
    # Were cast to infinity: the embedding came out NaN.
    name = "'w'" if isinstance(X, pd.DataFrame) else "'tag_1'"
    with pytest.raises(InputValueError, match=f"{name}.*1e\\+300.*float32"):
        embedder("sum", weighted=True).fit(X)


def test_huge_regression_targets_give_finite_embeddings():
    # The variance of these targets overflowed: the embedding came out NaN.
    X = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    out = embed("sum", X, np.array([1e308, 1e308, 0.0]))
    assert np.isfinite(out).all()


@pytest.mark.parametrize("y, objective", [
    (np.array([1.0, NAN, 2.0]), "auto"),  # was sklearn's ValueError
    (pd.array([1, None, 2], dtype="Int64"), "auto"),  # was sklearn's ValueError
    (np.array(["a", None, "b"], dtype=object), "auto"),  # was a TypeError
    (3.0, "auto"),  # was sklearn's ValueError
    (sp.csr_matrix(np.ones((3, 1))), "regression"),  # was an IndexError
])
def test_bad_targets_are_input_errors_naming_y(y, objective):
    X = np.array([[1, 0], [0, 1], [1, 1]], dtype=bool)
    with pytest.raises(InputValueError, match=r"\by\b"):
        embedder("sum", objective=objective).fit(X, y)


@pytest.mark.parametrize("values", [["a", ["b"]], [{"x": 1}, "b"]],
                         ids=["list", "dict"])
def test_unhashable_category_names_the_column(values):
    # Was pandas' "unhashable type" TypeError.
    X = pd.DataFrame({"kind": pd.Series(values, dtype=object)})
    with pytest.raises(InputTypeError, match="'kind'.*row"):
        embedder("sum").fit(X)
    emb = embedder("sum").fit(pd.DataFrame({"kind": ["a", "b"]}, dtype=object))
    with pytest.raises(InputTypeError, match="'kind'.*row"):
        emb.transform(X)


def test_label_columns_without_a_label_are_named():
    # Were "num_tags must be a positive integer", naming no column.
    X = pd.DataFrame({"L": pd.Series([[], ()], dtype=object)})
    with pytest.raises(InputValueError, match=r"no tags.*\['L'\]"):
        embedder("sum").fit(X)
    series, y = timexer_data()
    tags = pd.DataFrame({"L": [[], []]}, index=["a", "b"])
    with pytest.raises(InputValueError, match=r"\['L'\]"):
        forecaster(feature_tags=tags, tag_embedding="sum").fit(series, y)


def test_ragged_rows_are_an_input_error():
    # Was numpy's "inhomogeneous shape" ValueError.
    with pytest.raises(InputValueError, match=r"\bX\b.*2-D"):
        embedder("sum").fit([[1, 0], [1]])


def test_sparse_series_are_an_input_type_error():
    # Was "sparse array length is ambiguous" from len(X).
    X, y = timexer_data()
    with pytest.raises(InputTypeError, match=r"\bX\b.*sparse"):
        forecaster().fit(sp.csr_matrix(X.to_numpy()), y)


def test_repeated_feature_tag_rows_are_named():
    # Was "tag_matrix has 3 rows but there are 2 exogenous variables".
    X, y = timexer_data()
    tags = pd.DataFrame({"kind": [True, False, True]}, index=["a", "b", "a"])
    with pytest.raises(InputValueError, match=r"feature_tags.*\['a'\]"):
        forecaster(feature_tags=tags, tag_embedding="sum").fit(X, y)


@pytest.mark.parametrize("where", ["X", "y"])
def test_timexer_rejects_values_whose_squares_overflow_float32(where):
    # Values from about 1e19 on gave NaN predictions (their squares, in the
    # normalisation and the loss, overflow float32); 1e15 is the documented
    # limit, with room for sums of squares over a window.
    X, y = timexer_data()
    if where == "X":
        X.loc[5, "b"] = 1e18
    else:
        y = y.to_numpy(copy=True)
        y[5] = -1e18
    blame = r"Column 'b' of X" if where == "X" else r"\by\b"
    with pytest.raises(InputValueError, match=blame + r".*1e\+?15"):
        forecaster().fit(X, y)


def test_timexer_predicts_finite_values_at_the_magnitude_limit():
    X, y = timexer_data()
    model = forecaster().fit(X * 1e14, y * 1e14)
    assert np.isfinite(model.predict(X * 1e14)).all()
