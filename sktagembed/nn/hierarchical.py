"""Tags that inherit their ancestors' embeddings: ``hierarchical``."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ._bags import TagBags, TagBatch, bag_sum
from ._base import TagEmbedding

#: Above this many tags the ancestor matrix is kept sparse.
DENSE_ANCESTORS_MAX_TAGS = 2048


class HierarchicalTagEmbedding(TagEmbedding):
    """Bag of tags in which every active tag also adds its ancestors.

    The output is ``(X + X A) E`` where ``A[c, p] = 1`` when ``p`` is an
    ancestor of ``c`` at any depth. Since ``(X + X A) E = X ((I + A) E)``, the
    forward pass is one bag over the table ``(I + A) E``: no loop over parents.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    embedding_dim : int
        Embedding size ``d``.
    hierarchy : mapping
        ``{parent: [children, ...]}`` by tag name (with ``tag_names``) or by
        integer index; any depth, several parents allowed, cycles rejected.
    tag_names : sequence of str, optional
        Names of the ``K`` tags, to read ``hierarchy`` by name.

    Examples
    --------
    >>> import torch
    >>> from sktagembed.nn import HierarchicalTagEmbedding
    >>> module = HierarchicalTagEmbedding(
    ...     3, 2, {"energy": ["power"], "power": ["voltage"]},
    ...     tag_names=["energy", "power", "voltage"])
    >>> out = module(torch.tensor([[0.0, 0.0, 1.0]]))
    >>> torch.allclose(out, module.weight.sum(0, keepdim=True))
    True
    """

    def __init__(self, num_tags: int, embedding_dim: int,
                 hierarchy: Mapping, tag_names: Sequence[str] | None = None):
        super().__init__(num_tags, embedding_dim)
        links = _hierarchy_links(hierarchy, num_tags, tag_names)
        closure = _ancestor_closure(links, num_tags, tag_names)
        self.weight = nn.Parameter(
            torch.randn(num_tags, embedding_dim) / math.sqrt(embedding_dim)
        )
        self.depth = int(closure.sum(axis=1).max()) if num_tags else 0
        lift = _identity_plus(closure)
        if num_tags <= DENSE_ANCESTORS_MAX_TAGS:
            self.register_buffer("lift", lift.to_dense())
        else:
            self.register_buffer("lift", lift.to_sparse_csr())

    def forward(self, tags: TagBatch) -> Tensor:
        lift = self.lift
        table = lift @ self.weight
        return bag_sum(table, tags)


def _identity_plus(closure) -> Tensor:
    """``I + A`` as a sparse COO tensor."""
    import scipy.sparse as sp

    matrix = (sp.identity(closure.shape[0], format="csr") + closure).tocoo()
    indices = torch.from_numpy(np.vstack([matrix.row, matrix.col]).astype(np.int64))
    values = torch.from_numpy(matrix.data.astype(np.float32))
    return torch.sparse_coo_tensor(
        indices, values, matrix.shape, check_invariants=True
    ).coalesce()


def _hierarchy_links(hierarchy: Mapping, num_tags: int,
                     tag_names: Sequence[str] | None) -> list[tuple[int, int]]:
    """``(child, parent)`` index pairs, validating every name and index."""
    if not isinstance(hierarchy, Mapping):
        raise ValueError(
            "hierarchy must be a mapping {parent: [children]}, got "
            f"{type(hierarchy).__name__}."
        )
    lookup = {name: i for i, name in enumerate(tag_names or [])}

    def index_of(tag: Hashable) -> int:
        if tag in lookup:
            return lookup[tag]
        if isinstance(tag, (int, np.integer)) and not isinstance(tag, bool):
            if 0 <= tag < num_tags:
                return int(tag)
        raise ValueError(
            f"hierarchy names the unknown tag {tag!r}"
            + (" (not in tag_names)" if tag_names is not None else
               f" (expected an index in [0, {num_tags}))")
        )

    links = []
    for parent, children in hierarchy.items():
        if isinstance(children, (str, bytes)) or not isinstance(children, Sequence):
            children = [children] if not isinstance(children, (set, frozenset)) \
                else sorted(children, key=str)
        p = index_of(parent)
        for child in children:
            c = index_of(child)
            if c == p:
                raise ValueError(f"hierarchy links the tag {parent!r} to itself.")
            links.append((c, p))
    return links


def _ancestor_closure(links, num_tags: int, tag_names):
    """Sparse ``A`` with ``A[c, p] = 1`` for every ancestor ``p`` of ``c``."""
    import scipy.sparse as sp

    if not links:
        return sp.csr_matrix((num_tags, num_tags), dtype=np.float32)
    child, parent = np.asarray(links).T
    step = sp.csr_matrix(
        (np.ones(len(links), dtype=np.float32), (child, parent)),
        shape=(num_tags, num_tags),
    )
    step.data[:] = 1.0
    closure = step.copy()
    frontier = step
    # Each pass adds ancestors one level further up; a cycle never empties.
    for _ in range(num_tags):
        frontier = frontier @ step
        frontier.data[:] = 1.0
        frontier.eliminate_zeros()
        if frontier.diagonal().any():
            tag = int(np.flatnonzero(frontier.diagonal())[0])
            name = tag_names[tag] if tag_names is not None else tag
            raise ValueError(f"hierarchy contains a cycle through the tag {name!r}.")
        new = frontier - frontier.multiply(closure)
        new.eliminate_zeros()
        if new.nnz == 0:
            break
        closure = closure + new
        frontier = new
    closure.data[:] = 1.0
    return closure.tocsr()


def infer_hierarchy(tags, tag_names: Sequence[str] | None = None) -> dict:
    """Derive ``{parent: [children]}`` from which tags occur together.

    ``p`` is a parent of ``c`` when ``c`` occurs at least once and never
    without ``p``. Tags that always occur together (identical occurrence
    sets) are not linked, since either could be the parent. Only direct links
    are returned: a link implied through an intermediate tag is dropped.

    Parameters
    ----------
    tags : dense tensor or array (n, K), TagBags, or scipy sparse matrix
        Training tag rows; any non-zero entry counts as an occurrence.
    tag_names : sequence of str, optional
        Key the result by these names instead of by index.

    Returns
    -------
    dict
        ``{parent: [children, ...]}``, children in index order.

    Examples
    --------
    >>> import numpy as np
    >>> from sktagembed.nn import infer_hierarchy
    >>> X = np.array([[1, 1, 0], [1, 0, 1], [1, 0, 0]])
    >>> infer_hierarchy(X, ["root", "a", "b"])
    {'root': ['a', 'b']}
    """
    import scipy.sparse as sp

    occurrences = _occurrence_matrix(tags)
    num_tags = occurrences.shape[1]
    co = (occurrences.T @ occurrences).toarray() if num_tags <= 4096 else None
    if co is None:
        co_sparse = (occurrences.T @ occurrences).tocsr()
        counts = co_sparse.diagonal()
        rows, cols = co_sparse.nonzero()
        both = np.asarray(co_sparse[rows, cols]).ravel()
    else:
        counts = np.diag(co)
        rows, cols = np.nonzero(co)
        both = co[rows, cols]
    # rows = child c, cols = parent p: c never occurs without p.
    is_link = (rows != cols) & (counts[rows] > 0) & (both == counts[rows])
    is_link &= counts[cols] > counts[rows]  # equal sets are not a hierarchy
    child, parent = rows[is_link], cols[is_link]
    ancestors = sp.csr_matrix(
        (np.ones(len(child)), (child, parent)), shape=(num_tags, num_tags)
    )
    # p is a direct parent unless some other ancestor q of c has p as ancestor.
    indirect = (ancestors @ ancestors).tocsr()
    direct = ancestors - ancestors.multiply(indirect > 0)
    direct.eliminate_zeros()
    child, parent = direct.nonzero()
    names = list(tag_names) if tag_names is not None else None
    result: dict = {}
    for p, c in sorted(zip(parent.tolist(), child.tolist(), strict=True)):
        key = names[p] if names else p
        result.setdefault(key, []).append(names[c] if names else c)
    return result


def _occurrence_matrix(tags):
    import scipy.sparse as sp

    if isinstance(tags, TagBags):
        rows = tags.row_ids().cpu().numpy()
        cols = tags.indices.cpu().numpy()
        weights = tags.weights().cpu().numpy()
        keep = weights != 0
        n = tags.num_rows
        num_tags = int(cols.max()) + 1 if len(cols) else 0
        return sp.csr_matrix(
            (np.ones(keep.sum()), (rows[keep], cols[keep])), shape=(n, num_tags)
        )
    if isinstance(tags, Tensor):
        tags = tags.detach().cpu().numpy()
    if sp.issparse(tags):
        matrix = sp.csr_matrix(tags, dtype=np.float64)
        matrix.eliminate_zeros()
        matrix.data[:] = 1.0
        return matrix
    array = np.asarray(tags)
    if array.ndim != 2:
        raise ValueError(f"tags must be 2-D, got shape {array.shape}.")
    return sp.csr_matrix((array != 0).astype(np.float64))
