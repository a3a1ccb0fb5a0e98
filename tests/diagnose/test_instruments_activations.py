"""The activations instrument against statistics computed from the captured outputs themselves."""

import pytest
import torch
from instrument_loops import batch, one_intra_op_thread, tiny_classifier, train  # noqa: F401 (an autouse fixture)
from torch import nn

from trainlab.diagnose import Monitor


def _outputs_of(model: nn.Module, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    captured = {}
    handles = [
        m.register_forward_hook(lambda m, a, out, name=name: captured.setdefault(name, out.detach()))
        for name, m in model.named_modules()
        if name in ("1", "3")
    ]
    model(inputs)
    for handle in handles:
        handle.remove()
    return captured


@pytest.mark.parametrize("activation", [nn.ReLU, nn.Sigmoid, nn.Tanh])
def test_mean_std_zeros_and_saturation_match_the_outputs(activation):
    model = tiny_classifier(activation)
    with torch.no_grad():
        model[2].weight.mul_(50.0)  # push the second layer into saturation
    inputs, _ = batch(0)
    outputs = _outputs_of(model, inputs)
    monitor = Monitor(model, None, instruments=["activations"])
    model(inputs).sum().backward()
    monitor.after_backward()
    monitor.after_step()
    rows = {r["layer"]: r for r in monitor.flush()}
    assert [rows[name]["depth"] for name in ("1", "3")] == [0, 1]
    for name, values in outputs.items():
        row = rows[name]
        assert row["module"] == activation.__name__
        assert row["mean"] == pytest.approx(values.mean().item(), abs=1e-6)
        assert row["std"] == pytest.approx(values.std().item(), abs=1e-6)
        assert row["zero_frac"] == pytest.approx((values == 0).float().mean().item())
        if activation is nn.Sigmoid:
            expected = ((values < 0.01) | (values > 0.99)).float().mean().item()
        elif activation is nn.Tanh:
            expected = (values.abs() > 0.99).float().mean().item()
        else:
            expected = None
        assert row["saturated_frac"] == (pytest.approx(expected) if expected is not None else None)
    if activation is not nn.ReLU:
        assert rows["3"]["saturated_frac"] > 0.3  # the scaled layer is saturated


def test_dead_units_are_counted_once_the_window_is_full():
    model = tiny_classifier()
    with torch.no_grad():
        model[0].bias[:3] = -100.0  # three of eight units can never fire
    monitor = Monitor(
        model, torch.optim.SGD(model.parameters(), lr=1e-4), instruments=["activations"], window=3
    )
    train(model, monitor, steps=4)
    dead = [r["dead_frac"] for r in monitor.flush() if r["layer"] == "1"]
    assert dead[:2] == [None, None]
    assert dead[2:] == [3 / 8, 3 / 8]


def test_only_the_first_micro_batch_of_a_step_is_measured():
    model = tiny_classifier()
    monitor = Monitor(model, None, instruments=["activations"])
    first, _ = batch(0)
    expected = _outputs_of(model, first)["1"].mean().item()
    model(first).sum().backward()
    model(batch(1)[0] * 10).sum().backward()
    monitor.after_backward()
    monitor.after_step()
    row = next(r for r in monitor.flush() if r["layer"] == "1")
    assert row["mean"] == pytest.approx(expected, abs=1e-6)
