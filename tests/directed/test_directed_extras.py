"""Dir-GAT, the magnetic signed Laplacian, magnetic eigenvector encodings and the link predictor,
each against a slow dense reference or a property that a wrong implementation would break."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graphsparse.directed import operators as dops
from graphsparse.directed.models import (DirectedLinkPredictor, DirectedOperators, DirGATConv, DirGNN,
                                         khop_batches)
from graphsparse.directed.tasks import link_split, train_link_predictor
from graphsparse.metrics import average_precision, roc_auc
from graphsparse.directed.transforms import MagneticEigenvectorPE, MagneticLaplacian
from graphsparse.graph import as_graph


# ------------------------------------------------------------------------------------ fixtures
def small_digraph(seed: int = 0, n: int = 12, p: float = 0.25):
    """Binary ``A`` (numpy bool) with a dangling node 0, a source node 1, a self-loop at 2, a
    reciprocal pair 3 <-> 4, and its edge index."""
    rng = np.random.default_rng(seed)
    mask = rng.random((n, n)) < p
    np.fill_diagonal(mask, False)
    mask[0, :] = False
    mask[:, 1] = False
    mask[2, 2] = True
    mask[3, 4] = mask[4, 3] = True
    mask[5, 6] = True
    src, dst = np.nonzero(mask)
    return mask, torch.from_numpy(np.stack([src, dst]))


# ----------------------------------------------------------------------------- 1. Dir-GAT
def dense_gat(x, mask, lin, att_self, att_nbr, heads, channels, concat, slope=0.2):
    """Slow GAT: node ``i`` attends over ``{j : mask[i, j]}`` with plain loops (float64)."""
    n = x.shape[0]
    proj = (x.double() @ lin.weight.double().T).view(n, heads, channels)
    a_s, a_n = att_self.double()[0], att_nbr.double()[0]
    out = torch.zeros(n, heads, channels, dtype=torch.float64)
    for i in range(n):
        nbrs = [j for j in range(n) if mask[i, j]]
        if not nbrs:
            continue
        for h in range(heads):
            scores = torch.stack([torch.nn.functional.leaky_relu(a_s[h] @ proj[i, h] + a_n[h] @ proj[j, h], slope)
                                  for j in nbrs])
            weights = torch.softmax(scores, 0)
            out[i, h] = sum(weights[t] * proj[j, h] for t, j in enumerate(nbrs))
    return out.reshape(n, -1) if concat else out.mean(1)


def dense_dirgat(conv, x, mask, alpha):
    if conv.add_self_loops:
        mask = mask.copy()
        np.fill_diagonal(mask, True)
    args = (conv.heads, conv.out_channels, conv.concat, conv.negative_slope)
    out = alpha * dense_gat(x, mask, conv.lin_out, conv.att_out_self, conv.att_out_nbr, *args)
    out = out + (1 - alpha) * dense_gat(x, mask.T, conv.lin_in, conv.att_in_self, conv.att_in_nbr, *args)
    return (out + conv.bias.double()).float()


@pytest.mark.parametrize("heads, concat", [(1, True), (3, True), (2, False)])
@pytest.mark.parametrize("self_loops", [True, False])
def test_dirgat_matches_dense_reference(heads, concat, self_loops):
    torch.manual_seed(0)
    mask, edge_index = small_digraph(0)
    conv = DirGATConv(5, 4, alpha=0.3, heads=heads, concat=concat, add_self_loops=self_loops)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(12, 5)
    ref = dense_dirgat(conv, x, mask, 0.3)
    out = conv(x, edge_index)
    assert out.shape == (12, heads * 4 if concat else 4)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)
    if not self_loops:  # dangling node 0 has no out-neighbour: only its in-part and the bias remain
        in_only = 0.7 * dense_gat(x, mask.T, conv.lin_in, conv.att_in_self, conv.att_in_nbr, heads, 4, concat)
        torch.testing.assert_close(out[0], (in_only[0] + conv.bias.double()).float(), rtol=1e-4, atol=1e-5)


def test_dirgat_existing_self_loop_not_doubled():
    torch.manual_seed(0)
    mask, edge_index = small_digraph(1)
    conv = DirGATConv(5, 3, alpha=0.5, heads=2)
    x = torch.randn(12, 5)
    ops = DirectedOperators.from_graph(edge_index, "gat", num_nodes=12)
    src, dst = ops.gat_edges(True)
    loops = src == dst
    assert loops.sum() == 12 and torch.unique(src[loops]).numel() == 12   # exactly one loop per node
    src0, dst0 = ops.gat_edges(False)
    assert (src0 == dst0).sum() == 1                                      # only the given loop at 2
    torch.testing.assert_close(conv(x, ops), dense_dirgat(conv, x, mask, 0.5), rtol=1e-4, atol=1e-5)


def test_dirgat_accepts_every_adjacency_form():
    torch.manual_seed(0)
    mask, edge_index = small_digraph(2)
    conv = DirGATConv(4, 3, alpha=0.6, heads=2)
    x = torch.randn(12, 4)
    ref = conv(x, edge_index)
    dense = torch.from_numpy(mask.astype(np.float32))
    forms = [as_graph(edge_index, num_nodes=12), Data(edge_index=edge_index, num_nodes=12),
             dense.to_sparse_coo(), dense.to_sparse_csr(),
             DirectedOperators.from_graph(edge_index, ("gat", "dir"), num_nodes=12),
             torch.cat([edge_index, edge_index[:, :3]], 1)]  # duplicate edges count once
    for form in forms:
        torch.testing.assert_close(conv(x, form), ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(conv(x.to_sparse_coo(), edge_index), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(KeyError, match="gat"):
        conv(x, DirectedOperators.from_graph(edge_index, "dir", num_nodes=12))
    with pytest.raises(ValueError, match="x must have shape"):
        conv(torch.randn(12, 5), edge_index)


@pytest.mark.parametrize("alpha, changed_row", [(1.0, "source"), (0.0, "target")])
def test_dirgat_alpha_extremes_ignore_one_direction(alpha, changed_row):
    """alpha = 1 reads only out-neighbours: adding u -> v changes only u's output (v's in-edges are
    ignored); alpha = 0 reads only in-neighbours: only v's output changes."""
    torch.manual_seed(0)
    mask, edge_index = small_digraph(0)
    u, v = next((i, j) for i in range(6, 12) for j in range(6, 12) if i != j and not mask[i, j] and not mask[j, i])
    conv = DirGATConv(4, 3, alpha=alpha, heads=2, add_self_loops=True)
    x = torch.randn(12, 4)
    before = conv(x, edge_index)
    after = conv(x, torch.cat([edge_index, torch.tensor([[u], [v]])], 1))
    changed = (before - after).abs().amax(1) > 1e-6
    expected = u if changed_row == "source" else v
    assert changed.nonzero().view(-1).tolist() == [expected]
    # the unused direction's parameters get no gradient
    conv(x, edge_index).sum().backward()
    unused = conv.lin_in if alpha == 1.0 else conv.lin_out
    assert unused.weight.grad is None


