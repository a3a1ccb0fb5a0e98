"""The representation models against formulas written here: KL, ELBO, IW bound, contraction, free energy, CD-1."""

import itertools
import math

import pytest
import torch
from torch.distributions import Bernoulli, Normal, kl_divergence

from trainlab.models import build_model
from trainlab.models.contractive_autoencoder import autograd_jacobian_norm, sigmoid_jacobian_norm
from trainlab.models.rbm import RestrictedBoltzmannMachine
from trainlab.models.vae import gaussian_kl


def test_vae_kl_is_the_closed_form_for_diagonal_gaussians():
    generator = torch.Generator().manual_seed(0)
    mean = torch.randn(5, 3, generator=generator)
    log_variance = torch.randn(5, 3, generator=generator)
    std = (0.5 * log_variance).exp()
    # KL(N(m, s^2) || N(0, 1)) = log(1/s) + (s^2 + m^2)/2 - 1/2, per unit
    closed_form = -torch.log(std) + (std**2 + mean**2) / 2 - 0.5
    torch.testing.assert_close(gaussian_kl(mean, log_variance), closed_form)
    torch.testing.assert_close(
        gaussian_kl(mean, log_variance), kl_divergence(Normal(mean, std), Normal(0.0, 1.0))
    )


@pytest.mark.parametrize("decoder", ["gaussian", "bernoulli"])
def test_elbo_terms(decoder):
    torch.manual_seed(0)
    model = build_model("vae", (1, 12), 3, latent=3, hidden=(8,), decoder=decoder, decoder_std=0.7, beta=2.5)
    inputs = torch.rand(6, 1, 12)
    output = model(inputs)
    terms = output.loss_terms()
    if decoder == "gaussian":
        likelihood = Normal(output.decoded, 0.7)
    else:
        likelihood = Bernoulli(logits=output.decoded, validate_args=False)  # values in [0, 1]
    reconstruction = -likelihood.log_prob(inputs).sum((1, 2)).mean()
    std = (0.5 * output.log_variance).exp()
    kl = kl_divergence(Normal(output.mean, std), Normal(0.0, 1.0)).sum(1).mean()
    torch.testing.assert_close(terms.terms["reconstruction"], reconstruction)
    torch.testing.assert_close(terms.terms["kl"], kl)
    torch.testing.assert_close(terms.terms["elbo"], -(reconstruction + kl).detach())
    torch.testing.assert_close(terms.total, reconstruction + 2.5 * kl)


def test_free_bits_floor_each_units_kl_and_warmup_ramps_the_weight():
    torch.manual_seed(0)
    model = build_model("vae", (10,), 3, latent=4, hidden=(8,), kl_warmup_steps=4, free_bits=0.5)
    inputs = torch.randn(16, 10)
    weights = [model(inputs).kl_weight for _ in range(6)]
    assert weights == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    output = model(inputs)
    per_unit = gaussian_kl(output.mean, output.log_variance).mean(0)
    terms = output.loss_terms()
    torch.testing.assert_close(terms.total, terms.terms["reconstruction"] + per_unit.clamp(min=0.5).sum())


def test_importance_weighted_bound_with_one_sample_is_the_single_sample_elbo():
    torch.manual_seed(0)
    model = build_model("vae", (10,), 3, latent=2, hidden=(8,)).eval()
    inputs = torch.randn(4, 10)
    with torch.no_grad():
        bound = model.importance_weighted_log_likelihood(inputs, 1, torch.Generator().manual_seed(3))
        mean, log_variance = model.posterior(inputs)
        std = (0.5 * log_variance).exp()
        z = mean + std * torch.randn(mean.shape, generator=torch.Generator().manual_seed(3))
        expected = (
            Normal(model.decoder(z), 1.0).log_prob(inputs).sum(1)
            + Normal(0.0, 1.0).log_prob(z).sum(1)
            - Normal(mean, std).log_prob(z).sum(1)
        )
    torch.testing.assert_close(bound, expected)


def test_importance_weighted_bound_is_at_least_the_elbo():
    torch.manual_seed(0)
    model = build_model("vae", (10,), 3, latent=2, hidden=(8,)).eval()
    inputs = torch.randn(64, 10)
    with torch.no_grad():
        single = torch.stack(
            [
                model.importance_weighted_log_likelihood(inputs, 1, torch.Generator().manual_seed(s))
                for s in range(40)
            ]
        ).mean()
        many = model.importance_weighted_log_likelihood(inputs, 40, torch.Generator().manual_seed(0)).mean()
    assert many >= single


