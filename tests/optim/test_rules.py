"""The update rules on plain tensors: against the papers' equations, written out here step by step, and
against the reference packages where installed; on a flat buffer of several tensors each tensor
must step as it would alone."""

import math

import pytest
import torch

from trainlab.optim import (
    adabelief_update,
    lamb_update,
    lars_update,
    lion_update,
    schedule_free_adamw_update,
    schedule_free_sgd_update,
)
from trainlab.optim._segments import Segments

STEPS = 12


def gradients(shape, seed=0, steps=STEPS):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(shape, generator=generator, dtype=torch.float64) for _ in range(steps)]


def start(shape, seed=1):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def norm(x):
    return math.sqrt(float((x * x).sum()))


# ---- the papers' equations, one step at a time, with fresh tensors ----------------------------------


def lion_paper(theta, grads, lr, beta1, beta2, weight_decay, decoupled):
    m = torch.zeros_like(theta)
    for g in grads:
        if not decoupled:
            g = g + weight_decay * theta
        c = beta1 * m + (1 - beta1) * g
        theta = theta - lr * (torch.sign(c) + (weight_decay * theta if decoupled else 0.0))
        m = beta2 * m + (1 - beta2) * g
    return theta


def lamb_paper(theta, grads, lr, beta1, beta2, eps, weight_decay, decoupled, max_trust):
    m, v = torch.zeros_like(theta), torch.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if not decoupled:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        r = (m / (1 - beta1**t)) / (torch.sqrt(v / (1 - beta2**t)) + eps)
        u = r + weight_decay * theta if decoupled else r
        phi = min(norm(theta), max_trust) if max_trust is not None else norm(theta)
        trust = phi / norm(u) if phi > 0 and norm(u) > 0 else 1.0
        theta = theta - lr * trust * u
    return theta


def lars_paper(w, grads, lr, momentum, weight_decay, trust_coefficient, eps, decoupled):
    v = torch.zeros_like(w)
    for g in grads:
        w_norm, g_norm = norm(w), norm(g)
        if decoupled:
            local = trust_coefficient * w_norm / (g_norm + eps)
            step_direction, w = g, w * (1 - lr * weight_decay)
        else:
            local = trust_coefficient * w_norm / (g_norm + weight_decay * w_norm + eps)
            step_direction = g + weight_decay * w
        trust = local if w_norm > 0 and g_norm > 0 else 1.0
        v = momentum * v + lr * trust * step_direction
        w = w - v
    return w


def adabelief_paper(theta, grads, lr, beta1, beta2, eps, weight_decay, decoupled):
    m, s = torch.zeros_like(theta), torch.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if decoupled:
            theta = theta * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        s = beta2 * s + (1 - beta2) * (g - m) ** 2 + eps
        m_hat, s_hat = m / (1 - beta1**t), s / (1 - beta2**t)
        theta = theta - lr * m_hat / (torch.sqrt(s_hat) + eps)
    return theta


def schedule_free_paper(y, directions, lr, beta):
    """x, y and z as the paper writes them; a constant γ makes the averaging weight c_{t+1} = 1/t."""
    x = z = y
    for t, direction in enumerate(directions, start=1):
        d = direction(y)
        z = z - lr * d
        c = 1.0 / t
        x = (1 - c) * x + c * z
        y = (1 - beta) * z + beta * x
    return y


def schedule_free_sgd_paper(y, grads, lr, momentum, weight_decay):
    return schedule_free_paper(y, [lambda y, g=g: g + weight_decay * y for g in grads], lr, momentum)


def schedule_free_adamw_paper(y, grads, lr, beta1, beta2, eps, weight_decay, decoupled):
    v = [torch.zeros_like(y)]

    def direction(t, g):
        def d(y):
            g_ = g if decoupled else g + weight_decay * y
            v[0] = beta2 * v[0] + (1 - beta2) * g_ * g_
            normalized = g_ / (torch.sqrt(v[0] / (1 - beta2**t)) + eps)
            return normalized + weight_decay * y if decoupled else normalized

        return d

    return schedule_free_paper(y, [direction(t, g) for t, g in enumerate(grads, start=1)], lr, beta1)


# ---- the rules, driven over the same gradients -----------------------------------------------------


