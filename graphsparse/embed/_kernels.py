"""Numba kernels of FastRP (plain NumPy arrays in and out; no SciPy, torch or graphsparse objects).

1. ``hash_uniform(seed, key, col, stream)`` -- a counter-based random number in ``[0, 1)``
   (:func:`graphsparse.kernels.random.uniform_from_key`: SplitMix64 finaliser of ``seed``,
   ``key``, ``col``, ``stream``). Entry ``(v, c)`` of the random
   matrix depends only on ``(seed, node id v, column c)``, so it is the same whatever the node order,
   the number of threads or the column block it is generated in (relabel-stable, as GDS's per-node
   reseeding ``seed ^ nodeId``).
2. ``fill_random_projection``: rows of the very sparse random matrix of Achlioptas / Li et al.
   (``+-value`` with probability ``density / 2`` each, else 0) or a Gaussian ``N(0, value^2)``
   (Box-Muller), times a per-row factor (``deg^beta``).
3. ``propagate_rows``: one fused FastRP step for every row ``i``
   ``h_i = row_scale_i * sum_{e in row i} w_e * src[indices_e]`` then, in the same pass,
   ``||h_i||`` (or a known full-row norm when computing in column blocks), ``dst_i = h_i`` or
   ``h_i / ||h_i||`` and ``acc_i += alpha * (h_i / ||h_i|| or h_i)``; the squared norm can be
   accumulated for a norm pass. One read of the neighbours' rows and one write of ``dst`` and ``acc``
   per step instead of the 4-5 passes of spmm + normalise + axpy.
4. ``accumulate_rows``: the same epilogue for the hop-0 term (self influence).
5. ``column_moments`` / ``standardize_columns``: the column z-score of ``sklearn.preprocessing.scale``.
6. ``laplacian_rows``: one fused step of ProNE's Chebyshev recurrence (``graphsparse.embed.spectral``)
   ``out_i = self_scale_i * src_i + neigh_scale_i * sum_{e in row i} w_e * src[indices_e]
   + beta1 * x1_i + beta2 * x2_i`` and ``acc_i += gamma * out_i`` in the same pass: the shifted
   Laplacian of ``A~ = I + A`` is folded into the two per-row scales (no ``A~`` is built) and the
   recurrence's axpys and the series' accumulation cost no extra pass over ``n x d`` arrays.
7. ``column_pivot_signs``: the sign of every column's largest-magnitude entry (its first such row),
   the deterministic SVD sign rule of ``graphsparse.embed.spectral``, in one row-major pass (NumPy's
   ``argmax(abs(u), axis=0)`` walks the columns with a stride: half of the orthogonalisation's time).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["hash_uniform", "fill_random_projection", "propagate_rows", "accumulate_rows",
           "row_sqnorms", "column_moments", "standardize_columns", "laplacian_rows", "column_pivot_signs", "ROW_CHUNK"]

ROW_CHUNK = 128  # rows per parallel task (amortises the per-task row buffer)

# the counter-based draw lives in the shared random module (one scheme for every kernel)
from graphsparse.kernels.random import uniform_from_key as hash_uniform  # noqa: E402
# the gather of a row (four source rows per pass over the buffer) is the shared backend's SpMM row
from graphsparse.kernels.csr import row_product  # noqa: E402


@njit(parallel=True, cache=True, nogil=True)
def fill_random_projection(keys, seed, stream, col_start, density, value, gaussian, row_factor, out):
    """``out[i, c] = row_factor[i] * R[keys[i], col_start + c]`` (``row_factor`` may be empty = 1).

    Sparse law (``gaussian=False``): ``+value`` w.p. ``density/2``, ``-value`` w.p. ``density/2``,
    else 0. Gaussian law: ``value * N(0, 1)`` (Box-Muller on two hashed uniforms).
    """
    n_rows, n_cols = out.shape
    half = 0.5 * density
    has_factor = row_factor.shape[0] > 0
    for i in prange(n_rows):
        key = keys[i]
        factor = row_factor[i] if has_factor else 1.0
        for c in range(n_cols):
            col = col_start + c
            if gaussian:
                u1 = hash_uniform(seed, key, 2 * col, stream)
                u2 = hash_uniform(seed, key, 2 * col + 1, stream)
                radius = np.sqrt(-2.0 * np.log(1.0 - u1))
                out[i, c] = factor * value * radius * np.cos(2.0 * np.pi * u2)
            else:
                u = hash_uniform(seed, key, col, stream)
                if u < half:
                    out[i, c] = factor * value
                elif u < density:
                    out[i, c] = -factor * value
                else:
                    out[i, c] = 0.0
    return out


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def propagate_rows(indptr, indices, weights, row_scale, src, dst, acc, alpha, inv_norm_known,
                   sqnorm_out, normalize_acc, store_normalized):
    """One fused FastRP step (see module doc, item 3). Empty ``weights``/``row_scale``/``acc``/
    ``inv_norm_known``/``sqnorm_out`` mean: unweighted / no scaling / no accumulation / compute the
    norm from the row itself / do not record squared norms."""
    n_rows = indptr.shape[0] - 1
    width = src.shape[1]
    has_weights = weights.shape[0] > 0
    has_scale = row_scale.shape[0] > 0
    has_acc = acc.shape[0] > 0 and alpha != 0.0
    known = inv_norm_known.shape[0] > 0
    record = sqnorm_out.shape[0] > 0
    n_chunks = (n_rows + ROW_CHUNK - 1) // ROW_CHUNK
    for chunk in prange(n_chunks):
        buf = np.empty(width, dtype=src.dtype)
        stop = min(n_rows, (chunk + 1) * ROW_CHUNK)
        for i in range(chunk * ROW_CHUNK, stop):
            row_product(indptr, indices, weights, has_weights, weights, False, src, i, buf)
            if has_scale:
                s = row_scale[i]
                for c in range(width):
                    buf[c] *= s
            sq = 0.0
            if record or not known:
                for c in range(width):
                    sq += np.float64(buf[c]) * np.float64(buf[c])
            if record:
                sqnorm_out[i] += sq
            if known:
                inv = inv_norm_known[i]
            else:
                inv = 1.0 / np.sqrt(sq) if sq > 0.0 else 0.0
            if store_normalized:
                for c in range(width):
                    dst[i, c] = buf[c] * inv
            else:
                for c in range(width):
                    dst[i, c] = buf[c]
            if has_acc:
                coef = alpha * inv if normalize_acc else alpha
                for c in range(width):
                    acc[i, c] += coef * buf[c]
    return dst


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def accumulate_rows(src, acc, alpha, inv_norm_known, normalize_acc):
    """``acc_i += alpha * src_i / ||src_i||`` (or ``alpha * src_i``); hop-0 / self-influence term."""
    n_rows, width = src.shape
    known = inv_norm_known.shape[0] > 0
    for i in prange(n_rows):
        coef = alpha
        if normalize_acc:
            if known:
                inv = inv_norm_known[i]
            else:
                sq = 0.0
                for c in range(width):
                    sq += np.float64(src[i, c]) * np.float64(src[i, c])
                inv = 1.0 / np.sqrt(sq) if sq > 0.0 else 0.0
            coef = alpha * inv
        for c in range(width):
            acc[i, c] += coef * src[i, c]
    return acc


@njit(parallel=True, cache=True, nogil=True)
def row_sqnorms(src, sqnorm_out):
    """``sqnorm_out_i += ||src_i||^2`` (float64)."""
    n_rows, width = src.shape
    for i in prange(n_rows):
        sq = 0.0
        for c in range(width):
            sq += np.float64(src[i, c]) * np.float64(src[i, c])
        sqnorm_out[i] += sq
    return sqnorm_out


@njit(parallel=True, cache=True, nogil=True)
def column_moments(values, n_chunks):
    """Column sums and sums of squares (float64), reduced over ``n_chunks`` row chunks."""
    n_rows, width = values.shape
    sums = np.zeros((n_chunks, width))
    squares = np.zeros((n_chunks, width))
    step = (n_rows + n_chunks - 1) // n_chunks
    for chunk in prange(n_chunks):
        for i in range(chunk * step, min(n_rows, (chunk + 1) * step)):
            for c in range(width):
                v = np.float64(values[i, c])
                sums[chunk, c] += v
                squares[chunk, c] += v * v
    return sums.sum(axis=0), squares.sum(axis=0)


@njit(parallel=True, cache=True, nogil=True)
def standardize_columns(values, mean, inv_std):
    """``values[:, c] = (values[:, c] - mean[c]) * inv_std[c]`` in place."""
    n_rows, width = values.shape
    for i in prange(n_rows):
        for c in range(width):
            values[i, c] = (values[i, c] - mean[c]) * inv_std[c]
    return values


@njit(parallel=True, cache=True, nogil=True, fastmath=True)
def laplacian_rows(indptr, indices, weights, self_scale, neigh_scale, src, out, x1, beta1, x2, beta2, acc, gamma):
    """One fused Chebyshev step (module doc, item 6). Empty ``weights`` = unweighted; empty ``x1``/``x2``/
    ``acc`` = term absent. ``out`` must not alias ``src`` (its rows are read while others are written)."""
    has_x1, has_x2, has_acc = x1.shape[0] > 0, x2.shape[0] > 0, acc.shape[0] > 0
    n_rows, width = out.shape
    for chunk in prange((n_rows + ROW_CHUNK - 1) // ROW_CHUNK):
        buf = np.empty(width, dtype=src.dtype)
        for i in range(chunk * ROW_CHUNK, min(n_rows, (chunk + 1) * ROW_CHUNK)):
            row_product(indptr, indices, weights, weights.shape[0] > 0, weights, False, src, i, buf)
            for c in range(width):
                buf[c] = self_scale[i] * src[i, c] + neigh_scale[i] * buf[c]
            if has_x1:
                for c in range(width):
                    buf[c] += beta1 * x1[i, c]
            if has_x2:
                for c in range(width):
                    buf[c] += beta2 * x2[i, c]
            for c in range(width):
                out[i, c] = buf[c]
            if has_acc:
                for c in range(width):
                    acc[i, c] += gamma * buf[c]
    return out


@njit(cache=True, nogil=True)
def column_pivot_signs(values):
    """``signs[c] = sign(values[p_c, c])`` with ``p_c`` the first row of largest ``|values[:, c]|``
    (``p = np.argmax(np.abs(values), axis=0)``); ``1`` where that entry is 0."""
    n_rows, width = values.shape
    largest = np.full(width, -1.0)
    signs = np.ones(width, dtype=values.dtype)
    for i in range(n_rows):
        for c in range(width):
            magnitude = abs(np.float64(values[i, c]))
            if magnitude > largest[c]:
                largest[c] = magnitude
                signs[c] = -1.0 if values[i, c] < 0 else 1.0
    return signs
