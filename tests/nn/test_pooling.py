"""Pooling layers against their definitions; stochastic pooling and maxout pass gradcheck."""

import pytest
import torch
import torch.nn.functional as F

from trainlab.errors import ConfigError
from trainlab.nn import Maxout, make_pool, maxout, stochastic_pool


def test_max_avg_lp_and_global_pools_match_their_definitions():
    x = torch.randn(2, 3, 8, dtype=torch.float64)
    windows = x.reshape(2, 3, 4, 2)
    torch.testing.assert_close(make_pool("max", 1)(x), windows.amax(-1))
    torch.testing.assert_close(make_pool("avg", 1)(x), windows.mean(-1))
    positive = x.abs()
    torch.testing.assert_close(
        make_pool({"name": "lp", "norm_type": 3.0}, 1)(positive),
        positive.reshape(2, 3, 4, 2).pow(3).sum(-1).pow(1 / 3),
    )
    torch.testing.assert_close(make_pool("global_max", 1)(x).squeeze(-1), x.amax(-1))
    image = torch.randn(2, 3, 4, 6, dtype=torch.float64)
    torch.testing.assert_close(make_pool("global_avg", 2)(image).flatten(1), image.mean((2, 3)))


def test_stochastic_pool_eval_is_the_probability_weighted_average():
    x = torch.rand(2, 3, 4, 4, dtype=torch.float64)
    pool = make_pool("stochastic", 2).eval()
    windows = x.reshape(2, 3, 2, 2, 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(2, 3, 2, 2, 4)
    p = windows / windows.sum(-1, keepdim=True)
    torch.testing.assert_close(pool(x), (p * windows).sum(-1))


def test_stochastic_pool_training_samples_in_proportion_to_activation():
    torch.manual_seed(0)
    x = torch.tensor([[[1.0, 3.0]]]).expand(20000, 1, 2).contiguous()
    samples = stochastic_pool(x, 2, training=True)
    assert set(samples.unique().tolist()) == {1.0, 3.0}
    assert (samples == 3.0).double().mean().item() == pytest.approx(0.75, abs=0.02)


def test_stochastic_pool_all_zero_window_gives_zero():
    assert stochastic_pool(torch.zeros(1, 1, 4), 2, training=True).abs().sum() == 0
    assert stochastic_pool(torch.zeros(1, 1, 4), 2, training=False).abs().sum() == 0


def test_stochastic_pool_passes_gradcheck():
    x = (torch.rand(2, 2, 4, 4, dtype=torch.float64) + 0.1).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: stochastic_pool(t, 2, training=False), (x,))

    def sampled(t):
        torch.manual_seed(0)  # the same draw at every evaluation
        return stochastic_pool(t, 2, training=True)

    assert torch.autograd.gradcheck(sampled, (x,))


def test_maxout_forms_match_their_definitions_and_pass_gradcheck():
    x = torch.randn(3, 6, 5, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(maxout(x, 2), torch.maximum(x[:, 0::2], x[:, 1::2]))
    assert torch.autograd.gradcheck(lambda t: maxout(t, 3), (x,))
    layer = Maxout(3).double()
    with torch.no_grad():
        layer.slopes.copy_(torch.tensor([1.0, -0.5, 0.2]))
        layer.intercepts.copy_(torch.tensor([0.0, 0.3, -0.1]))
    expected = torch.stack([x, -0.5 * x + 0.3, 0.2 * x - 0.1]).amax(0)
    torch.testing.assert_close(layer(x), expected)
    assert torch.autograd.gradcheck(layer, (x,))


def test_pooling_feature_vectors_is_a_config_error():
    with pytest.raises(ConfigError, match="pools signals"):
        make_pool("max", 0)


def test_max_pool_equals_torch():
    x = torch.randn(2, 3, 6, 6)
    torch.testing.assert_close(make_pool({"name": "max", "kernel_size": 3}, 2)(x), F.max_pool2d(x, 3))


@pytest.mark.parametrize("model, shape", [("cnn1d", (1, 40)), ("cnn2d", (1, 8, 8)), ("resnet", (1, 40))])
def test_every_pooling_fits_every_conv_model(model, shape):
    from trainlab.models import build_model
    from trainlab.nn import POOLINGS

    for name in POOLINGS.names():
        network = build_model(model, shape, 5, pool=name)
        assert network(torch.randn(3, *shape)).shape == (3, 5)
