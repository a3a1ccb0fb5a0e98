"""Small in-memory tasks for the pre-flight tests: a healthy one, and ways to break it."""

import torch
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import DataBundle

FEATURES = 6
CLASSES = 3
# A small MLP trains in milliseconds; the tests pass it as a recipe.
RECIPE = {
    "model": {"name": "mlp", "width": 32, "depth": 1},
    "train": {"steps": 10, "batch_size": 32, "seed": 0},
}


def separable(samples, seed=0, features=FEATURES, classes=CLASSES):
    """Gaussian inputs labelled by the largest of ``classes`` fixed linear scores: learnable in a few steps."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(samples, features, generator=generator)
    weights = torch.randn(features, classes, generator=torch.Generator().manual_seed(1234))
    return inputs, (inputs @ weights).argmax(1)


def bundle(train, val=None, test=None, *, input_shape=(FEATURES,), classes=CLASSES, task="classification"):
    """A DataBundle of the given (inputs, targets) splits, used as they are (no scaling)."""
    return DataBundle(
        name="custom",
        task=task,
        train=TensorDataset(*train),
        val=None if val is None else TensorDataset(*val),
        test=None if test is None else TensorDataset(*test),
        input_shape=input_shape,
        num_classes=classes if task == "classification" else None,
    )


def healthy():
    return bundle(separable(600, seed=0), separable(200, seed=1), separable(200, seed=2))


class InputBlind(nn.Module):
    """Outputs a learned constant: it cannot tell one sample from another."""

    def __init__(self, classes=CLASSES):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(classes))

    def forward(self, x):
        return self.logits.expand(len(x), -1) + 0 * x.flatten(1)[:, :1]


class LabelReader(nn.Module):
    """Reads the label from the input's last column through a frozen path; a small MLP on the rest."""

    def __init__(self, classes=CLASSES, strength=20.0):
        super().__init__()
        self.classes = classes
        self.strength = strength
        self.rest = nn.Linear(FEATURES, classes)

    def forward(self, x):
        leaked = nn.functional.one_hot(x[:, -1].round().long().clamp(0, self.classes - 1), self.classes)
        return self.strength * leaked.to(x.dtype) + self.rest(x[:, :FEATURES])


def with_label_column(split):
    """The split's inputs with the label appended as a last column (a leaked feature)."""
    inputs, targets = split
    return torch.cat([inputs, targets[:, None].to(inputs.dtype)], 1), targets
