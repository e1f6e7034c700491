"""Graph lottery tickets: TEDDY (one-shot), UGS (iterative) and random baselines.

* :func:`find_ticket` / :func:`find_tickets` -- sparse graph + sparse weights at given levels;
* :class:`GraphLotteryTicket` -- edge mask, weight masks, weights, scores; exact save/load,
  ``apply(model)``, ``prune_graph(data)``;
* :func:`l0_project_` -- global magnitude projection onto the l0 ball (TEDDY's PGD step);
* :func:`ugs_levels` -- the UGS sparsity schedule; backbones :class:`GCN`, :class:`GAT`,
  :class:`GIN` (PyG layers).

The edge scores live in :mod:`graphsparse.sparsify`.
"""
from graphsparse.lottery.find import METHODS, find_ticket, find_tickets, ugs_levels
from graphsparse.lottery.models import GAT, GCN, GIN, make_model
from graphsparse.lottery.projection import l0_project_, prunable_parameters
from graphsparse.lottery.ticket import GraphLotteryTicket

__all__ = ["find_ticket", "find_tickets", "ugs_levels", "METHODS", "GraphLotteryTicket", "l0_project_",
           "prunable_parameters", "GCN", "GAT", "GIN", "make_model"]