def test_dirgat_argument_validation():
    for bad in (1.5, -0.1):
        with pytest.raises(ValueError, match="alpha must lie in"):
            DirGATConv(4, 4, alpha=bad)
    with pytest.raises(ValueError, match="heads"):
        DirGATConv(4, 4, heads=0)
    with pytest.raises(ValueError, match="dropout"):
        DirGATConv(4, 4, dropout=1.0)
    with pytest.raises(ValueError, match="negative_slope"):
        DirGATConv(4, 4, negative_slope=-1.0)
    with pytest.raises(ValueError, match="divisible by heads"):
        DirGNN(4, 10, 2, conv="dir-gat", heads=3)
    with pytest.raises(ValueError, match="heads applies"):
        DirGNN(4, 8, 2, conv="dir-gcn", heads=2)
    with pytest.raises(ValueError, match="conv"):
        DirGNN(4, 8, 2, conv="gat")
    assert "heads=2" in repr(DirGATConv(4, 4, heads=2))


def test_dirgat_gradients_match_finite_differences():
    torch.manual_seed(0)
    _, edge_index = small_digraph(3, n=8, p=0.3)
    alpha = torch.nn.Parameter(torch.tensor(0.4, dtype=torch.float64))
    conv = DirGATConv(3, 2, alpha=alpha, heads=2).double()
    ops = DirectedOperators.from_graph(edge_index, "gat", num_nodes=8)
    x = torch.randn(8, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda inp: conv(inp, ops), (x,))
    conv(x, ops).pow(2).sum().backward()
    assert alpha.grad is not None and torch.isfinite(alpha.grad)