def run_rule(name, theta, grads, segments=None, **options):
    """Apply the rule ``name`` to ``theta`` in place for every gradient; its state starts as the optimizer's."""
    segments = {} if segments is None else {"segments": segments}
    if name == "lion":
        exp_avg = torch.zeros_like(theta)
        for g in grads:
            lion_update(theta, g, exp_avg, **options, **segments)
    elif name == "lamb":
        exp_avg, exp_avg_sq = torch.zeros_like(theta), torch.zeros_like(theta)
        for t, g in enumerate(grads, start=1):
            lamb_update(theta, g, exp_avg, exp_avg_sq, step=t, **options, **segments)
    elif name == "lars":
        buffer = torch.zeros_like(theta)
        for g in grads:
            lars_update(theta, g, buffer, **options, **segments)
    elif name == "adabelief":
        exp_avg, exp_avg_var = torch.zeros_like(theta), torch.zeros_like(theta)
        for t, g in enumerate(grads, start=1):
            adabelief_update(theta, g, exp_avg, exp_avg_var, step=t, **options, **segments)
    elif name == "schedule_free_sgd":
        z = theta.clone()
        for t, g in enumerate(grads, start=1):
            schedule_free_sgd_update(theta, g, z, averaging=1.0 / t, **options, **segments)
    elif name == "schedule_free_adamw":
        z, exp_avg_sq = theta.clone(), torch.zeros_like(theta)
        for t, g in enumerate(grads, start=1):
            schedule_free_adamw_update(
                theta, g, z, exp_avg_sq, step=t, averaging=1.0 / t, **options, **segments
            )
    return theta


