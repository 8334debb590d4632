"""The nine tag-embedding modules: a shared contract, then per-method maths.

Every per-method test recomputes the output with plain Python loops over rows,
active tags and pairs from the module's own parameters, so a vectorised
shortcut that changes the maths fails here.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from sktagembed.nn import (
    METHOD_OPTIONS,
    METHODS,
    OPTION_DEFAULTS,
    TAG_METHODS,
    AttentionTagEmbedding,
    BilinearTagEmbedding,
    HierarchicalTagEmbedding,
    InteractionTagEmbedding,
    LinearTagEmbedding,
    MLPTagEmbedding,
    MultiHeadTagEmbedding,
    PretrainedTagEmbedding,
    SumTagEmbedding,
    TagBags,
    TagEmbedding,
    _segment,
    build_tag_embedding,
    dense_to_bags,
    infer_hierarchy,
)

K, D = 7, 8
# Depth 3 below the root, one tag (5) with two parents, tag 6 on its own.
HIERARCHY = {0: [1, 2], 1: [3], 3: [4], 2: [5], 4: [5]}


def parents_of(hierarchy: dict) -> dict[int, list[int]]:
    parents: dict[int, list[int]] = {}
    for parent, children in hierarchy.items():
        for child in children:
            parents.setdefault(child, []).append(parent)
    return parents


def make(method: str, num_tags: int = K, dim: int = D, **options) -> TagEmbedding:
    if method == "hierarchical":
        options.setdefault("hierarchy", HIERARCHY)
    if method == "pretrained":
        options.setdefault("pretrained", torch.randn(num_tags, dim))
    return build_tag_embedding(method, num_tags, dim, **options)


def tag_batch(n_random: int = 20, weighted: bool = False, seed: int = 0,
              num_tags: int = K) -> torch.Tensor:
    """Rows with 0, 1, 2 and all tags active, then random rows."""
    generator = torch.Generator().manual_seed(seed)
    fixed = torch.zeros(5, num_tags)
    fixed[1, 3] = 1
    fixed[2, [1, 5]] = 1
    fixed[3] = 1
    fixed[4, 0] = 1  # rows 0 (empty) .. 4
    random = (torch.rand(n_random, num_tags, generator=generator) < 0.4).float()
    batch = torch.cat([fixed, random])
    if weighted:
        batch = batch * (0.25 + 2 * torch.rand(batch.shape, generator=generator))
    return batch


def active(row: torch.Tensor) -> list[int]:
    return torch.nonzero(row).flatten().tolist()


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(params=["fast", "exact"])
def softmax_path(request, monkeypatch):
    """Run attention tests through both softmax implementations."""
    if request.param == "exact":
        monkeypatch.setattr(_segment, "MAX_SCORE_SPREAD", -1.0)
    return request.param


# -- the contract every method keeps -----------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_shape_dtype_and_finite(method):
    module = make(method)
    batch = tag_batch()
    out = module(batch)
    assert out.shape == (len(batch), module.output_dim)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert module(batch.double()).dtype == torch.float32
    assert module(batch.bool()).allclose(out)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_dense_and_sparse_paths_agree(method, weighted):
    module = make(method)
    batch = tag_batch(weighted=weighted, seed=1)
    bags = dense_to_bags(batch)
    torch.testing.assert_close(module(bags), module(batch), atol=1e-5, rtol=1e-5)
    if not weighted:  # weights None means all ones
        unweighted = TagBags(bags.indices, bags.offsets)
        torch.testing.assert_close(module(unweighted), module(batch),
                                   atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_empty_rows_and_empty_batch(method):
    module = make(method)
    empty = torch.zeros(3, K)
    out = module(empty)
    assert torch.isfinite(out).all()
    if method == "linear":
        expected = module.bias.detach().expand(3, -1)
    elif method == "mlp":
        hidden = torch.relu(module.hidden_bias)
        expected = module.output(hidden).detach().expand(3, -1)
    else:  # every pooled part is zero
        expected = torch.zeros(3, module.output_dim)
    torch.testing.assert_close(out.detach(), expected)
    bags = TagBags(torch.zeros(0, dtype=torch.long), torch.zeros(3, dtype=torch.long))
    torch.testing.assert_close(module(bags).detach(), expected)
    assert module(torch.zeros(0, K)).shape == (0, module.output_dim)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("method", METHODS)
def test_gradients_reach_every_trainable_parameter(method, sparse):
    module = make(method, freeze=False)
    batch = tag_batch(weighted=True)
    out = module(dense_to_bags(batch) if sparse else batch)
    (out * torch.randn(out.shape)).sum().backward()
    params = dict(module.named_parameters())
    assert params
    for name, param in params.items():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
        assert param.grad.abs().sum() > 0, name


def test_frozen_pretrained_has_no_trainable_parameters():
    table = torch.randn(K, D)
    module = PretrainedTagEmbedding(table, freeze=True)
    assert list(module.parameters()) == []
    assert not module.weight.requires_grad
    out = module(tag_batch())
    assert not out.requires_grad
    torch.testing.assert_close(module.weight, table)
    table[0, 0] = 99.0  # the module keeps its own copy
    assert module.weight[0, 0] != 99.0
    assert "weight" in module.state_dict()


# -- per-method maths against naive loops ------------------------------------


def naive_bag(table, row):
    out = torch.zeros(table.shape[1])
    for j in active(row):
        out += row[j] * table[j]
    return out


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pooling", ["sum", "mean"])
def test_sum_matches_naive(pooling, weighted):
    module = SumTagEmbedding(K, D, pooling=pooling)
    batch = tag_batch(weighted=weighted)
    table = module.weight.detach()
    expected = []
    for row in batch:
        total = naive_bag(table, row)
        if pooling == "mean" and active(row):
            total = total / sum(float(row[j]) for j in active(row))
        expected.append(total)
    torch.testing.assert_close(module(batch).detach(), torch.stack(expected))
    torch.testing.assert_close(module(dense_to_bags(batch)).detach(),
                               torch.stack(expected))


def test_linear_matches_naive():
    module = LinearTagEmbedding(K, D)
    batch = tag_batch(weighted=True)
    expected = torch.stack([
        module.bias.detach() + naive_bag(module.weight.detach(), row)
        for row in batch
    ])
    torch.testing.assert_close(module(batch).detach(), expected)
    no_bias = LinearTagEmbedding(K, D, bias=False)
    assert no_bias.bias is None
    torch.testing.assert_close(no_bias(batch).detach(),
                               batch @ no_bias.weight.detach())


@pytest.mark.parametrize("weighted", [False, True])
def test_multihead_matches_naive(weighted, softmax_path):
    heads = 4
    module = MultiHeadTagEmbedding(K, D, n_heads=heads)
    batch = tag_batch(weighted=weighted)
    table = module.weight.detach()  # (K, H, D/H)
    query = module.query.detach()
    expected = torch.zeros(len(batch), D)
    for i, row in enumerate(batch):
        tags = active(row)
        if not tags:
            continue
        parts = []
        for h in range(heads):
            scores = torch.tensor([
                float(table[j, h] @ query[h]) / math.sqrt(D // heads)
                + math.log(float(row[j])) for j in tags
            ])
            weights = torch.softmax(scores, dim=0)
            parts.append(sum(w * table[j, h] for w, j in zip(weights, tags,
                                                             strict=True)))
        expected[i] = torch.cat(parts)
    torch.testing.assert_close(module(batch).detach(), expected)
    torch.testing.assert_close(module(dense_to_bags(batch)).detach(), expected)


def test_multihead_is_not_a_reshape_of_the_sum():
    module = MultiHeadTagEmbedding(K, D, n_heads=2)
    batch = tag_batch()
    summed = (batch @ module.weight.detach().reshape(K, D))
    assert not torch.allclose(module(batch).detach(), summed, atol=1e-3)
    # A single active tag is pooled with weight 1 in every head.
    one = torch.zeros(1, K)
    one[0, 2] = 1
    torch.testing.assert_close(module(one).detach()[0],
                               module.weight.detach()[2].reshape(D))


@pytest.mark.parametrize("weighted", [False, True])
def test_interaction_matches_naive_pairs(weighted):
    module = InteractionTagEmbedding(K, D)
    batch = tag_batch(weighted=weighted)
    table = module.weight.detach()
    expected = []
    for row in batch:
        pairs = torch.zeros(D)
        for j, k in itertools.combinations(active(row), 2):
            pairs += row[j] * row[k] * table[j] * table[k]
        expected.append(torch.cat([naive_bag(table, row), pairs]))
    torch.testing.assert_close(module(batch).detach(), torch.stack(expected))
    torch.testing.assert_close(module(dense_to_bags(batch)).detach(),
                               torch.stack(expected))


def test_mlp_matches_naive():
    module = MLPTagEmbedding(K, D, hidden_dim=5).eval()
    batch = tag_batch(weighted=True)
    first = module.hidden_weight.detach()
    expected = []
    for row in batch:
        hidden = module.hidden_bias.detach().clone()
        for j in active(row):
            hidden += row[j] * first[j]
        hidden = torch.clamp(hidden, min=0)
        expected.append(module.output.weight.detach() @ hidden
                        + module.output.bias.detach())
    torch.testing.assert_close(module(batch).detach(), torch.stack(expected))


def test_mlp_dropout_acts_in_training_only():
    module = MLPTagEmbedding(K, D, hidden_dim=64, dropout=0.5)
    batch = tag_batch()
    module.eval()
    torch.testing.assert_close(module(batch), module(batch))
    module.train()
    assert not torch.allclose(module(batch), module(batch))


def naive_bilinear(module, batch):
    table = module.weight.detach()
    matrix = module.bilinear.detach()
    expected = []
    for row in batch:
        pairs = torch.zeros(D)
        for j, k in itertools.combinations(active(row), 2):
            pairs += row[j] * row[k] * 0.5 * (
                (table[j] @ matrix) * table[k] + (table[k] @ matrix) * table[j]
            )
        expected.append(torch.cat([naive_bag(table, row), pairs]))
    return torch.stack(expected)


@pytest.mark.parametrize("weighted", [False, True])
def test_bilinear_matches_naive_pairs(weighted):
    module = BilinearTagEmbedding(K, D)
    with torch.no_grad():  # make W clearly asymmetric
        module.bilinear.copy_(torch.randn(D, D))
    batch = tag_batch(weighted=weighted)
    expected = naive_bilinear(module, batch)
    torch.testing.assert_close(module(batch).detach(), expected)
    torch.testing.assert_close(module(dense_to_bags(batch)).detach(), expected)


def test_bilinear_does_not_depend_on_tag_order():
    module = BilinearTagEmbedding(K, D)
    with torch.no_grad():
        module.bilinear.copy_(torch.randn(D, D))
    permutation = torch.randperm(K)
    permuted = BilinearTagEmbedding(K, D)
    with torch.no_grad():
        permuted.weight.copy_(module.weight[permutation])
        permuted.bilinear.copy_(module.bilinear)
    batch = tag_batch()
    torch.testing.assert_close(permuted(batch[:, permutation]), module(batch))


@pytest.mark.parametrize("weighted", [False, True])
def test_attention_matches_naive(weighted, softmax_path):
    module = AttentionTagEmbedding(K, D, hidden_dim=6)
    batch = tag_batch(weighted=weighted)
    table = module.weight.detach()
    expected = torch.zeros(len(batch), D)
    with torch.no_grad():
        for i, row in enumerate(batch):
            tags = active(row)
            if not tags:
                continue
            scores = torch.stack([
                module.scorer(table[j]).squeeze() + math.log(float(row[j]))
                for j in tags
            ])
            weights = torch.softmax(scores, dim=0)
            expected[i] = sum(w * table[j] for w, j in zip(weights, tags,
                                                           strict=True))
    torch.testing.assert_close(module(batch).detach(), expected)
    torch.testing.assert_close(module(dense_to_bags(batch)).detach(), expected)


def test_attention_weights_are_a_softmax_over_active_tags(softmax_path):
    module = AttentionTagEmbedding(K, D)
    with torch.no_grad():  # an inactive tag with a huge score must still get 0
        module.weight[6] = 5.0
    batch = tag_batch(weighted=True)
    batch[:, 6] = 0
    weights = module.attention_weights(batch).detach()
    assert weights.shape == batch.shape
    assert torch.isfinite(weights).all()
    assert (weights >= 0).all()
    assert (weights[batch == 0] == 0).all()
    has_tags = batch.sum(1) > 0
    torch.testing.assert_close(weights[has_tags].sum(1),
                               torch.ones(int(has_tags.sum())))
    assert (weights[~has_tags] == 0).all()
    bags = dense_to_bags(batch)
    per_entry = module.attention_weights(bags).detach()
    assert per_entry.shape == bags.indices.shape
    rows = bags.row_ids()
    torch.testing.assert_close(per_entry, weights[rows, bags.indices])


def test_attention_is_exact_when_scores_spread_widely():
    # Scores far apart: the global-shift shortcut would underflow, so the
    # module must fall back to a per-row softmax and still match.
    module = MultiHeadTagEmbedding(K, D, n_heads=2)
    with torch.no_grad():
        module.weight[:, :, 0] = torch.arange(K).float().unsqueeze(1) * 40.0
        module.query.fill_(1.0)
    scores = module.tag_scores().detach()
    assert (scores.amax(0) - scores.amin(0) > _segment.MAX_SCORE_SPREAD).all()
    batch = torch.zeros(2, K)
    batch[0, [0, 1]] = 1
    batch[1, [0, 6]] = 1
    weights = module.attention_weights(batch).detach()
    assert torch.isfinite(weights).all()
    torch.testing.assert_close(weights.sum(1), torch.ones(2, 2))
    assert weights[0, 1].min() > 0.5  # tag 1 dominates tag 0 in row 0
    assert torch.isfinite(module(dense_to_bags(batch))).all()


def naive_hierarchical(module, batch, hierarchy):
    parents = parents_of(hierarchy)
    table = module.weight.detach()
    expected = []
    for row in batch:
        out = torch.zeros(table.shape[1])
        for tag in active(row):
            seen, stack = {tag}, [tag]
            while stack:  # walk up to every ancestor
                for parent in parents.get(stack.pop(), []):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            for ancestor in seen:
                out += row[tag] * table[ancestor]
        expected.append(out)
    return torch.stack(expected)


@pytest.mark.parametrize("weighted", [False, True])
def test_hierarchical_matches_ancestor_walk(weighted):
    module = HierarchicalTagEmbedding(K, D, HIERARCHY)
    batch = tag_batch(weighted=weighted)
    expected = naive_hierarchical(module, batch, HIERARCHY)
    torch.testing.assert_close(module(batch).detach(), expected)
    torch.testing.assert_close(module(dense_to_bags(batch)).detach(), expected)
    # Tag 5 sits under 2 -> 0 and under 4 -> 3 -> 1 -> 0: five ancestors.
    assert module.ancestors[5].tolist() == [1, 1, 1, 1, 1, 0, 0]


def test_hierarchical_by_name_equals_by_index():
    names = [f"t{i}" for i in range(K)]
    by_name = {f"t{p}": [f"t{c}" for c in children]
               for p, children in HIERARCHY.items()}
    torch.manual_seed(3)
    named = HierarchicalTagEmbedding(K, D, by_name, tag_names=names)
    torch.manual_seed(3)
    indexed = HierarchicalTagEmbedding(K, D, HIERARCHY)
    batch = tag_batch()
    torch.testing.assert_close(named(batch), indexed(batch))


def test_hierarchical_sparse_ancestors_for_many_tags():
    num_tags = 600  # above the dense threshold: (I + A) is kept sparse
    chain = {i: [i + 1] for i in range(num_tags - 1)}  # depth 599
    module = HierarchicalTagEmbedding(num_tags, 4, chain)
    assert module.lift.is_sparse
    bags = TagBags(torch.tensor([599, 10, 0, 5]), torch.tensor([0, 1, 3, 4]),
                   torch.tensor([1.0, 2.0, 1.0, 0.5]))
    out = module(bags)
    table = module.weight.detach()
    expected = torch.stack([
        table.sum(0), 2 * table[:11].sum(0) + table[0], 0.5 * table[:6].sum(0),
        torch.zeros(4),
    ])
    torch.testing.assert_close(out.detach(), expected)
    out.sum().backward()
    assert module.weight.grad[0].abs().sum() > 0


@pytest.mark.parametrize(
    ("hierarchy", "names", "message"),
    [
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, ["a", "b", "c"], "cycle"),
        ({0: [1], 1: [0]}, None, "cycle"),
        ({"a": ["zz"]}, ["a", "b", "c"], "'zz'"),
        ({"qq": ["a"]}, ["a", "b", "c"], "'qq'"),
        ({0: [3]}, None, "3"),
        ({0: [-1]}, None, "-1"),
        ({"a": ["b"]}, None, "'a'"),
        ({1: [1]}, None, "itself"),
        ({"b": ["b"]}, ["a", "b", "c"], "itself"),
        ([("a", "b")], ["a", "b", "c"], "mapping"),
    ],
)
def test_hierarchy_errors_name_the_fault(hierarchy, names, message):
    with pytest.raises(ValueError, match=message):
        HierarchicalTagEmbedding(3, 2, hierarchy, tag_names=names)


PLANTED = {0: [1, 2], 1: [3, 4], 2: [5, 6], 3: [7, 8]}


def planted_rows(n_rows: int = 400, seed: int = 0) -> np.ndarray:
    """Each row activates a random tag and all its ancestors; tags 9 and 10
    always occur together (identical occurrence sets)."""
    rng = np.random.default_rng(seed)
    parents = parents_of(PLANTED)
    rows = np.zeros((n_rows, 11), dtype=np.float32)
    for i in range(n_rows):
        tag = int(rng.integers(1, 11))
        rows[i, tag] = 1
        if tag in (9, 10):
            rows[i, [9, 10]] = 1
        while tag in parents:
            tag = parents[tag][0]
            rows[i, tag] = 1
        rows[i, 0] = 1
    return rows


def test_infer_hierarchy_recovers_a_planted_tree():
    rows = planted_rows()
    expected = {**PLANTED, 0: [1, 2, 9, 10]}
    assert infer_hierarchy(rows) == expected
    names = [f"tag{i}" for i in range(11)]
    named = infer_hierarchy(torch.from_numpy(rows), tag_names=names)
    assert named == {names[p]: [names[c] for c in cs] for p, cs in expected.items()}
    assert infer_hierarchy(sp.csr_matrix(rows)) == expected
    assert infer_hierarchy(dense_to_bags(torch.from_numpy(rows))) == expected
    # The inferred hierarchy builds a module: tag 7 then inherits 3, 1 and 0.
    module = HierarchicalTagEmbedding(11, 2, infer_hierarchy(rows))
    assert module.ancestors[7].nonzero().flatten().tolist() == [0, 1, 3]


def test_infer_hierarchy_matches_its_definition_on_random_tags():
    rng = np.random.default_rng(1)
    rows = (rng.random((60, 9)) < 0.5).astype(np.float32)
    rows[:, 1] = np.maximum(rows[:, 1], rows[:, 2])  # plant: 1 is over 2
    rows[:, 8] = 0  # a tag that never occurs has no parent
    occurs = [set(np.flatnonzero(rows[:, j])) for j in range(9)]
    above = {(c, p) for c in range(9) for p in range(9)
             if c != p and occurs[c] and occurs[c] < occurs[p]}
    direct = {(c, p) for c, p in above
              if not any((c, q) in above and (q, p) in above for q in range(9))}
    expected: dict = {}
    for c, p in sorted(direct, key=lambda link: (link[1], link[0])):
        expected.setdefault(p, []).append(c)
    assert (2, 1) in direct
    assert infer_hierarchy(rows) == expected


# -- construction and input errors -------------------------------------------


def test_multihead_needs_divisible_dim():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadTagEmbedding(5, 6, n_heads=4)
    with pytest.raises(ValueError, match="divisible"):
        build_tag_embedding("multihead", 5, 6, n_heads=4)


def test_unknown_method_lists_valid_names():
    with pytest.raises(ValueError, match="nope") as info:
        build_tag_embedding("nope", 5, 4)
    for method in METHODS:
        assert method in str(info.value)


def test_pretrained_shape_and_values_are_checked():
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(5, 4\)"):
        build_tag_embedding("pretrained", 5, 4, pretrained=np.zeros((5, 3)))
    with pytest.raises(ValueError, match="pretrained"):
        build_tag_embedding("pretrained", 5, 4)
    with pytest.raises(ValueError, match="2-D"):
        PretrainedTagEmbedding(np.zeros(5))
    with pytest.raises(ValueError, match="NaN or infinite"):
        PretrainedTagEmbedding(np.array([[1.0, np.nan]]))
    module = build_tag_embedding("pretrained", 2, 2, pretrained=[[1, 2], [3, 4]],
                                 freeze=False)
    assert module.weight.requires_grad and module.weight.dtype == torch.float32
    with pytest.raises(ValueError, match="hierarchy"):
        build_tag_embedding("hierarchical", 5, 4)


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: SumTagEmbedding(0, 4), "num_tags"),
        (lambda: SumTagEmbedding(4, -1), "embedding_dim"),
        (lambda: LinearTagEmbedding(4, 0), "embedding_dim"),
        (lambda: SumTagEmbedding(4.5, 2), "num_tags"),
        (lambda: MultiHeadTagEmbedding(4, 4, n_heads=0), "n_heads"),
        (lambda: MLPTagEmbedding(4, 4, hidden_dim=0), "hidden_dim"),
        (lambda: MLPTagEmbedding(4, 4, dropout=1.0), "dropout"),
        (lambda: AttentionTagEmbedding(4, 4, hidden_dim=-2), "hidden_dim"),
        (lambda: SumTagEmbedding(4, 4, pooling="max"), "pooling"),
        (lambda: build_tag_embedding("interaction", 4, 0), "embedding_dim"),
    ],
)
def test_bad_sizes_are_rejected(build, name):
    with pytest.raises(ValueError, match=name):
        build()


@pytest.mark.parametrize("method", METHODS)
def test_bad_batches_are_rejected_clearly(method):
    module = make(method)
    with pytest.raises(ValueError, match=rf"\(n_rows, {K}\)"):
        module(torch.ones(3, K + 1))
    with pytest.raises(ValueError, match="outside"):
        module(TagBags(torch.tensor([0, K]), torch.tensor([0, 1])))
    with pytest.raises(ValueError, match="per_sample_weights"):
        module(TagBags(torch.tensor([0, 1]), torch.tensor([0]), torch.ones(3)))
    with pytest.raises(TypeError, match="list"):
        module([[1.0] * K])


@pytest.mark.parametrize("method", ["attention", "multihead"])
def test_attention_rejects_negative_weights(method):
    module = make(method)
    batch = torch.zeros(2, K)
    batch[0, 1] = -1.0
    with pytest.raises(ValueError, match="non-negative"):
        module(batch)
    with pytest.raises(ValueError, match="non-negative"):
        module(dense_to_bags(batch))


def test_build_passes_each_method_its_options():
    assert build_tag_embedding("sum", 4, 2, pooling="mean").pooling == "mean"
    assert build_tag_embedding("multihead", 4, 8, n_heads=2).n_heads == 2
    assert build_tag_embedding("mlp", 4, 2, hidden_dim=3).hidden_dim == 3
    assert build_tag_embedding("attention", 4, 2, hidden_dim=5).hidden_dim == 5
    # Options a method does not use are ignored, so estimators can pass all.
    module = build_tag_embedding("sum", 4, 2, n_heads=3, hidden_dim=7,
                                 hierarchy={0: [1]}, freeze=False)
    assert isinstance(module, SumTagEmbedding)
    assert [build_tag_embedding(m, K, D, **({"hierarchy": HIERARCHY}
            if m == "hierarchical" else {"pretrained": np.ones((K, D))}
            if m == "pretrained" else {})).output_dim for m in METHODS] == [
        D, D, D, 2 * D, D, 2 * D, D, D, D]


def test_the_method_table_names_every_module_and_option():
    assert tuple(TAG_METHODS) == METHODS
    for method, spec in TAG_METHODS.items():
        assert METHOD_OPTIONS[method] == spec.user_options
        assert set(spec.user_options) <= set(OPTION_DEFAULTS)
        module = make(method)
        assert isinstance(module, TagEmbedding)
    with pytest.raises(ValueError, match="'bogus'"):
        build_tag_embedding("bogus", 4, 2)
    with pytest.raises(ValueError, match="num_heads"):
        build_tag_embedding("multihead", 4, 8, num_heads=2)


@pytest.mark.parametrize("method", [m for m in METHODS if m != "hierarchical"])
def test_start_from_copies_known_tags_by_row_and_keeps_the_rest(method):
    torch.manual_seed(0)
    source = make(method, num_tags=5, **({"pretrained": torch.randn(5, D),
                                          "freeze": False}
                                         if method == "pretrained" else {}))
    torch.manual_seed(1)
    module = make(method, num_tags=3, **({"pretrained": torch.randn(3, D),
                                          "freeze": False}
                                         if method == "pretrained" else {}))
    own = {name: value.detach().clone() for name, value in module.named_parameters()}
    rows = [4, -1, 0]
    module.start_from(source, rows)
    theirs = dict(source.named_parameters())
    for name, value in module.named_parameters():
        if name in module.tag_tables:
            torch.testing.assert_close(value[0], theirs[name][4], rtol=0, atol=0)
            torch.testing.assert_close(value[2], theirs[name][0], rtol=0, atol=0)
            torch.testing.assert_close(value[1], own[name][1], rtol=0, atol=0)
        else:
            torch.testing.assert_close(value, theirs[name], rtol=0, atol=0)
    # Each known tag alone is embedded as the source embeds it.
    alone = torch.eye(5)[[4, 0]]
    torch.testing.assert_close(module(torch.eye(3)[[0, 2]]), source(alone))


def test_start_from_refuses_another_method_or_other_options():
    with pytest.raises(ValueError, match="Cannot start a SumTagEmbedding"):
        make("sum").start_from(make("linear"), range(K))
    with pytest.raises(ValueError, match="differ in"):
        make("mlp", hidden_dim=4).start_from(make("mlp", hidden_dim=8), range(K))
    for rows in ([2] * K, [0] * 3):  # past the source's tags; too few rows
        with pytest.raises(ValueError, match="one row"):
            make("sum").start_from(make("sum", num_tags=2), rows)
