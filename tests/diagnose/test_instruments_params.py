"""The params instrument against norms computed directly from the gradients and weights."""

import torch
from instrument_loops import batch, one_intra_op_thread, tiny_classifier  # noqa: F401 (an autouse fixture)

from trainlab.diagnose import Monitor


def test_grad_norm_weight_norm_and_update_ratio_match_a_direct_computation():
    model = tiny_classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    monitor = Monitor(model, optimizer, instruments=["params"])
    inputs, targets = batch(0)
    torch.nn.functional.cross_entropy(model(inputs), targets).backward()
    expected = {
        name: (p.grad.norm().item(), p.detach().norm().item(), p.detach().clone())
        for name, p in model.named_parameters()
    }
    monitor.after_backward()
    optimizer.step()
    monitor.after_step()
    rows = {r["layer"]: r for r in monitor.flush() if r["kind"] == "param"}
    assert set(rows) == set(expected)
    for name, p in model.named_parameters():
        grad_norm, weight_norm, before = expected[name]
        assert rows[name]["grad_norm"] == torch.tensor(grad_norm).item()
        assert abs(rows[name]["weight_norm"] - weight_norm) < 1e-6
        ratio = (p.detach() - before).norm() / before.norm()
        assert abs(rows[name]["update_ratio"] - ratio.item()) < 1e-6 * max(1.0, ratio.item())
    (model_row,) = [r for r in monitor.records if r["kind"] == "model"]
    first_last = expected["0.weight"][0] / expected["4.weight"][0]  # weight matrices, not biases
    assert abs(model_row["grad_norm_first_last"] - first_last) < 1e-6 * first_last


def test_fp16_loss_scale_is_divided_out():
    model = tiny_classifier()
    monitor = Monitor(model, torch.optim.SGD(model.parameters(), lr=0.1), instruments=["params"])
    inputs, targets = batch(0)
    (torch.nn.functional.cross_entropy(model(inputs), targets) * 1024).backward()
    true_norm = model[0].weight.grad.norm().item() / 1024
    monitor.after_backward(grad_scale=1024.0)
    monitor.after_step()
    row = next(r for r in monitor.flush() if r["layer"] == "0.weight")
    assert abs(row["grad_norm"] - true_norm) < 1e-6


def test_parameters_the_optimizer_does_not_update_are_left_out():
    model = tiny_classifier()
    optimizer = torch.optim.SGD(model[4].parameters(), lr=0.1)
    monitor = Monitor(model, optimizer, instruments=["params"])
    inputs, targets = batch(0)
    torch.nn.functional.cross_entropy(model(inputs), targets).backward()
    monitor.after_backward()
    monitor.after_step()
    assert {r["layer"] for r in monitor.flush()} == {"4.weight", "4.bias", "model"}
