"""torchao, imported quietly: its import logs a warning per CUDA-only extension it cannot load on a CPU machine."""

from __future__ import annotations

import logging
import warnings
from types import ModuleType

# Loggers torchao's import writes to on a CPU-only torch: CUDA extension libraries it skips, and
# torch's notice about an Enum it registers. Neither concerns a CPU user.
NOISY_LOGGERS = ("torchao", "torch.utils._pytree")


def torchao_quantization() -> ModuleType:
    """``torchao.quantization``, imported with the CPU-irrelevant warnings of its first import silenced.

    Raises:
        TrainlabError: torchao is not installed.
    """
    from trainlab.errors import TrainlabError

    loggers = [logging.getLogger(name) for name in NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import torchao.quantization  # type: ignore[import-untyped]
    except ImportError:
        raise TrainlabError(
            "quantization needs torchao, which is not installed: pip install 'trainlab[quantize]'"
        ) from None
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    return torchao.quantization
