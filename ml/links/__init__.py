"""GNN link prediction over the customer graph (torch-geometric + structural link features).

`load_graph` reads the customers and their relationships with dates, `train_links` trains
on the past and tests on later edges beside the classic heuristics, `save` / `load` keep
the model with its evaluation, and `predict_links` writes `PREDICTED_LINK` edges, but only
from a model that beat every heuristic on that graph.
"""

from ml.links.data import (
    ANY,
    KINDS,
    EmptyGraph,
    LinkGraph,
    LinkPredictionError,
    TooFewEdges,
    UnknownCustomer,
    build_graph,
    load_graph,
    temporal_split,
)
from ml.links.train import (
    LinkEvaluation,
    TrainConfig,
    TrainedLinks,
    artefact_dir,
    load,
    save,
    train_links,
)
from ml.links.writeback import ModelNotShipped, PredictReport, predict_links

__all__ = [
    "ANY",
    "KINDS",
    "EmptyGraph",
    "LinkEvaluation",
    "LinkGraph",
    "LinkPredictionError",
    "ModelNotShipped",
    "PredictReport",
    "TooFewEdges",
    "TrainConfig",
    "TrainedLinks",
    "UnknownCustomer",
    "artefact_dir",
    "build_graph",
    "load",
    "load_graph",
    "predict_links",
    "save",
    "temporal_split",
    "train_links",
]
