"""Callbacks: everything that hooks into the loop without changing it."""

from trainlab.train.callbacks.agc import AdaptiveGradientClipping, adaptive_clip_grad_
from trainlab.train.callbacks.base import HOOKS, Callback, CallbackHooks
from trainlab.train.callbacks.early_stopping import EarlyStopping
from trainlab.train.callbacks.ema import EMA
from trainlab.train.callbacks.jsonl_logger import JsonlLogger
from trainlab.train.callbacks.progress import LogLines, ProgressBar
from trainlab.train.callbacks.swa import SWA, recompute_batch_norm

__all__ = [
    "EMA",
    "HOOKS",
    "SWA",
    "AdaptiveGradientClipping",
    "Callback",
    "CallbackHooks",
    "EarlyStopping",
    "JsonlLogger",
    "LogLines",
    "ProgressBar",
    "adaptive_clip_grad_",
    "recompute_batch_norm",
]
