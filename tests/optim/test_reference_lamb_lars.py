"""LAMB and LARS step by step against kozistr's pytorch_optimizer (optional: skipped without it).

Both packages implement the same papers with documented differences, so each test configures the
two sides to the case where the definitions coincide and says why:

* LAMB: pytorch_optimizer divides by √v without bias correction, adds ε to the update norm of the
  trust ratio, and forms the trust ratio from the uncorrected m, multiplying the step by
  1/(1 − β1^t) afterwards (so early steps are longer than the paper's). With its
  ``adam_debias=True`` that last factor goes; with β2 = 0 the second moment is g² at every step,
  where its bias correction is the identity; and ε = 1e-16 makes the trust-ratio ε negligible.
  Without weight decay the trust-scaled step no longer depends on m's scale, so the rules then
  agree with any β1. With decay, λθ is added to m̂/(…) in the paper but to m/(…) there, so that
  comparison takes β1 = 0 as well. pytorch_optimizer's ``weight_decouple=False`` puts λθ inside
  the trust-scaled update: the paper's rule and our ``decoupled`` mode. The moments' bias
  corrections are checked by hand in test_lamb.py instead.
* LARS: pytorch_optimizer adapts only tensors with ndim > 1 (biases take plain momentum steps)
  and has no ε; we adapt every tensor. On a model without biases, with ε = 0, the rules agree:
  our buffer holds lr times theirs, so the steps are equal for a constant learning rate.
"""

import pytest

from trainlab.optim import Lamb, Lars

pytorch_optimizer = pytest.importorskip("pytorch_optimizer")


@pytest.mark.parametrize(("beta1", "weight_decay"), [(0.9, 0.0), (0.0, 0.01)])
def test_lamb_agrees_with_pytorch_optimizer(side_by_side, beta1, weight_decay):
    side_by_side(
        lambda p: Lamb(
            p,
            lr=1e-2,
            betas=(beta1, 0.0),
            eps=1e-16,
            weight_decay=weight_decay,
            weight_decay_mode="decoupled",
            max_trust=10.0,
        ),
        lambda p: pytorch_optimizer.Lamb(
            p,
            lr=1e-2,
            betas=(beta1, 0.0),
            eps=1e-16,
            weight_decay=weight_decay,
            weight_decouple=False,
            adam_debias=True,
        ),
        # With β2 = 0 the step divides by |g|, which amplifies any difference ~10× per 20 steps:
        # ε = 1e-16 keeps their extra ε in the trust ratio from seeding one.
        steps=120,
        rtol=1e-8,
        atol=1e-10,
    )


@pytest.mark.parametrize("weight_decay", [0.0, 5e-4])
def test_lars_agrees_with_pytorch_optimizer(side_by_side, weight_decay):
    side_by_side(
        lambda p: Lars(
            p,
            lr=1.0,
            momentum=0.9,
            weight_decay=weight_decay,
            weight_decay_mode="l2",
            trust_coefficient=1e-3,
            eps=0.0,
        ),
        lambda p: pytorch_optimizer.LARS(
            p, lr=1.0, momentum=0.9, weight_decay=weight_decay, trust_coefficient=1e-3
        ),
        steps=120,
        bias=False,
    )
