"""Pictures of a learned representation: reconstructions, the latent space, samples, filters, interpolations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from trainlab.playground.figures import pyplot, save_figure
from trainlab.representation.evaluation import codes_of, reconstructions_of

SHOWN = 8  # samples per strip


def _draw(axis: Any, sample: torch.Tensor, input_shape: tuple[int, ...], **line: Any) -> None:
    """An image as pixels, anything else (a signal, a feature vector) as a line."""
    if len(input_shape) == 3 or (len(input_shape) == 2 and input_shape[0] > 1):
        axis.imshow(sample.reshape(input_shape[-2:]).numpy(), cmap="gray")
    else:
        axis.plot(sample.flatten().numpy(), **line)
    axis.set_xticks([])
    axis.set_yticks([])


def _strip(rows: list[tuple[str, torch.Tensor]], input_shape: tuple[int, ...], path: Path) -> Path:
    """One row per named batch of samples, ``SHOWN`` columns."""
    plt = pyplot()
    columns = min(SHOWN, min(len(batch) for _, batch in rows))
    figure, axes = plt.subplots(len(rows), columns, figsize=(1.6 * columns, 1.4 * len(rows)), squeeze=False)
    for row, (title, batch) in enumerate(rows):
        axes[row][0].set_ylabel(title, fontsize=8)
        for column in range(columns):
            _draw(axes[row][column], batch[column], input_shape)
    figure.tight_layout()
    return save_figure(figure, path)


def reconstructions_picture(model: nn.Module, inputs: torch.Tensor, path: Path) -> Path:
    """Inputs beside their reconstructions (overlaid for signals, one row each for images)."""
    shown = inputs[:SHOWN]
    rebuilt = reconstructions_of(model, shown).reshape(shown.shape)
    shape = tuple(inputs.shape[1:])
    if len(shape) == 3:
        return _strip([("input", shown), ("reconstruction", rebuilt)], shape, path)
    plt = pyplot()
    figure, axes = plt.subplots(1, len(shown), figsize=(1.8 * len(shown), 1.6), squeeze=False)
    for column in range(len(shown)):
        _draw(axes[0][column], shown[column], shape, color="black", label="input")
        _draw(axes[0][column], rebuilt[column], shape, color="tab:red", label="reconstruction")
    axes[0][0].legend(fontsize=6)
    figure.tight_layout()
    return save_figure(figure, path)


def latent_picture(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor | None, path: Path) -> Path:
    """The 2-D code (or the first two principal components of a wider one), coloured by class."""
    codes = codes_of(model, inputs).double()
    title = "code"
    if codes.shape[1] > 2:
        centred = codes - codes.mean(0)
        _, _, directions = torch.linalg.svd(centred, full_matrices=False)
        codes = centred @ directions[:2].T
        title = "code, first two principal components"
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(4.5, 4))
    colours = labels.numpy() if labels is not None and labels.dtype == torch.long else None
    scatter = axis.scatter(codes[:, 0].numpy(), codes[:, -1].numpy(), c=colours, cmap="tab10", s=5)
    if colours is not None:
        figure.colorbar(scatter, ax=axis, label="class")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    return save_figure(figure, path)


def filters_picture(filters: torch.Tensor, input_shape: tuple[int, ...], path: Path) -> Path:
    """The first layer's filters (rows of its weight), drawn in input space when they have its size."""
    shown = filters[:16].cpu()
    shape = input_shape if shown.shape[1] == torch.Size(input_shape).numel() else (shown.shape[1],)
    plt = pyplot()
    figure, axes = plt.subplots(2, 8, figsize=(12, 3), squeeze=False)
    for index, axis in enumerate(axes.flatten()):
        if index < len(shown):
            _draw(axis, shown[index], shape)
        else:
            axis.axis("off")
    figure.suptitle("first-layer filters", fontsize=9)
    figure.tight_layout()
    return save_figure(figure, path)


def samples_picture(samples: torch.Tensor, input_shape: tuple[int, ...], title: str, path: Path) -> Path:
    return _strip(
        [(title, samples.cpu()[:SHOWN]), (title, samples.cpu()[SHOWN : 2 * SHOWN])], input_shape, path
    )


@torch.no_grad()
def interpolation_picture(model: Any, first: torch.Tensor, second: torch.Tensor, path: Path) -> Path:
    """Decodings of the straight line between two inputs' posterior means."""
    device = next(model.parameters()).device
    ends = model.encode(torch.stack([first, second]).to(device))
    weights = torch.linspace(0, 1, SHOWN, device=device)[:, None]
    decoded = model.decode_mean((1 - weights) * ends[0] + weights * ends[1]).cpu()
    return _strip([("interpolation", decoded)], tuple(first.shape), path)