def test_contractive_penalty_matches_an_autograd_jacobian():
    torch.manual_seed(0)
    model = build_model("contractive_autoencoder", (6,), 3, latent=4, weight=1.0)
    inputs = torch.randn(5, 6)
    code = model.encode(inputs)
    exact = sigmoid_jacobian_norm(code, model.encoder.code.weight)
    reference = torch.stack(
        [torch.autograd.functional.jacobian(model.encode, x[None]).pow(2).sum() for x in inputs]
    )
    torch.testing.assert_close(exact, reference)
    torch.testing.assert_close(model(inputs).penalties["contraction"], reference.mean())


def test_autograd_contraction_of_a_deep_encoder_matches_the_jacobian():
    torch.manual_seed(0)
    model = build_model("contractive_autoencoder", (6,), 3, latent=3, hidden=(5,), activation="tanh")
    inputs = torch.randn(4, 6)
    reference = torch.stack(
        [torch.autograd.functional.jacobian(model.encode, x[None]).pow(2).sum() for x in inputs]
    )
    torch.testing.assert_close(autograd_jacobian_norm(model, inputs), reference)


def _brute_force_free_energy(rbm, visible):
    """-log sum_h exp(-E(v, h)) over every hidden configuration."""
    hidden_states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=rbm.hidden_bias.numel())))
    energies = []
    for h in hidden_states:
        interaction = visible @ rbm.weight.T @ h + h @ rbm.hidden_bias
        if rbm.visible_kind == "bernoulli":
            energies.append(-(visible @ rbm.visible_bias) - interaction)
        else:
            energies.append(0.5 * (visible - rbm.visible_bias).pow(2).sum(1) - interaction)
    return -torch.logsumexp(-torch.stack(energies), dim=0)


@pytest.mark.parametrize("visible_kind", ["bernoulli", "gaussian"])
def test_rbm_free_energy_matches_enumeration_on_a_4x3_rbm(visible_kind):
    torch.manual_seed(0)
    rbm = RestrictedBoltzmannMachine(4, 3, visible_kind)
    with torch.no_grad():
        for parameter in rbm.parameters():
            parameter.normal_()
    visible = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)))
    if visible_kind == "gaussian":
        visible = torch.randn(7, 4)
    torch.testing.assert_close(rbm.free_energy(visible), _brute_force_free_energy(rbm, visible))


def _exact_log_likelihood_gradient(rbm, data):
    """d/dtheta of the mean log p(v) over ``data``, by enumerating all 2^4 visible states."""
    states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4)))
    log_partition = torch.logsumexp(-rbm.free_energy(states), 0)
    log_likelihood = (-rbm.free_energy(data) - log_partition).mean()
    return torch.autograd.grad(log_likelihood, list(rbm.parameters()))


def test_cd1_expected_update_has_the_sign_of_the_log_likelihood_gradient():
    torch.manual_seed(0)
    rbm = RestrictedBoltzmannMachine(4, 3)
    with torch.no_grad():
        rbm.weight.normal_(std=0.5)
    # A toy distribution: two patterns, units 0-1 on or units 2-3 on, 3 to 1.
    data = torch.tensor([[1.0, 1.0, 0.0, 0.0]] * 3 + [[0.0, 0.0, 1.0, 1.0]]).repeat(2000, 1)
    negatives = rbm.gibbs(data, 1)
    surrogate = rbm.free_energy(data).mean() - rbm.free_energy(negatives).mean()
    cd_update = [
        -g for g in torch.autograd.grad(surrogate, list(rbm.parameters()))
    ]  # descent on the surrogate
    exact = _exact_log_likelihood_gradient(rbm, data[:4])
    for update, gradient in zip(cd_update, exact, strict=True):
        clear = gradient.abs() > 0.05  # where the true gradient is not near zero, CD-1 points the same way
        assert clear.any()
        assert torch.equal(update[clear].sign(), gradient[clear].sign())


