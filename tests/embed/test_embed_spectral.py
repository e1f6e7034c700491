"""SpectralPropagation (ProNE's Chebyshev band-pass filter): equality with a dense float64 NumPy
transcription of ``chebyshev_gaussian`` on small graphs, the SVD step, the FastRP option,
set_output, bad input and the scikit-learn estimator checks that apply."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import iv
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from graphsparse.embed import FastRP, SpectralPropagation
from graphsparse.embed.fastrp import _standardize
from graphsparse.graph import as_graph


def random_graph(rng, n=50, p=0.1, weighted=False, loops=False):
    upper = np.triu(rng.random((n, n)) < p, 1).astype(float)
    if weighted:
        upper *= rng.uniform(0.5, 3.0, size=upper.shape)
    adj = upper + upper.T
    if loops:
        adj[np.diag_indices(n)] = (rng.random(n) < 0.3) * rng.uniform(0.5, 2.0, n)
    return adj


def dense_chebyshev(adj, a, order=10, mu=0.2, theta=0.5):
    """Dense float64 transcription of ProNE ``chebyshev_gaussian`` (THUDM/ProNE, nodevectors) without the SVD."""
    n = adj.shape[0]
    if order == 1:
        return a
    A = np.eye(n) + adj
    DA = A / A.sum(axis=1, keepdims=True)
    L = np.eye(n) - DA
    M = L - mu * np.eye(n)
    Lx0 = a
    Lx1 = 0.5 * M @ (M @ a) - a
    conv = iv(0, theta) * Lx0
    conv -= 2 * iv(1, theta) * Lx1
    for i in range(2, order):
        Lx2 = M @ (M @ Lx1) - 2 * Lx1 - Lx0
        conv += (2 if i % 2 == 0 else -2) * iv(i, theta) * Lx2
        Lx0, Lx1 = Lx1, Lx2
    return A @ (a - conv)


def dense_svd_embedding(matrix, d):
    """ProNE ``get_embedding_dense``: rowL2(U sqrt(S)), column signs fixed as ours."""
    U, s, _ = np.linalg.svd(matrix, full_matrices=False)
    U = U[:, :d] * np.sqrt(s[:d])
    pivot = np.argmax(np.abs(U), axis=0)
    U = U * np.sign(U[pivot, np.arange(U.shape[1])])
    return U / np.linalg.norm(U, axis=1, keepdims=True)


@pytest.mark.parametrize("weighted,loops", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("order,mu,theta", [(10, 0.2, 0.5), (5, 0.5, 1.0), (2, 0.0, 0.3)])
def test_filter_equals_dense_reference(rng, weighted, loops, order, mu, theta):
    adj = random_graph(rng, weighted=weighted, loops=loops)
    emb = rng.standard_normal((adj.shape[0], 12))
    expected = dense_chebyshev(adj, emb, order, mu, theta)
    got = SpectralPropagation(order=order, mu=mu, theta=theta, orthogonalize=False).fit(adj).transform(emb)
    assert got.dtype == np.float32 and got.shape == emb.shape
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())


@pytest.mark.parametrize("order,mu,theta,terms", [(10, 0.2, 0.5, 7), (10, -0.5, 0.5, 10), (10, 2.5, 0.5, 10),
                                                  (10, 0.2, 4.0, 10), (3, 0.2, 0.5, 3)])
def test_negligible_chebyshev_tail_is_skipped_without_changing_the_result(rng, order, mu, theta, terms):
    # the tail is dropped only where |T_i| <= 1 bounds it (0 <= mu <= 2) and its coefficients sum below
    # float32 round-off of I_0(theta); the result still equals the full-order dense series
    adj = random_graph(rng, n=40, weighted=True, loops=True)
    emb = rng.standard_normal((40, 6))
    model = SpectralPropagation(order=order, mu=mu, theta=theta, orthogonalize=False).fit(adj)
    got = model.transform(emb)
    assert model.n_terms_ == terms
    expected = dense_chebyshev(adj, emb, order, mu, theta)
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5 * np.abs(expected).max())
    if terms < order:  # the dropped terms are below float32 resolution, not zero
        assert np.abs(dense_chebyshev(adj, emb, terms, mu, theta) - expected).max() > 0


def test_orthogonalized_output_equals_dense_svd(rng):
    adj = random_graph(rng, n=60, weighted=True)
    emb = rng.standard_normal((60, 16))
    expected = dense_svd_embedding(dense_chebyshev(adj, emb), 16)
    got = SpectralPropagation().fit(sp.csr_matrix(adj)).transform(emb)
    np.testing.assert_allclose(got, expected, atol=5e-4)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_matches_nodevectors_reference_when_installed(rng):
    nodevectors = pytest.importorskip("nodevectors")
    adj = random_graph(rng, n=40)
    emb = rng.standard_normal((40, 8))
    ref = nodevectors.ProNE.chebyshev_gaussian(sp.csr_matrix(adj), emb.copy(), 8, step=10, mu=0.2, theta=0.5)
    got = SpectralPropagation().fit(adj).transform(emb)
    # the reference leaves SVD signs to LAPACK: compare up to one sign per column
    signs = np.sign((ref * got).sum(axis=0))
    np.testing.assert_allclose(got, ref * signs, atol=5e-4)


def test_order_one_is_identity_and_defaults_are_prone(rng):
    adj = random_graph(rng, n=20)
    emb = rng.standard_normal((20, 4)).astype(np.float32)
    np.testing.assert_array_equal(SpectralPropagation(order=1).fit(adj).transform(emb), emb)
    params = SpectralPropagation().get_params()
    assert (params["order"], params["mu"], params["theta"], params["orthogonalize"]) == (10, 0.2, 0.5, True)


def test_isolated_node_and_directed_graph(rng):
    # node 4 has no edge: A~ gives it a self-loop, so its row is finite and depends only on itself
    edge_index = np.array([[0, 1, 2, 3], [1, 2, 3, 0]])
    graph = as_graph(edge_index, num_nodes=5)
    emb = rng.standard_normal((5, 3))
    out = SpectralPropagation(orthogonalize=False).fit(graph).transform(emb)
    dense = graph.to_scipy().toarray()
    np.testing.assert_allclose(out, dense_chebyshev(dense, emb), rtol=1e-4, atol=1e-5)


def test_fastrp_option_equals_two_step_pipeline(rng):
    adj = random_graph(rng, n=70, p=0.08)
    adj[np.arange(70), (np.arange(70) + 1) % 70] = adj[(np.arange(70) + 1) % 70, np.arange(70)] = 1
    kw = dict(n_components=16, random_state=3, iteration_weights=(0.0, 1.0, 1.0), normalization_strength=-0.5)
    plain = FastRP(**kw).fit_transform(adj)
    expected = SpectralPropagation(order=6).fit(adj).transform(plain)
    _standardize(expected)  # scale_output z-scores the filtered embedding again
    for option in ({"order": 6}, SpectralPropagation(order=6)):
        model = FastRP(spectral_propagation=option, **kw).fit(adj)
        np.testing.assert_allclose(model.embedding_, expected, atol=1e-5)
        assert isinstance(model.spectral_propagation_, SpectralPropagation)
        assert model.timings_["spectral_s"] > 0
    with_true = FastRP(spectral_propagation=True, **kw).fit_transform(adj)
    assert with_true.shape == (70, 16) and np.isfinite(with_true).all()
    assert FastRP(spectral_propagation=None, **kw).fit(adj).spectral_propagation_ is None
    with pytest.raises(ValueError, match="embed_new_nodes is not available with spectral_propagation"):
        FastRP(spectral_propagation=True, **kw).fit(adj).embed_new_nodes(np.array([[0], [1]]))


@pytest.mark.parametrize("option,exc,match", [
    ("yes", TypeError, "spectral_propagation must be"),
    ({"degree": 3}, ValueError, "unknown SpectralPropagation parameter"),
    ({"order": 0}, ValueError, "order"),
    ({"theta": 0.0}, ValueError, "theta must be > 0"),
    ({"mu": float("nan")}, ValueError, "mu must be a finite"),
])
def test_fastrp_option_bad_values(rng, option, exc, match):
    with pytest.raises(exc, match=match):
        FastRP(n_components=4, spectral_propagation=option).fit(random_graph(rng, n=10))


def test_bad_input(rng):
    adj = random_graph(rng, n=10)
    model = SpectralPropagation()
    with pytest.raises(NotFittedError):
        model.transform(np.ones((10, 2)))
    model.fit(adj)
    with pytest.raises(ValueError, match="rows but the fitted graph has 10 nodes"):
        model.transform(np.ones((9, 2)))
    with pytest.raises(ValueError, match="2-D embedding"):
        model.transform(np.ones(10))
    with pytest.raises(ValueError, match="NaN|inf|finite"):
        model.transform(np.full((10, 2), np.nan))
    with pytest.raises(TypeError, match="real numeric"):
        model.transform(np.full((10, 2), "a"))
    with pytest.raises(ValueError, match="Negative values"):
        SpectralPropagation().fit(-adj)
    with pytest.raises(ValueError, match="X is the graph"):
        SpectralPropagation().fit_transform(adj)
    with pytest.raises(TypeError, match="orthogonalize"):
        SpectralPropagation(orthogonalize="no").fit(adj)
    out = SpectralPropagation().fit_transform(adj, embedding=np.ones((10, 2)))
    assert out.shape == (10, 2)


def test_set_output_pandas(rng):
    pd = pytest.importorskip("pandas")
    adj = random_graph(rng, n=30)
    emb = rng.standard_normal((30, 4))
    out = SpectralPropagation().set_output(transform="pandas").fit(adj).transform(emb)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == [f"spectralpropagation{i}" for i in range(4)]


def test_sklearn_estimator_checks_that_apply():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(SpectralPropagation(order=3), on_fail=None)
    by_name = {}
    for result in results:
        by_name.setdefault(result["check_name"], []).append(result)
    for must in ("check_get_params_invariance", "check_set_params", "check_estimator_cloneable",
                 "check_estimators_fit_returns_self", "check_estimators_unfitted", "check_n_features_in",
                 "check_no_attributes_set_in_init", "check_estimators_overwrite_params", "check_estimator_repr",
                 "check_parameters_default_constructible", "check_do_not_raise_errors_in_init_or_set_params"):
        assert by_name[must][0]["status"] == "passed", (must, str(by_name[must][0]["exception"])[:300])
    clone(SpectralPropagation(order=4)).get_params()["order"] == 4