CASES = {
    "lion": (lion_paper, {"lr": 0.01, "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.1}),
    "lamb": (
        lamb_paper,
        {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.1, "max_trust": 2.0},
    ),
    "lars": (
        lars_paper,
        {"lr": 0.5, "momentum": 0.9, "weight_decay": 0.01, "trust_coefficient": 0.01, "eps": 1e-8},
    ),
    "adabelief": (
        adabelief_paper,
        {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-12, "weight_decay": 0.1},
    ),
    "schedule_free_sgd": (schedule_free_sgd_paper, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    "schedule_free_adamw": (
        schedule_free_adamw_paper,
        {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.1},
    ),
}
WITH_MODES = sorted(name for name in CASES if name != "schedule_free_sgd")


@pytest.mark.parametrize("decoupled", [True, False])
@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_on_one_tensor_follows_the_paper(name, decoupled):
    if name == "schedule_free_sgd" and not decoupled:
        pytest.skip("one decay mode: d = g + λy")
    paper, options = CASES[name]
    mode = {} if name == "schedule_free_sgd" else {"decoupled": decoupled}
    grads = gradients((4, 3))
    expected = paper(start((4, 3)), grads, **options, **mode)
    actual = run_rule(name, start((4, 3)), grads, **options, **mode)
    torch.testing.assert_close(actual, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_on_a_flat_buffer_each_tensor_steps_as_it_would_alone(name):
    # Different sizes and different weight decays per tensor: the layer-wise norms and the decay
    # must stay within each tensor's stretch of the buffer.
    shapes = [torch.Size(s) for s in [(4, 3), (5,), (2, 2, 2), ()]]
    decays = [0.1, 0.0, 0.3, 0.05]
    _, options = CASES[name]
    options = {**options, "weight_decay": torch.tensor(decays, dtype=torch.float64)}
    alone = []
    for index, shape in enumerate(shapes):
        grads = gradients(shape, seed=index)
        one = {**options, "weight_decay": decays[index]}
        alone.append(run_rule(name, start(shape, seed=10 + index), grads, **one))
    flat = torch.cat([start(shape, seed=10 + i).reshape(-1) for i, shape in enumerate(shapes)])
    flat_grads = [
        torch.cat([gradients(shape, seed=i)[t].reshape(-1) for i, shape in enumerate(shapes)])
        for t in range(STEPS)
    ]
    run_rule(name, flat, flat_grads, segments=Segments(shapes), **options)
    torch.testing.assert_close(flat, torch.cat([t.reshape(-1) for t in alone]), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_rule_leaves_the_gradient_alone(name):
    _, options = CASES[name]
    grads = gradients((4, 3))
    before = [g.clone() for g in grads]
    mode = {} if name == "schedule_free_sgd" else {"decoupled": False}
    run_rule(name, start((4, 3)), grads, **options, **mode)
    for g, saved in zip(grads, before, strict=True):
        assert torch.equal(g, saved)


# ---- against the reference packages (optional) ------------------------------------------------------


def run_package(optimizer, theta, grads):
    for g in grads:
        theta.grad = g.clone()
        optimizer.step()
    return theta.detach()


def test_lion_agrees_with_lion_pytorch():
    lion_pytorch = pytest.importorskip("lion_pytorch")
    grads = gradients((4, 3), steps=50)
    theirs = start((4, 3)).requires_grad_()
    run_package(lion_pytorch.Lion([theirs], lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1), theirs, grads)
    ours = run_rule("lion", start((4, 3)), grads, lr=1e-2, beta1=0.9, beta2=0.99, weight_decay=0.1)
    torch.testing.assert_close(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("decoupled", [True, False])
def test_adabelief_agrees_with_adabelief_pytorch(decoupled):
    adabelief_pytorch = pytest.importorskip("adabelief_pytorch")
    grads = gradients((4, 3), steps=50)
    theirs = start((4, 3)).requires_grad_()
    reference = adabelief_pytorch.AdaBelief(
        [theirs],
        lr=1e-2,
        eps=1e-16,
        weight_decay=0.01,
        weight_decouple=decoupled,
        rectify=False,
        fixed_decay=False,
        print_change_log=False,
    )
    run_package(reference, theirs, grads)
    ours = run_rule(
        "adabelief",
        start((4, 3)),
        grads,
        lr=1e-2,
        beta1=0.9,
        beta2=0.999,
        eps=1e-16,
        weight_decay=0.01,
        decoupled=decoupled,
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("weight_decay", [0.0, 0.01])
def test_schedule_free_agrees_with_schedulefree(weight_decay):
    schedulefree = pytest.importorskip("schedulefree")
    grads = gradients((4, 3), steps=50)
    sgd, adamw = start((4, 3)).requires_grad_(), start((4, 3)).requires_grad_()
    for theirs, optimizer in (
        (sgd, schedulefree.SGDScheduleFree([sgd], lr=0.5, momentum=0.9, weight_decay=weight_decay)),
        (adamw, schedulefree.AdamWScheduleFree([adamw], lr=1e-2, weight_decay=weight_decay)),
    ):
        optimizer.train()
        run_package(optimizer, theirs, grads)
    ours_sgd = run_rule(
        "schedule_free_sgd", start((4, 3)), grads, lr=0.5, momentum=0.9, weight_decay=weight_decay
    )
    ours_adamw = run_rule(
        "schedule_free_adamw",
        start((4, 3)),
        grads,
        lr=1e-2,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=weight_decay,
    )
    torch.testing.assert_close(ours_sgd, sgd.detach(), rtol=1e-9, atol=1e-12)
    torch.testing.assert_close(ours_adamw, adamw.detach(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("beta1", "weight_decay"), [(0.9, 0.0), (0.0, 0.01)])
def test_lamb_agrees_with_pytorch_optimizer(beta1, weight_decay):
    # Configured where the definitions coincide; test_reference_lamb_lars.py says why.
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    grads = gradients((4, 3), steps=30)
    theirs = start((4, 3)).requires_grad_()
    reference = pytorch_optimizer.Lamb(
        [theirs],
        lr=1e-2,
        betas=(beta1, 0.0),
        eps=1e-16,
        weight_decay=weight_decay,
        weight_decouple=False,
        adam_debias=True,
    )
    run_package(reference, theirs, grads)
    ours = run_rule(
        "lamb",
        start((4, 3)),
        grads,
        lr=1e-2,
        beta1=beta1,
        beta2=0.0,
        eps=1e-16,
        weight_decay=weight_decay,
        max_trust=10.0,
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("weight_decay", [0.0, 5e-4])
def test_lars_agrees_with_pytorch_optimizer(weight_decay):
    pytorch_optimizer = pytest.importorskip("pytorch_optimizer")
    grads = gradients((4, 3), steps=50)
    theirs = start((4, 3)).requires_grad_()
    reference = pytorch_optimizer.LARS(
        [theirs], lr=1.0, momentum=0.9, weight_decay=weight_decay, trust_coefficient=1e-3
    )
    run_package(reference, theirs, grads)
    ours = run_rule(
        "lars",
        start((4, 3)),
        grads,
        lr=1.0,
        momentum=0.9,
        weight_decay=weight_decay,
        trust_coefficient=1e-3,
        eps=0.0,
    )
    torch.testing.assert_close(ours, theirs, rtol=1e-9, atol=1e-12)
