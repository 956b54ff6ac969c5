"""Weight-sharing supernets: elastic layers, the supernet protocol, training, evaluation, zero-cost proxies.

Implement :class:`Supernet` (one method, ``configure(arch)``) with the elastic layers below to
make any model searchable; :func:`train_supernet` trains it with the sandwich rule and
:class:`SupernetEvaluator` scores subnets with inherited weights; :class:`StandaloneEvaluator` trains
each subnet from scratch, one epoch per step (for early stopping).
"""

from predictnas.supernets._base import Supernet, profile, weights_hash
from predictnas.supernets._builtin import DigitsSupernet, Mnist1dSupernet, SequenceTransformerSupernet
from predictnas.supernets._elastic import (
    ElasticAttention,
    ElasticBatchNorm1d,
    ElasticBatchNorm2d,
    ElasticConv1d,
    ElasticConv2d,
    ElasticEmbedding,
    ElasticLayerNorm,
    ElasticLinear,
)
from predictnas.supernets._evaluator import SupernetEvaluator, measure_latency, recalibrated_batchnorm, run_times
from predictnas.supernets._proxies import PROXIES
from predictnas.supernets._registry import (BUILTIN_SUPERNETS, BuiltinSupernet, build_standalone_evaluator, build_supernet_evaluator,
                                            resolve_supernet)
from predictnas.supernets._standalone import StandaloneEvaluator
from predictnas.supernets._task import Task, digits_task, mnist1d_task, recurrence_task
from predictnas.supernets._training import TrainingConfig, TrainingResult, load_checkpoint, standalone_epochs, train_standalone, train_supernet

__all__ = [
    "BUILTIN_SUPERNETS", "BuiltinSupernet", "DigitsSupernet", "ElasticAttention", "ElasticBatchNorm1d",
    "ElasticBatchNorm2d", "ElasticConv1d", "ElasticConv2d", "ElasticEmbedding", "ElasticLayerNorm", "ElasticLinear",
    "Mnist1dSupernet", "PROXIES", "SequenceTransformerSupernet", "StandaloneEvaluator", "Supernet", "SupernetEvaluator", "Task",
    "TrainingConfig", "TrainingResult", "build_standalone_evaluator", "build_supernet_evaluator", "digits_task", "load_checkpoint", "measure_latency",
    "mnist1d_task", "profile", "recalibrated_batchnorm", "recurrence_task", "resolve_supernet", "run_times", "standalone_epochs", "train_standalone", "train_supernet",
    "weights_hash",
]
