"""Flat buffers behind our own optimizers: state stays ordinary per-parameter tensors, parameters
become views into one buffer yet keep working as before, and nothing a user does to parameters or
state between steps is lost or aliased."""

import copy
import io

import pytest
import torch

from trainlab.optim import AdaBelief, Lamb, Lars, Lion, ScheduleFreeAdamW, ScheduleFreeSGD
from trainlab.optim._segments import ONE_TENSOR, Segments

OURS = {
    "lion": lambda params, **kw: Lion(params, **{"lr": 1e-2, "weight_decay": 0.1, **kw}),
    "lamb": lambda params, **kw: Lamb(params, **{"lr": 1e-2, "weight_decay": 0.1, **kw}),
    "lars": lambda params, **kw: Lars(params, **{"lr": 1.0, "weight_decay": 1e-3, **kw}),
    "adabelief": lambda params, **kw: AdaBelief(params, **{"lr": 1e-2, "weight_decay": 0.1, **kw}),
    "schedule_free_sgd": lambda params, **kw: ScheduleFreeSGD(
        params, **{"lr": 0.1, "weight_decay": 1e-3, **kw}
    ),
    "schedule_free_adamw": lambda params, **kw: ScheduleFreeAdamW(
        params, **{"lr": 1e-2, "weight_decay": 0.1, **kw}
    ),
}


def make_params(seed=0, dtypes=(torch.float32,)):
    generator = torch.Generator().manual_seed(seed)
    shapes = [(4, 3), (3,), (4, 3), (5,), (2, 2, 2), (3,)]
    return [
        torch.randn(shape, generator=generator, dtype=dtypes[i % len(dtypes)]).requires_grad_()
        for i, shape in enumerate(shapes)
    ]


def set_grads(params, step):
    generator = torch.Generator().manual_seed(1000 + step)
    for p in params:
        p.grad = torch.randn(p.shape, generator=generator, dtype=p.dtype)


def run(optimizer, params, steps, start=0):
    for step in range(start, start + steps):
        set_grads(params, step)
        optimizer.step()


def twin(params):
    return [p.detach().clone().requires_grad_() for p in params]


def assert_same(params, reference):
    for p, q in zip(params, reference, strict=True):
        assert p.dtype == q.dtype
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)


def step_beside_the_loop(name, steps, edit, params=None):
    """Step ``name`` (flat buffers) and its loop implementation on twin parameters, calling
    ``edit(params, step)`` on both after each step's gradients are set; they must agree."""
    params = make_params() if params is None else params
    reference = twin(params)
    optimizer, loop = OURS[name](params), OURS[name](reference, foreach=False)
    for step in range(steps):
        for ps in (params, reference):
            set_grads(ps, step)
            edit(ps, step)
        optimizer.step()
        loop.step()
    assert_same(params, reference)
    return params


def test_segments_give_each_tensor_its_norm_and_its_own_value():
    tensors = [torch.randn(4, 3), torch.randn(3), torch.randn(12), torch.randn(()), torch.randn(2, 2, 2)]
    segments = Segments([t.shape for t in tensors])
    flat = torch.cat([t.reshape(-1) for t in tensors])
    torch.testing.assert_close(segments.norms(flat), torch.stack([t.norm() for t in tensors]))
    for view, tensor in zip(segments.views(flat), tensors, strict=True):
        assert torch.equal(view, tensor)
    values = torch.arange(len(tensors), dtype=torch.float32) + 1.0
    expected = torch.cat([torch.full((t.numel(),), float(v)) for t, v in zip(tensors, values, strict=True)])
    assert torch.equal(segments.expand(values), expected)
    assert segments.expand(0.5) == 0.5  # the same value for every tensor stays a number


def test_one_tensor_is_the_one_segment_case():
    tensor = torch.randn(4, 3)
    torch.testing.assert_close(ONE_TENSOR.norms(tensor), tensor.norm())
    per_tensor = torch.tensor(2.0)
    assert torch.equal(ONE_TENSOR.expand(per_tensor) * tensor, 2.0 * tensor)


@pytest.mark.parametrize("name", sorted(OURS))
def test_state_entries_are_ordinary_tensors_shaped_like_their_parameters(name):
    params = make_params()
    optimizer = OURS[name](params)
    run(optimizer, params, 2)
    for p in params:
        for value in optimizer.state[p].values():
            if isinstance(value, torch.Tensor) and value.ndim:
                assert value.shape == p.shape