def test_dirgnn_dir_gat_structure_and_khop_exactness(small_dsbm):
    torch.manual_seed(0)
    model = DirGNN(8, 16, 3, num_layers=2, conv="dir-gat", heads=4, jk="max").eval()
    assert model.convs[0].heads == 4 and model.convs[0].output_channels == 16
    ops = model.build_operators(small_dsbm.edge_index, 300)
    assert sorted(ops.graphs) == ["gat"]
    with torch.no_grad():
        full = model(small_dsbm.x, ops)
        assert full.shape == (300, 3)
        for nodes, num_seeds in khop_batches(small_dsbm.edge_index, np.arange(300), 100, 2, random_state=0):
            out = model(small_dsbm.x[torch.from_numpy(nodes)], ops.subgraph(nodes))
            torch.testing.assert_close(out[:num_seeds], full[torch.from_numpy(nodes[:num_seeds])],
                                       rtol=1e-4, atol=1e-5)
    no_jk = DirGNN(8, 16, 3, num_layers=2, conv="dir-gat", heads=2)
    assert not no_jk.convs[-1].concat and no_jk.convs[-1].output_channels == 3


def test_dirgat_learns_on_dsbm_above_chance(small_dsbm, train_eval):
    torch.manual_seed(0)
    acc = train_eval(DirGNN(8, 32, 3, 2, conv="dir-gat", heads=2, alpha=0.5, jk="max"), small_dsbm)
    assert acc > 0.6, acc  # chance is 1/3; the undirected structure carries no class signal


# ------------------------------------------------------------- 2. magnetic signed Laplacian
def signed_digraph():
    """Weighted signed ``A``: negative edges, a reciprocal pair of equal sign (3 <-> 4), one of
    opposite signs (5 <-> 6, which cancels in A_s), a dangling node 0, a self-loop at 2."""
    n = 9
    a = np.zeros((n, n))
    a[1, 0] = 1.5
    a[1, 2] = -2.0
    a[2, 2] = 0.5
    a[2, 3] = 1.0
    a[3, 4], a[4, 3] = -1.0, -0.5
    a[5, 6], a[6, 5] = 1.0, -1.0
    a[7, 8] = -0.75
    a[8, 1] = 2.0
    a[4, 7] = 1.25
    src, dst = np.nonzero(a)
    return a, as_graph(np.stack([src, dst]), num_nodes=n, edge_weight=a[src, dst], directed=True)


