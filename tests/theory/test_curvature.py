"""Lanczos on Hessian-vector products: exact on quadratics with a known spectrum; norms against torch.linalg."""

import math

import numpy as np
import pytest
import torch

from trainlab import theory
from trainlab.diagnose.instruments.hessian import hessian_top_eigenvalue


def _quadratic(eigenvalues, seed=0):
    """x ↦ ½ xᵀ A x with A = Q diag(eigenvalues) Qᵀ for a random rotation Q; the Hessian is A."""
    generator = torch.Generator().manual_seed(seed)
    rotation, _ = torch.linalg.qr(
        torch.randn(len(eigenvalues), len(eigenvalues), generator=generator, dtype=torch.float64)
    )
    matrix = rotation @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ rotation.T
    x = torch.randn(len(eigenvalues), generator=generator, dtype=torch.float64, requires_grad=True)
    return 0.5 * x @ matrix @ x, x


def test_condition_number_of_a_quadratic_is_exact_to_1e_4():
    eigenvalues = np.geomspace(0.5, 400.0, 30)
    loss, x = _quadratic(eigenvalues)
    result = theory.hessian_spectrum(loss, [x], iterations=30)
    assert result["exact"]
    assert abs(result["condition_number"] - 800.0) < 1e-4
    assert np.allclose(result["ritz_values"], eigenvalues, atol=1e-8)


def test_extreme_eigenvalues_converge_before_the_full_basis():
    eigenvalues = np.concatenate([[0.1], np.linspace(1.0, 2.0, 300), [50.0]])
    loss, x = _quadratic(eigenvalues, seed=1)
    result = theory.hessian_spectrum(loss, [x], iterations=60)
    assert not result["exact"]
    assert result["top"] == pytest.approx(50.0, abs=1e-6)
    assert result["bottom"] == pytest.approx(0.1, abs=1e-6)
    assert result["condition_number"] == pytest.approx(500.0, abs=1e-4)


def test_indefinite_hessian_has_no_finite_condition_number_and_top_matches_power_iteration():
    loss, x = _quadratic([-3.0, 1.0, 2.0, 10.0], seed=2)
    result = theory.hessian_spectrum(loss, [x], iterations=4)
    assert result["bottom"] == pytest.approx(-3.0) and math.isinf(result["condition_number"])
    assert hessian_top_eigenvalue(loss, [x], iterations=200).item() == pytest.approx(result["top"], rel=1e-6)


def test_hessian_of_a_network_over_several_tensors_matches_the_dense_hessian():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2)).double()
    inputs, labels = torch.randn(16, 3, dtype=torch.float64), torch.randint(0, 2, (16,))
    params = list(model.parameters())
    sizes = [p.numel() for p in params]

    def loss_of(flat):
        tensors = torch.split(flat, sizes)
        named = {name: t.view_as(p) for (name, p), t in zip(model.named_parameters(), tensors, strict=True)}
        outputs = torch.func.functional_call(model, named, (inputs,))
        return torch.nn.functional.cross_entropy(outputs, labels)

    flat = torch.cat([p.detach().reshape(-1) for p in params])
    dense = torch.autograd.functional.hessian(loss_of, flat)
    loss = torch.nn.functional.cross_entropy(model(inputs), labels)
    result = theory.hessian_spectrum(loss, params, iterations=sum(sizes))
    assert np.allclose(result["ritz_values"], torch.linalg.eigvalsh(dense).numpy(), atol=1e-8)


def test_tensor_norms_equal_torch_linalg():
    generator = torch.Generator().manual_seed(3)
    weight = torch.randn(5, 3, 2, generator=generator, dtype=torch.float64)
    weight[0, 0, 0] = 0.0
    norms = theory.tensor_norms(weight)
    matrix = weight.reshape(5, 6)
    assert norms["l0"] == 29
    assert norms["l1"] == pytest.approx(float(weight.abs().sum()))
    assert norms["l2"] == pytest.approx(float(torch.linalg.vector_norm(weight)))
    assert norms["linf"] == pytest.approx(float(weight.abs().max()))
    assert norms["frobenius"] == pytest.approx(float(torch.linalg.matrix_norm(matrix, "fro")))
    assert norms["nuclear"] == pytest.approx(float(torch.linalg.matrix_norm(matrix, "nuc")))
    assert norms["spectral"] == pytest.approx(float(torch.linalg.matrix_norm(matrix, 2)))
    bias = theory.tensor_norms(torch.tensor([3.0, -4.0]))
    assert bias["l2"] == pytest.approx(5.0) and bias["spectral"] is None


def test_model_norms_has_a_row_per_parameter_tensor():
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    rows = theory.model_norms(model)
    assert [row["tensor"] for row in rows] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert rows[0]["shape"] == [4, 3]
