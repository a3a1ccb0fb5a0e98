"""Gradient signal-to-noise against explicit per-sample and per-micro-batch gradients."""

import pytest
import torch
from instrument_loops import batch, one_intra_op_thread, tiny_classifier  # noqa: F401 (an autouse fixture)
from torch import nn
from torch.func import functional_call, grad, vmap

from trainlab.diagnose import Monitor


def _snr(parts: torch.Tensor) -> float:
    """‖mean‖² over the unbiased covariance trace of the mean, from gradients stacked as rows."""
    mean = parts.mean(dim=0)
    covariance_trace_of_mean = (parts - mean).square().sum() / (len(parts) * (len(parts) - 1))
    return (mean.square().sum() / covariance_trace_of_mean).item()


def test_per_sample_snr_in_the_last_linear_layer_matches_per_sample_gradients():
    model = tiny_classifier()
    inputs, targets = batch(0, size=32)
    head = {name: p.detach() for name, p in model.named_parameters() if name.startswith("4.")}
    others = {name: p.detach() for name, p in model.named_parameters() if not name.startswith("4.")}

    def sample_loss(head_params, x, y):
        out = functional_call(model, {**others, **head_params}, (x[None],))
        return nn.functional.cross_entropy(out, y[None])

    per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))(head, inputs, targets)
    rows = torch.cat([per_sample["4.weight"].flatten(1), per_sample["4.bias"]], dim=1)

    monitor = Monitor(model, None, instruments=["grad_snr"])
    nn.functional.cross_entropy(model(inputs), targets).backward()
    monitor.after_backward()
    monitor.after_step()
    (row,) = monitor.flush()
    assert row["grad_snr_source"] == "per_sample:4"
    assert row["grad_snr"] == pytest.approx(_snr(rows), rel=1e-4)


def test_micro_batch_snr_matches_the_micro_batch_gradients():
    model = tiny_classifier()
    micro_batches = [batch(seed, size=8) for seed in range(4)]
    parts = []
    for inputs, targets in micro_batches:
        model.zero_grad()
        nn.functional.cross_entropy(model(inputs), targets).backward()
        parts.append(torch.cat([p.grad.flatten() for p in model.parameters()]))
    model.zero_grad(set_to_none=True)

    monitor = Monitor(model, None, instruments=["grad_snr"], grad_accum_steps=4)
    for inputs, targets in micro_batches:  # as the trainer accumulates: each loss divided by K
        (nn.functional.cross_entropy(model(inputs), targets) / 4).backward()
    monitor.after_backward()
    monitor.after_step()
    (row,) = monitor.flush()
    assert row["grad_snr_source"] == "micro_batches"
    assert row["grad_snr"] == pytest.approx(_snr(torch.stack(parts)), rel=1e-4)
