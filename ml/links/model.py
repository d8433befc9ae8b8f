"""The link prediction network (torch-geometric) and the plain GraphSAGE baseline.

`LinkPredictor` encodes every customer with two GraphSAGE layers over the relationship
graph, from its log degree (so the encoder is inductive: a new customer, or the same
customer in a later graph, is encoded the same way; a learned embedding per customer
memorised the supervision pairs and lost to the heuristics), then scores a pair from
three parts:
    h_u * h_v                    what message passing knows about the two ends,
    sum of h_w over common w     the neural common neighbours (NCN) term: who they share,
                                 as embeddings rather than a count,
    the structural features      common neighbours, Adamic-Adar, resource allocation,
                                 Jaccard, preferential attachment, 3- and 4-walks and
                                 the capped distance (ml.links.features), through an MLP.
With `structural=False` and an embedding per node it is plain GraphSAGE with a dot-product
decoder, the baseline that measured AUC 0.877 on a co-inventor graph where common neighbours alone had 0.987.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
import torch
from torch import Tensor, nn
from torch_geometric.nn import SAGEConv  # type: ignore[import-untyped]

from ml.links.features import MODEL_INPUTS


class LinkPredictor(nn.Module):
    def __init__(
        self,
        num_nodes: int,
        *,
        embedding_dim: int = 0,
        hidden: int = 64,
        structural: bool = True,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.structural = structural
        self.embedding_dim = embedding_dim
        self.embedding = nn.Embedding(max(num_nodes, 1), max(embedding_dim, 1))
        nn.init.normal_(self.embedding.weight, std=0.1)
        self.conv1 = SAGEConv(embedding_dim + 2, hidden)
        self.conv2 = SAGEConv(hidden, hidden)
        self.dropout = nn.Dropout(dropout)
        if structural:
            self.pair = nn.Sequential(
                nn.Linear(MODEL_INPUTS, hidden), nn.ReLU(), nn.Linear(hidden, hidden)
            )
            self.decoder = nn.Sequential(
                nn.Linear(3 * hidden, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1)
            )

    def node_inputs(self, rows: Tensor, log_degree: Tensor) -> Tensor:
        """Inputs per node of the graph being read: its log degree and a constant, and
        with embeddings `rows[i]` is node i's embedding row, or -1 for a node the model
        never saw (zeros)."""
        base = torch.stack([log_degree, torch.ones_like(log_degree)], dim=1)
        if self.embedding_dim == 0:
            return base
        known = rows >= 0
        x = torch.zeros(rows.shape[0], self.embedding_dim)
        x[known] = self.embedding(rows[known])
        return torch.cat([x, base], dim=1)

    def encode(self, x: Tensor, edge_index: Tensor) -> Tensor:
        h = torch.relu(self.conv1(x, edge_index))
        h = self.dropout(h)
        out: Tensor = self.conv2(h, edge_index)
        return out

    def score(self, h: Tensor, u: Tensor, v: Tensor, pair_inputs: Tensor, common: Tensor) -> Tensor:
        """Logits for the pairs (u, v); `common` is the sparse pairs x nodes matrix of
        their common neighbours."""
        ends = h[u] * h[v]
        if not self.structural:
            return ends.sum(dim=1)
        shared = torch.sparse.mm(common, h)
        z = torch.cat([ends, shared, self.pair(pair_inputs)], dim=1)
        logits: Tensor = self.decoder(z).squeeze(1)
        return logits


def to_torch_sparse(matrix: sp.csr_matrix) -> Tensor:
    coo = matrix.tocoo()
    indices = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
    values = torch.from_numpy(coo.data.astype(np.float32))
    return torch.sparse_coo_tensor(
        indices, values, size=coo.shape, check_invariants=False
    ).coalesce()


def edge_index_of(adjacency: sp.csr_matrix) -> Tensor:
    coo = adjacency.tocoo()
    return torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))


def log_degree_of(adjacency: sp.csr_matrix) -> Tensor:
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    return torch.from_numpy(np.log1p(degree).astype(np.float32))