def dense_signed_magnetic(a, q, normalized=True):
    a_s = (a + a.T) / 2
    theta = 2 * np.pi * q * (a - a.T)
    deg = 0.5 * (np.abs(a).sum(1) + np.abs(a).sum(0))
    h = a_s * np.exp(1j * theta)
    if not normalized:
        return np.diag(deg) - h
    inv = np.where(deg > 0, 1 / np.sqrt(np.where(deg > 0, deg, 1)), 0.0)
    return np.eye(a.shape[0]) - inv[:, None] * h * inv[None, :]


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25, 0.4])
@pytest.mark.parametrize("normalized", [True, False])
def test_signed_magnetic_laplacian_matches_dense(q, normalized):
    a, g = signed_digraph()
    ref = dense_signed_magnetic(a, q, normalized)
    real, imag = dops.signed_magnetic_laplacian(g, q, normalized=normalized)
    got = real.toarray().astype(np.float64) + 1j * imag.toarray()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, got.conj().T, atol=1e-6)                 # Hermitian
    eig = np.linalg.eigvalsh(ref)
    assert eig.min() > -1e-9                                                  # |A| degree: PSD
    if normalized:
        assert eig.max() < 2 + 1e-9
        scaled_r, scaled_i = dops.signed_magnetic_laplacian(g, q, scaled=True, lambda_max=2.0)
        np.testing.assert_allclose(scaled_r.toarray() + 1j * scaled_i.toarray(), ref - np.eye(9), atol=1e-6)
    same = dops.magnetic_laplacian(g, q, normalized=normalized, signed=True)
    assert (same[0] != real).nnz == 0 and (same[1] != imag).nnz == 0


def test_signed_magnetic_known_values():
    """One negative edge 0 -> 1 (w = -1) against a positive one: A_s = -1/2, Theta = -2 pi q,
    degrees 1/2, so L[0, 1] = -(-1/2 e^{-2 pi i q}) / (1/2) = e^{-2 pi i q}."""
    neg = as_graph(np.array([[0], [1]]), num_nodes=3, edge_weight=np.array([-1.0]), directed=True)
    pos = as_graph(np.array([[0], [1]]), num_nodes=3, directed=True)
    for q in (0.1, 0.25):
        r_n, i_n = dops.signed_magnetic_laplacian(neg, q)
        r_p, i_p = dops.signed_magnetic_laplacian(pos, q)
        assert complex(r_n[0, 1], i_n[0, 1]) == pytest.approx(np.exp(-2j * np.pi * q), abs=1e-6)
        assert complex(r_p[0, 1], i_p[0, 1]) == pytest.approx(-np.exp(2j * np.pi * q), abs=1e-6)
        assert r_n[2, 2] == 1.0 and r_n[0, 0] == 1.0  # isolated node 2: identity row
    # at q = 0.25 the two coincide (-e^{-i pi/2} = e^{i pi/2}): documented
    r_n, i_n = dops.signed_magnetic_laplacian(neg, 0.25)
    r_p, i_p = dops.signed_magnetic_laplacian(pos, 0.25)
    np.testing.assert_allclose(i_n.toarray(), i_p.toarray(), atol=1e-7)


def test_signed_equals_unsigned_for_positive_weights():
    a, g = signed_digraph()
    pos = g.with_weights(np.abs(g.weights))
    for normalized, scaled in ((True, False), (False, False), (True, True)):
        r1, i1 = dops.signed_magnetic_laplacian(pos, 0.2, normalized=normalized, scaled=scaled)
        r2, i2 = dops.magnetic_laplacian(pos, 0.2, normalized=normalized, scaled=scaled)
        np.testing.assert_allclose(r1.toarray(), r2.toarray(), atol=1e-7)
        np.testing.assert_allclose(i1.toarray(), i2.toarray(), atol=1e-7)


def test_signed_eigenvector_encodings_match_dense():
    a, g = signed_digraph()
    enc, values = dops.magnetic_eigenvector_encodings(g, 3, 0.1, signed=True, return_eigenvalues=True)
    w, v = np.linalg.eigh(dense_signed_magnetic(a, 0.1))
    np.testing.assert_allclose(values, w[:3], atol=1e-6)
    vec = enc[:, :3].astype(np.float64) + 1j * enc[:, 3:]
    np.testing.assert_allclose(vec @ vec.conj().T, v[:, :3] @ v[:, :3].conj().T, atol=1e-5)
    with pytest.raises(ValueError, match="signed=True"):
        dops.magnetic_eigenvector_encodings(g, 3, 0.1)


