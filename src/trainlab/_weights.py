"""A model's weights in a safetensors file, whatever memory its parameters share.

safetensors refuses tensors that share storage unless one of them covers it all, because a
file may not alias. Two kinds of sharing occur in trainlab: tied weights (one tensor under two
names) and parameters that are views into an optimizer's flat buffer (see
``trainlab.optim._flat``). Tied names are written once, with the other names recorded in the
file's metadata as aliases (the convention of ``safetensors.torch.save_model``, so either
writer's files load with either reader); views into a larger buffer are written as compact copies.
"""

from __future__ import annotations

import os
from collections import defaultdict

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from torch import nn


def save_weights(model: nn.Module, path: str | os.PathLike) -> None:
    """Write ``model.state_dict()`` to ``path`` as safetensors (tied names become metadata aliases)."""
    tensors: dict[str, torch.Tensor] = {}
    aliases: dict[str, str] = {}
    first_name: dict[tuple[object, ...], str] = {}
    storage_of: dict[str, tuple[object, ...]] = {}
    views_of: dict[tuple[object, ...], int] = defaultdict(int)
    for name, tensor in model.state_dict().items():
        view = _view_key(tensor)
        if view in first_name:
            aliases[name] = first_name[view]
            continue
        first_name[view] = name
        storage_of[name] = view[:2]
        views_of[view[:2]] += 1
        tensors[name] = tensor.detach()
    for name, tensor in tensors.items():
        alone = views_of[storage_of[name]] == 1
        covers_storage = tensor.untyped_storage().nbytes() == tensor.numel() * tensor.element_size()
        if not (alone and covers_storage and tensor.is_contiguous()):
            tensors[name] = tensor.clone(memory_format=torch.contiguous_format)
    save_file(tensors, os.fspath(path), metadata=aliases or None)


def load_weights(model: nn.Module, path: str | os.PathLike) -> tuple[list[str], list[str]]:
    """Copy the weights in ``path`` into ``model`` (in place); return the missing and unexpected names."""
    tensors: dict[str, torch.Tensor] = {}
    with safe_open(os.fspath(path), framework="pt") as file:
        aliases = file.metadata() or {}
        for name in file.keys():  # noqa: SIM118 (safe_open is not a mapping)
            tensors[name] = file.get_tensor(name)
    for alias, name in aliases.items():
        if name in tensors and alias not in tensors:
            tensors[alias] = tensors[name]
    result = model.load_state_dict(tensors, strict=False)
    return list(result.missing_keys), list(result.unexpected_keys)


def _view_key(tensor: torch.Tensor) -> tuple[object, ...]:
    """Storage first (so ``[:2]`` names the storage), then which view of it this is."""
    return (
        tensor.device,
        tensor.untyped_storage().data_ptr(),
        tensor.storage_offset(),
        tuple(tensor.shape),
        tensor.stride(),
        tensor.dtype,
    )
