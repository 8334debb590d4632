"""Tags that inherit their ancestors' embeddings: ``hierarchical``."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from ..exceptions import InputValueError
from ._bags import TagBags, TagBatch, bag_sum
from ._base import TagEmbedding, normal_table

#: Above this many tags the ancestor matrix is kept sparse.
DENSE_ANCESTORS_MAX_TAGS = 512


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
        integer index; any depth, several parents allowed. Unknown tags,
        self-links and cycles raise ``ValueError`` naming the tags.
    tag_names : sequence of str, optional
        Names of the ``K`` tags, to read ``hierarchy`` by name.

    Attributes
    ----------
    weight : Parameter of shape (K, d)
        The tag table ``E``, initialised ``N(0, 1/d)``.
    lift : buffer of shape (K, K)
        ``I + A``, with ``A`` the transitive closure of the hierarchy built
        once at construction; dense for ``K <= 512``, sparse COO above.

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
        if tag_names is not None and len(tag_names) != num_tags:
            raise InputValueError(
                f"tag_names has {len(tag_names)} names but num_tags={num_tags}."
            )
        links = _hierarchy_links(hierarchy, num_tags, tag_names)
        closure = _ancestor_closure(links, num_tags, tag_names)
        self.weight = normal_table(num_tags, embedding_dim)
        lift = _identity_plus(closure)
        # Small K: a dense (I + A) is fastest; large K: keep it sparse (COO,
        # which autograd multiplies without the CSR beta warning).
        if num_tags <= DENSE_ANCESTORS_MAX_TAGS:
            self.register_buffer("lift", lift.to_dense())
        else:
            self.register_buffer("lift", lift)

    @property
    def ancestors(self) -> Tensor:
        """Dense ``(K, K)`` 0/1 matrix ``A``: ``A[c, p] = 1`` if ``p`` is an
        ancestor of ``c``. Built on demand, for inspection only."""
        lift = self.lift.to_dense() if self.lift.is_sparse else self.lift
        return lift - torch.eye(self.num_tags, device=lift.device)

    def forward(self, tags: TagBatch) -> Tensor:
        tags = self.check_tags(tags)
        if self.lift.is_sparse:
            table = torch.sparse.mm(self.lift, self.weight)
        else:
            table = self.lift @ self.weight
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
        raise InputValueError(
            "hierarchy must be a mapping {parent: [children]}, got "
            f"{type(hierarchy).__name__}."
        )
    lookup = {
        name: i for i, name in enumerate(tag_names if tag_names is not None else [])
    }

    def index_of(tag: Hashable) -> int:
        if isinstance(tag, Hashable) and tag in lookup:
            return lookup[tag]
        if isinstance(tag, (int, np.integer)) and not isinstance(tag, bool):
            if 0 <= tag < num_tags:
                return int(tag)
        raise InputValueError(
            f"hierarchy names the unknown tag {tag!r}"
            + (" (not in tag_names)" if tag_names is not None else
               f" (expected an index in [0, {num_tags}))")
        )

    links = []
    for parent, children in hierarchy.items():
        if isinstance(children, (set, frozenset)):
            children = sorted(children, key=str)
        elif isinstance(children, (str, bytes)) or not isinstance(children, Iterable):
            children = [children]  # a single child
        p = index_of(parent)
        for child in children:
            c = index_of(child)
            if c == p:
                raise InputValueError(f"hierarchy links the tag {parent!r} to itself.")
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
            on_cycle = [
                tag_names[tag] if tag_names is not None else tag
                for tag in np.flatnonzero(frontier.diagonal()).tolist()
            ]
            raise InputValueError(
                f"hierarchy contains a cycle through the tags {on_cycle!r}."
            )
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

    names = list(tag_names) if tag_names is not None else None
    occurrences = _occurrence_matrix(tags, None if names is None else len(names))
    num_tags = occurrences.shape[1]
    if names is not None and len(names) != num_tags:
        raise InputValueError(
            f"tag_names has {len(names)} names but tags has {num_tags} columns."
        )
    co = (occurrences.T @ occurrences).tocoo()
    counts = np.zeros(num_tags)
    diagonal = co.row == co.col
    counts[co.row[diagonal]] = co.data[diagonal]
    rows, cols, both = co.row, co.col, co.data
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
    result: dict = {}
    for p, c in sorted(zip(parent.tolist(), child.tolist(), strict=True)):
        key = p if names is None else names[p]
        result.setdefault(key, []).append(c if names is None else names[c])
    return result


def _occurrence_matrix(tags, num_tags: int | None):
    """Sparse 0/1 ``(n, K)`` occurrence matrix of any accepted tag batch."""
    import scipy.sparse as sp

    if isinstance(tags, TagBags):
        rows = tags.row_ids().cpu().numpy()
        cols = tags.indices.cpu().numpy()
        weights = tags.weights().cpu().numpy()
        keep = weights != 0
        n = tags.num_rows
        if num_tags is None:
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
        raise InputValueError(f"tags must be 2-D, got shape {array.shape}.")
    return sp.csr_matrix((array != 0).astype(np.float64))
