"""Lookahead against the paper's update rule; its param_groups stay live for LR schedulers."""

import pytest
import torch

from trainlab.errors import ConfigError
from trainlab.optim import Lookahead
from trainlab.registry import OPTIMIZERS


def test_slow_weights_pull_every_k_steps_by_hand():
    w = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
    optimizer = Lookahead(torch.optim.SGD([w], lr=1.0), k=2, alpha=0.5)
    w.grad = torch.tensor([1.0], dtype=torch.float64)
    optimizer.step()
    assert w.item() == pytest.approx(-1.0)  # a fast step
    w.grad = torch.tensor([1.0], dtype=torch.float64)
    optimizer.step()  # fast −1 → −2; slow 0 + 0.5 (−2 − 0) = −1, and the fast weights restart there
    assert w.item() == pytest.approx(-1.0)
    for _ in range(2):  # fast −1 → −2 → −3; slow −1 + 0.5 (−3 + 1) = −2
        w.grad = torch.tensor([1.0], dtype=torch.float64)
        optimizer.step()
    assert w.item() == pytest.approx(-2.0)


def test_scheduler_keeps_driving_the_inner_lr_after_load_state_dict():
    w = torch.zeros(2, requires_grad=True)
    optimizer = Lookahead(torch.optim.SGD([w], lr=1.0))
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    optimizer.load_state_dict(optimizer.state_dict())  # replaces the inner optimizer's group dicts
    w.grad = torch.ones(2)
    optimizer.step()
    scheduler.step()
    assert optimizer.base.param_groups[0]["lr"] == 0.5
    assert optimizer.param_groups is optimizer.base.param_groups


def test_agrees_with_pytorch_optimizer_lookahead(side_by_side):
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    side_by_side(
        lambda p: Lookahead(torch.optim.Adam(p, lr=1e-2), k=5, alpha=0.5),
        lambda p: pytorch_optimizer.Lookahead(torch.optim.Adam(p, lr=1e-2), k=5, alpha=0.5),
    )


def test_registry_builds_the_inner_optimizer_by_name():
    w = torch.zeros(2, requires_grad=True)
    optimizer = OPTIMIZERS.create("lookahead", [w], base="lion", base_options={"lr": 0.1})
    assert type(optimizer.base).__name__ == "Lion"
    assert optimizer.param_groups[0]["lr"] == 0.1


def test_train_and_eval_reach_a_schedule_free_inner_optimizer():
    from trainlab.optim import ScheduleFreeAdamW

    def trained(wrap):
        torch.manual_seed(0)
        w = torch.randn(5, requires_grad=True)
        inner = ScheduleFreeAdamW([w], lr=0.1)
        optimizer = Lookahead(inner, k=100) if wrap else inner  # k beyond the run: no slow pull
        for step in range(4):
            w.grad = torch.full((5,), float(step + 1))
            optimizer.step()
        trained_point = w.detach().clone()
        optimizer.eval()
        averaged = w.detach().clone()
        assert not torch.equal(averaged, trained_point)  # eval really swapped in the average
        optimizer.train()
        torch.testing.assert_close(w.detach(), trained_point)
        return averaged

    bare, wrapped = trained(False), trained(True)
    torch.testing.assert_close(wrapped, bare)


def test_bad_inner_options_name_the_base_options_key():
    with pytest.raises(ConfigError, match=r"optimizer\.base_options\.lrr: unknown option; did you mean 'lr'"):
        OPTIMIZERS.create(
            "lookahead", [torch.zeros(2, requires_grad=True)], base="adam", base_options={"lrr": 1e-3}
        )
    with pytest.raises(ConfigError, match=r"optimizer\.base_options\.lr: input should be greater than 0"):
        OPTIMIZERS.create("sam", [torch.zeros(2, requires_grad=True)], base_options={"lr": -1.0})


@pytest.mark.parametrize(
    ("optimizer", "expected"),
    [
        (
            "{name: sam, base: adamm}",
            "optimizer.base: 'adamm' is not a registered optimizer; did you mean 'adam'",
        ),
        (
            "{name: lookahead, base_options: {lrr: 1}}",
            "optimizer.base_options.lrr: unknown option; did you mean 'lr'",
        ),
        ("{name: asam, base_options: {lr: -1}}", "optimizer.base_options.lr: input should be greater than 0"),
    ],
)
def test_cli_names_the_wrapped_optimizer_key_and_exits_2(optimizer, expected, tmp_path, capsys):
    from trainlab.cli import main

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"data: iris\nmodel: mlp\noptimizer: {optimizer}\ntrain: {{steps: 2, batch_size: 8}}\n")
    assert main(["fit", str(recipe), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