def test_signed_magnetic_bad_input_and_transform():
    a, g = signed_digraph()
    with pytest.raises(ValueError, match="signed=True"):
        dops.magnetic_laplacian(g, 0.25)
    with pytest.raises(ValueError, match="q must lie in"):
        dops.signed_magnetic_laplacian(g, 0.6)
    src, dst = np.nonzero(a)
    data = Data(edge_index=torch.from_numpy(np.stack([src, dst])), num_nodes=9,
                edge_weight=torch.from_numpy(a[src, dst].astype(np.float32)))
    out = MagneticLaplacian(q=0.1, signed=True)(data.clone())
    ref = dense_signed_magnetic(a, 0.1)
    np.testing.assert_allclose(out.mag_real.to_dense().numpy(), ref.real, atol=1e-6)
    np.testing.assert_allclose(out.mag_imag.to_dense().numpy(), ref.imag, atol=1e-6)
    assert "signed=True" in repr(MagneticLaplacian(signed=True))
    import warnings

    with warnings.catch_warnings():  # a symmetric signed graph is legitimate: no UndirectedGraphWarning
        warnings.simplefilter("error")
        real, imag = dops.signed_magnetic_laplacian(np.array([[0, 1], [1, 0]]), 0.25)
    assert imag.nnz == 0


# --------------------------------------------------------- 3. magnetic eigenvector encodings
def dense_magnetic(g, q):
    real, imag = dops.magnetic_laplacian(g, q)
    return real.toarray().astype(np.float64) + 1j * imag.toarray().astype(np.float64)


def as_complex(enc, k):
    return enc[:, :k].astype(np.float64) + 1j * enc[:, k:].astype(np.float64)


@pytest.mark.parametrize("q", [0.0, 0.1, 0.25])
@pytest.mark.parametrize("k", [1, 4])
def test_magnetic_eigenvectors_match_dense_eigh(q, k):
    mask, edge_index = small_digraph(4, n=20, p=0.15)
    g = as_graph(edge_index, num_nodes=20, directed=True)
    enc, values = dops.magnetic_eigenvector_encodings(g, k, q, return_eigenvalues=True)
    assert enc.shape == (20, 2 * k) and enc.dtype == np.float32
    w, v = np.linalg.eigh(dense_magnetic(g, q))
    np.testing.assert_allclose(values, w[:k], atol=1e-6)
    vec = as_complex(enc, k)
    np.testing.assert_allclose(vec.conj().T @ vec, np.eye(k), atol=1e-5)      # orthonormal
    # same subspace (phase-free): equal orthogonal projectors when there is a spectral gap
    assert w[k] - w[k - 1] > 1e-3
    np.testing.assert_allclose(vec @ vec.conj().T, v[:, :k] @ v[:, :k].conj().T, atol=1e-5)
    # each vector equals numpy's up to a unit phase (eigenvalues here are simple)
    assert np.diff(w[:k + 1]).min() > 1e-3
    np.testing.assert_allclose(np.abs(np.sum(vec.conj() * v[:, :k], 0)), 1.0, atol=1e-5)
    # canonical phase: the largest-magnitude entry is real and positive
    top = np.abs(vec).argmax(0)
    anchors = vec[top, np.arange(k)]
    assert (anchors.real > 0).all() and np.abs(anchors.imag).max() < 1e-6
    if q == 0.0:
        assert np.abs(enc[:, k:]).max() < 1e-6   # q = 0: real eigenvectors


def test_magnetic_eigenvectors_deterministic_and_repeated_eigenvalues():
    mask, edge_index = small_digraph(5, n=16, p=0.2)
    g = as_graph(edge_index, num_nodes=16, directed=True)
    first = dops.magnetic_eigenvector_encodings(g, 3, 0.25)
    np.testing.assert_array_equal(first, dops.magnetic_eigenvector_encodings(g, 3, 0.25))
    other = dops.magnetic_eigenvector_encodings(g, 3, 0.25, random_state=7)  # simple spectrum: same PEs
    np.testing.assert_allclose(other, first, atol=1e-5)
    # two disjoint copies: every eigenvalue is doubled; "every other vector" would pick duplicates
    src, dst = edge_index.numpy()
    two = as_graph(np.stack([np.r_[src, src + 16], np.r_[dst, dst + 16]]), num_nodes=32, directed=True)
    enc, values = dops.magnetic_eigenvector_encodings(two, 4, 0.25, return_eigenvalues=True)
    w, v = np.linalg.eigh(dense_magnetic(two, 0.25))
    np.testing.assert_allclose(values, w[:4], atol=1e-6)
    vec = as_complex(enc, 4)
    np.testing.assert_allclose(vec.conj().T @ vec, np.eye(4), atol=1e-5)
    np.testing.assert_allclose(vec @ vec.conj().T, v[:, :4] @ v[:, :4].conj().T, atol=1e-5)