@pytest.mark.parametrize("name", sorted(OURS))
def test_loaded_state_is_copied_not_shared_with_its_source(name):
    params = make_params()
    source = OURS[name](params)
    run(source, params, 2)
    before = copy.deepcopy(source.state_dict())
    clone = twin(params)
    target = OURS[name](clone)
    target.load_state_dict(source.state_dict())
    run(target, clone, 3, start=2)
    after = source.state_dict()
    for index, entries in before["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                assert torch.equal(after["state"][index][key], value), f"{key} of the source changed"


@pytest.mark.parametrize("name", sorted(OURS))
def test_changes_to_parameters_between_steps_are_kept(name):
    # The flat copy of the parameters must never overwrite what someone else wrote in between,
    # whether through the parameter or through .data (which bypasses the version counter).
    def edit(ps, step):
        with torch.no_grad():
            ps[0].mul_(0.5)
            ps[2].data.clamp_(-0.1, 0.1)

    step_beside_the_loop(name, 4, edit)


@pytest.mark.parametrize("name", sorted(OURS))
def test_replacing_a_state_entry_is_honoured(name):
    params = make_params()
    optimizer = OURS[name](params)
    run(optimizer, params, 2)
    key = next(k for k, v in optimizer.state[params[0]].items() if isinstance(v, torch.Tensor) and v.ndim)
    replacement = torch.full_like(params[0], 0.25)
    optimizer.state[params[0]][key] = replacement.clone()
    reference_params = twin(params)
    reference = OURS[name](reference_params, foreach=False)
    reference.load_state_dict(copy.deepcopy(optimizer.state_dict()))  # as after torch.save and torch.load
    run(optimizer, params, 2, start=2)
    run(reference, reference_params, 2, start=2)
    assert_same(params, reference_params)


@pytest.mark.parametrize("name", sorted(OURS))
def test_mixed_dtypes_and_missing_gradients_match_the_loop_path(name):
    def sit_out_odd_steps(ps, step):
        if step % 2:
            ps[1].grad = None  # a parameter that sits out some steps

    step_beside_the_loop(
        name, 5, sit_out_odd_steps, params=make_params(dtypes=(torch.float32, torch.float64))
    )


@pytest.mark.parametrize("name", sorted(OURS))
def test_a_deep_copy_steps_on_its_own(name):
    params = make_params()
    optimizer = OURS[name](params)
    run(optimizer, params, 2)
    twin = copy.deepcopy(optimizer)
    snapshot = copy.deepcopy(optimizer.state_dict())
    run(twin, [p for g in twin.param_groups for p in g["params"]], 2, start=2)
    for index, entries in optimizer.state_dict()["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                assert torch.equal(value, snapshot["state"][index][key])


@pytest.mark.parametrize("foreach", [True, False])
@pytest.mark.parametrize("name", sorted(OURS))
def test_gradients_are_never_modified(name, foreach):
    params = make_params()
    optimizer = OURS[name](params, foreach=foreach)
    for group in optimizer.param_groups:
        group["maximize"] = True
        if "weight_decay_mode" in group:
            group["weight_decay_mode"] = "l2"
    set_grads(params, 0)
    before = [p.grad.clone() for p in params]
    optimizer.step()
    for p, grad in zip(params, before, strict=True):
        assert torch.equal(p.grad, grad)


@pytest.mark.parametrize("name", sorted(OURS))
def test_large_tensors_stepped_in_place_match_the_gathered_path(name, monkeypatch):
    from trainlab.optim import _flat

    def trained(lone_numel):
        monkeypatch.setattr(_flat, "LONE_TENSOR_NUMEL", lone_numel)
        generator = torch.Generator().manual_seed(3)
        big = torch.randn(200, 200, generator=generator).requires_grad_()
        transposed = torch.randn(4, 3, generator=generator).t().requires_grad_()  # not contiguous
        params = [big, transposed, *make_params()]
        optimizer = OURS[name](params)
        run(optimizer, params, 3)
        return [p.detach() for p in params]

    for in_place, gathered in zip(trained(1 << 15), trained(1 << 30), strict=True):
        torch.testing.assert_close(in_place, gathered, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", ["decoupled", "l2"])
@pytest.mark.parametrize("name", sorted(OURS))
def test_groups_differing_only_in_weight_decay_step_as_if_apart(name, mode):
    # They share one flat buffer (see families), yet each tensor must get its own group's decay.
    params = make_params()
    apart = twin(params)
    together = OURS[name](
        [{"params": params[:3], "weight_decay": 0.2}, {"params": params[3:], "weight_decay": 0.0}]
    )
    first, second = OURS[name](apart[:3], weight_decay=0.2), OURS[name](apart[3:], weight_decay=0.0)
    for optimizer in (together, first, second):
        for group in optimizer.param_groups:
            if "weight_decay_mode" in group:
                group["weight_decay_mode"] = mode
    for step in range(4):
        set_grads(params, step)
        set_grads(apart, step)
        together.step()
        first.step()
        second.step()
    for p, q in zip(params, apart, strict=True):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-7)


def test_groups_with_other_differences_step_apart():
    from trainlab.optim._flat import families

    params = make_params()
    optimizer = Lamb(
        [
            {"params": params[:2], "weight_decay": 0.1},
            {"params": params[2:4], "weight_decay": 0.0},
            {"params": params[4:], "lr": 0.5},
        ]
    )
    assert [len(family) for family in families(optimizer)] == [2, 1]


def storages(params):
    return {p.untyped_storage().data_ptr() for p in params}


@pytest.mark.parametrize("name", sorted(OURS))
def test_parameters_become_views_of_one_buffer_only_on_the_multi_tensor_path(name):
    params = make_params()
    reference = twin(params)
    run(OURS[name](params), params, 3)
    run(OURS[name](reference, foreach=False), reference, 3)
    assert len(storages(params)) == 1
    assert len(storages(reference)) == len(reference)  # loop: every parameter keeps its own storage
    assert_same(params, reference)


@pytest.mark.parametrize("name", sorted(OURS))
def test_a_parameter_whose_data_is_replaced_between_steps_is_stepped_from_its_new_value(name):
    def replace_data(ps, step):
        if step == 2:
            ps[1].data = torch.full_like(ps[1], 0.3)  # as vector_to_parameters or a user might

    params = step_beside_the_loop(name, 4, replace_data)
    assert len(storages(params)) == 1  # re-pointed into the buffer


@pytest.mark.parametrize("name", sorted(OURS))
def test_two_optimizers_taking_turns_on_the_same_parameters(name):
    # Each re-points the parameters into its own buffer; neither may step from stale values.
    params = make_params()
    reference = twin(params)
    pair = OURS[name](params), OURS[name](params, lr=1e-3)
    loops = OURS[name](reference, foreach=False), OURS[name](reference, lr=1e-3, foreach=False)
    for step in range(6):
        set_grads(params, step)
        set_grads(reference, step)
        pair[step % 2].step()
        loops[step % 2].step()
    assert_same(params, reference)


def test_a_model_trained_with_bound_parameters_saves_and_loads_like_any_other():
    def model():
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))

    def train(net, foreach):
        optimizer = OURS["lamb"](net.parameters(), foreach=foreach)
        inputs = torch.randn(32, 6, generator=torch.Generator().manual_seed(1))
        for _ in range(5):
            optimizer.zero_grad()
            net(inputs).square().mean().backward()
            optimizer.step()
        return optimizer

    bound, loop = model(), model()
    train(bound, foreach=True)
    train(loop, foreach=False)
    assert_same(list(bound.parameters()), list(loop.parameters()))

    saved = io.BytesIO()
    torch.save(bound.state_dict(), saved)
    saved.seek(0)
    restored = model()
    restored.load_state_dict(torch.load(saved))
    assert_same(list(restored.parameters()), list(bound.parameters()))

    # Loading into the bound model copies into the views: the binding survives.
    bound.load_state_dict(model().state_dict())
    assert len(storages(bound.parameters())) == 1
    torch.testing.assert_close(bound[0].weight, model()[0].weight)


@pytest.mark.parametrize("name", sorted(OURS))
def test_a_parameter_cast_after_the_first_step_is_a_clear_error(name):
    params = make_params()
    optimizer = OURS[name](params)
    run(optimizer, params, 1)
    params[0].data = params[0].data.double()
    params[0].grad = torch.zeros_like(params[0])
    set_grads(params, 1)
    with pytest.raises(
        RuntimeError, match="create the optimizer after moving, casting or resizing the model"
    ):
        optimizer.step()


@pytest.mark.parametrize("name", sorted(OURS))
def test_non_contiguous_parameters_keep_their_memory_layout(name):
    params = make_params()
    transposed = torch.randn(4, 3).t().requires_grad_()
    run(OURS[name]([transposed, *params]), [transposed, *params], 2)
    assert not transposed.is_contiguous()
