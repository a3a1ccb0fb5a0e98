"""Callbacks: everything that hooks into the loop without changing it."""

from trainlab.train.callbacks.base import HOOKS, Callback, CallbackHooks
from trainlab.train.callbacks.jsonl_logger import JsonlLogger
from trainlab.train.callbacks.progress import ProgressBar

__all__ = ["HOOKS", "Callback", "CallbackHooks", "JsonlLogger", "ProgressBar"]