def test_magnetic_eigenvectors_bad_input():
    _, edge_index = small_digraph(0)
    for q in (-0.1, 0.6):
        with pytest.raises(ValueError, match="q must lie in"):
            dops.magnetic_eigenvector_encodings(edge_index, 2, q)
    for k in (12, 13):
        with pytest.raises(ValueError, match="k must be < the number of nodes"):
            dops.magnetic_eigenvector_encodings(edge_index, k)
    with pytest.raises(ValueError, match="k must be > 0"):
        dops.magnetic_eigenvector_encodings(edge_index, 0)
    with pytest.raises(TypeError, match="k must be an integer"):
        dops.magnetic_eigenvector_encodings(edge_index, 2.0)
    assert dops.magnetic_eigenvector_encodings(edge_index, 11).shape == (12, 22)  # k = n - 1 works


def test_magnetic_eigenvector_pe_transform():
    _, edge_index = small_digraph(6)
    data = Data(edge_index=edge_index, num_nodes=12, x=torch.randn(12, 3))
    transform = MagneticEigenvectorPE(k=3, q=0.2)
    assert repr(transform) == "MagneticEigenvectorPE(k=3, q=0.2, attr_name='magnetic_pe')"
    out = transform(data.clone())
    ref = dops.magnetic_eigenvector_encodings(as_graph(edge_index, num_nodes=12), 3, 0.2)
    np.testing.assert_array_equal(out.magnetic_pe.numpy(), ref)
    assert out.magnetic_pe_eigenvalues.shape == (3,)
    cat = MagneticEigenvectorPE(k=3, q=0.2, attr_name=None)(data.clone())
    assert cat.x.shape == (12, 9)
    torch.testing.assert_close(cat.x[:, :3], data.x)
    with pytest.raises(ValueError, match="q must lie in"):
        MagneticEigenvectorPE(k=2, q=0.7)
    with pytest.raises(ValueError, match="attr_name"):
        MagneticEigenvectorPE(k=2, attr_name="not a name")
    import graphsparse.transforms as namespace

    assert namespace.MagneticEigenvectorPE is MagneticEigenvectorPE


