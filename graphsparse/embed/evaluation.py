"""Leak-free downstream evaluation of node embeddings (cross-validated node classification).

FastRP (and :class:`~graphsparse.embed.SpectralPropagation`) never read labels, so embedding the
whole graph once and cross-validating a classifier on the rows is leak-free. A
:class:`~graphsparse.embed.FastRPTuner` does read labels: it must be refitted inside every fold on
that fold's training nodes only (``fit(..., train_idx=train)``), which :func:`embedding_cv_score`
does when given ``tuner=``.
"""
from __future__ import annotations

import numpy as np

__all__ = ["embedding_cv_score"]


def embedding_cv_score(graph, y, embedder=None, *, tuner=None, classifier=None, cv=5, scoring="accuracy",
                       n_components=None, random_state=0):
    """Cross-validated score of ``classifier`` on node embeddings, without label leakage.

    1. Without ``tuner``: ``E = embedder.fit_transform(graph)`` once (unsupervised), then for every
       fold ``classifier.fit(E[train], y[train])`` is scored on ``E[test]``.
    2. With ``tuner`` (a :class:`FastRPTuner`): in every fold the tuner is fitted with
       ``train_idx=train`` (it never reads a test label), its ``best_estimator(n_components)``
       embeds the graph, and the classifier is scored as in 1.

    Parameters
    ----------
    graph : graph
        Anything :func:`graphsparse.as_graph` accepts.
    y : ndarray of shape (n_nodes,)
        Class ids (single-label); nodes with ``y < 0`` are left out of the folds.
    embedder : estimator or None, default=None
        An unsupervised node embedder with ``fit_transform(graph)`` (default: ``FastRP()``).
        Ignored when ``tuner`` is given.
    tuner : FastRPTuner or None, default=None
        Refitted inside each fold on the training nodes' labels only.
    classifier : classifier or None, default=None
        Default: ``LogisticRegression(max_iter=1000)``.
    cv : int or splitter, default=5
        ``StratifiedKFold(cv, shuffle=True, random_state=random_state)`` when an int.
    scoring : str, default="accuracy"
        Any scikit-learn scorer name.
    n_components : int or None, default=None
        Dimension of the tuned estimator (``None``: the tuner's ``n_components``).
    random_state : int, default=0
        Seed of the folds.

    Returns
    -------
    scores : ndarray of shape (n_folds,)

    Examples
    --------
    >>> import numpy as np
    >>> from graphsparse.datasets import sbm
    >>> from graphsparse.embed import FastRP, embedding_cv_score
    >>> graph, y = sbm([60, 60], np.array([[0.15, 0.01], [0.01, 0.15]]), seed=0, return_labels=True)
    >>> scores = embedding_cv_score(graph, y, FastRP(n_components=16, random_state=0), cv=3)
    >>> bool(scores.mean() > 0.9)
    True
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import get_scorer
    from sklearn.model_selection import StratifiedKFold

    from graphsparse._validation import to_numpy
    from graphsparse.embed.fastrp import FastRP, _coerce_graph

    graph = _coerce_graph(graph, "graph")
    y = to_numpy(y)
    if y.ndim != 1 or y.shape[0] != graph.num_nodes:
        raise ValueError(f"y must be 1-D with one class id per node ({graph.num_nodes}), got shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer class ids, got dtype {y.dtype}")
    labelled = np.flatnonzero(y >= 0)
    splitter = StratifiedKFold(cv, shuffle=True, random_state=random_state) if isinstance(cv, int) else cv
    scorer = get_scorer(scoring)
    classifier = LogisticRegression(max_iter=1000) if classifier is None else classifier
    embedding = None
    if tuner is None:
        embedding = (FastRP() if embedder is None else clone(embedder)).fit_transform(graph)
        embedding = np.asarray(embedding)
    scores = []
    for train, test in splitter.split(labelled, y[labelled]):
        train, test = labelled[train], labelled[test]
        emb = embedding
        if tuner is not None:
            fold_tuner = clone(tuner).fit(graph, y, train_idx=train)
            emb = np.asarray(fold_tuner.best_estimator(n_components).fit_transform(graph))
        model = clone(classifier).fit(emb[train], y[train])
        scores.append(scorer(model, emb[test], y[test]))
    return np.asarray(scores, dtype=np.float64)