def test_pseudo_log_likelihood_is_the_sum_of_conditionals():
    torch.manual_seed(0)
    rbm = RestrictedBoltzmannMachine(4, 3)
    with torch.no_grad():
        rbm.weight.normal_()
    visible = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    # p(v_i | v_-i) by normalising the joint over v_i's two values, using the brute-force free energy.
    expected = 0.0
    for unit in range(4):
        both = visible.repeat(2, 1)
        both[0, unit], both[1, unit] = 0.0, 1.0
        log_joint = -_brute_force_free_energy(rbm, both)
        expected += (log_joint[int(visible[0, unit])] - torch.logsumexp(log_joint, 0)).item()
    assert rbm.pseudo_log_likelihood(visible).item() == pytest.approx(expected, abs=1e-5)


def test_pcd_chains_persist_across_updates():
    torch.manual_seed(0)
    model = build_model("rbm", (6,), 3, hidden=4, persistent=True, chains=5, cd_steps=2)
    data = torch.bernoulli(torch.full((8, 6), 0.5))
    start = model.chains0.clone()
    state = torch.get_rng_state()
    model(data)
    after_one = model.chains0.clone()
    torch.set_rng_state(state)  # the same draws, by hand: two Gibbs steps from the stored chains
    expected = model.rbms[0].gibbs(start, 2)
    assert torch.equal(after_one, expected)
    model(data)
    assert not torch.equal(model.chains0, after_one)
    assert "chains0" in model.state_dict()


def test_greedy_stack_trains_one_layer_at_a_time():
    torch.manual_seed(0)
    model = build_model("rbm", (6,), 3, hidden=[4, 3], layer_steps=2)
    data = torch.bernoulli(torch.full((8, 6), 0.5))
    layers = []
    for _ in range(4):
        output = model(data)
        layers.append(output.layer)
        grads = torch.autograd.grad(output.loss_terms().total, list(model.parameters()), allow_unused=True)
        trained = {
            name.split(".")[1]
            for (name, _), g in zip(model.named_parameters(), grads, strict=True)
            if g is not None
        }
        assert trained == {str(output.layer)}
    assert layers == [0, 0, 1, 1]


def test_sparse_kl_penalty_is_the_formula():
    torch.manual_seed(0)
    model = build_model("sparse_autoencoder", (6,), 3, latent=5, target=0.1, weight=0.3)
    inputs = torch.randn(7, 6)
    output = model(inputs)
    rho_hat = output.code.mean(0)
    rho = 0.1
    expected = 0.3 * (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()
    torch.testing.assert_close(output.penalties["sparsity"], expected)


def test_corruptions_touch_the_fraction_asked_for():
    from trainlab.models.denoising_autoencoder import Corruption

    torch.manual_seed(0)
    inputs = torch.rand(200, 50) + 2
    masked = Corruption("masking", 0.3)(inputs)
    assert (masked == 0).float().mean().item() == pytest.approx(0.3, abs=0.02)
    noisy = Corruption("salt_and_pepper", 0.2)(inputs)
    changed = noisy != inputs
    assert changed.float().mean().item() == pytest.approx(0.2, abs=0.02)
    assert set(noisy[changed].unique().tolist()) <= {inputs.min().item(), inputs.max().item()}
    gaussian = Corruption("gaussian", 0.5)(inputs) - inputs
    assert gaussian.std().item() == pytest.approx(0.5, rel=0.05)


def test_tied_decoder_uses_the_encoders_weights_transposed():
    torch.manual_seed(0)
    model = build_model("autoencoder", (6,), 3, latent=2, hidden=(4,), tied=True)
    names = [name for name, _ in model.named_parameters()]
    assert not any(name.startswith("decoder") and name.endswith("weight") for name in names)
    code = torch.randn(3, 2)
    first = model.encoder.linear1
    second = model.encoder.code
    hidden = torch.relu(code @ second.weight + model.decoder.linear1.bias)
    expected = hidden @ first.weight + model.decoder.linear2.bias
    torch.testing.assert_close(model.decoder(code).squeeze(), expected.squeeze())
    assert math.prod(model.decoder(code).shape) == 18


@pytest.mark.parametrize("name", ["autoencoder", "vae"])
def test_conv1d_coders_rebuild_a_signal_of_the_input_shape(name):
    torch.manual_seed(0)
    model = build_model(name, (2, 40), 3, architecture="conv1d", hidden=(8, 16), latent=4)
    inputs = torch.randn(5, 2, 40)
    output = model(inputs)
    assert output.code.shape == (5, 4)
    rebuilt = output.reconstruction if name == "autoencoder" else output.decoded
    assert rebuilt.shape == inputs.shape
    output.loss_terms().total.backward()
    assert all(p.grad is not None for p in model.parameters())