# ----------------------------------------------------------------------- 4. link predictor
def test_shared_ranking_metrics_known_values():
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == pytest.approx(0.75)
    assert roc_auc(np.array([0, 1]), np.array([0.5, 0.5])) == pytest.approx(0.5)
    assert roc_auc(np.array([0, 1]), np.array([1.0, 2.0])) == pytest.approx(1.0)
    assert np.isnan(roc_auc(np.array([1, 1]), np.array([0.2, 0.3])))
    # AP: ranked positives at 1 and 3 -> (1/1 + 2/3) / 2
    assert average_precision(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx(5 / 6)
    assert np.isnan(average_precision(np.array([0, 0]), np.array([0.2, 0.3])))


@pytest.fixture(scope="module")
def trained_direction(small_dsbm):
    split = link_split(small_dsbm, "direction", random_state=0)
    torch.manual_seed(0)
    model = DirectedLinkPredictor(DirGNN(8, 32, 16, 2, alpha=0.5), 16, 2, hidden_channels=32)
    result = train_link_predictor(model, split, small_dsbm.x, epochs=150, lr=0.01, patience=50, random_state=0)
    return model, split, result


def test_link_predictor_learns_direction_on_dsbm(trained_direction, small_dsbm):
    model, split, result = trained_direction
    # chance is 0.5; direction in a DSBM follows the class flow (p_in = p_out: 1/3 of edges are
    # inside a block and have no learnable direction, so the ceiling is about 0.8)
    assert result["test_acc"] > 0.62 and result["test_auc"] > 0.65, result
    assert result["task"] == "direction" and 0 <= result["best_epoch"] < result["epochs"]
    # the best epoch's weights were restored: re-evaluating reproduces the reported validation accuracy
    with torch.no_grad():
        ops = model.build_operators(split["train_graph"], 300)
        pairs, labels = split["val"]
        pred = model(small_dsbm.x, ops, pairs).argmax(1).numpy()
    assert (pred == labels).mean() == pytest.approx(result["val_acc"])


def test_link_predictor_is_order_sensitive(trained_direction, small_dsbm):
    model, split, _ = trained_direction
    pairs, _ = split["test"]
    with torch.no_grad():
        ops = model.build_operators(split["train_graph"], 300)
        h = model.encode(small_dsbm.x, ops)
        forward = model.decode(h, pairs)
        backward = model.decode(h, pairs[:, ::-1].copy())
    assert not torch.allclose(forward, backward)
    # most swapped pairs get the opposite direction prediction
    flipped = (forward.argmax(1) != backward.argmax(1)).float().mean().item()
    assert flipped > 0.7, flipped


def test_link_predictor_reproducible_and_three_class(small_dsbm):
    split = link_split(small_dsbm, "three_class", random_state=1)
    results = []
    for _ in range(2):
        torch.manual_seed(3)
        model = DirectedLinkPredictor(DirGNN(8, 16, 8, 2, conv="dir-gat", heads=2), 8, 3, dropout=0.2)
        results.append(train_link_predictor(model, split, small_dsbm.x, epochs=5, patience=5, random_state=0))
    assert results[0] == results[1]
    assert "test_auc" not in results[0] and 0.0 <= results[0]["test_acc"] <= 1.0


def test_link_predictor_bad_input(small_dsbm):
    split = link_split(small_dsbm, "direction", random_state=0)
    model = DirectedLinkPredictor(DirGNN(8, 8, 4, 2), 4, 3)
    with pytest.raises(ValueError, match="3"):
        train_link_predictor(model, split, small_dsbm.x, epochs=1)      # direction has 2 classes
    model = DirectedLinkPredictor(DirGNN(8, 8, 4, 2), 4, 2)
    with pytest.raises(ValueError, match="rows"):
        train_link_predictor(model, split, small_dsbm.x[:10], epochs=1)
    with pytest.raises(ValueError, match="link_split"):
        train_link_predictor(model, {"train": None}, small_dsbm.x)
    with pytest.raises(ValueError, match="epochs must be > 0"):
        train_link_predictor(model, split, small_dsbm.x, epochs=0)
    with pytest.raises(ValueError, match="num_classes"):
        DirectedLinkPredictor(DirGNN(8, 8, 4, 2), 4, 1)
    with pytest.raises(TypeError, match="encoder"):
        DirectedLinkPredictor("dirgnn", 4)
    with pytest.raises(ValueError, match="pairs"):
        model.decode(torch.randn(5, 4), np.array([[0, 9]]))
    with pytest.raises(ValueError, match="encoder returned"):
        DirectedLinkPredictor(DirGNN(8, 8, 5, 2), 4).encode(small_dsbm.x, small_dsbm.edge_index)


def test_new_names_are_exported():
    import graphsparse.directed as directed
    import graphsparse.directed.models as models

    for name in ("signed_magnetic_laplacian", "magnetic_eigenvector_encodings", "train_link_predictor"):
        assert name in directed.__all__ and hasattr(directed, name)
    for name in ("DirGATConv", "DirectedLinkPredictor"):
        assert name in models.__all__ and hasattr(models, name)
