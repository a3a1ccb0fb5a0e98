"""torch's built-in optimizers, registered under the canon's names: one row each, options derived from the class.

Each row names the torch class, the defaults that differ from torch's (sgd's lr 0.1, say), the
class arguments fixed or not offered, the mode of torch's own ``weight_decay``, the flags and the
reference. :func:`trainlab.optim._catalog.register` derives each entry's options from the class
signature: ``betas`` becomes ``beta1``/``beta2``, ``foreach``/``fused`` becomes ``implementation``,
and every entry gets ``weight_decay_mode``, ``param_groups`` and ``decay_norm_and_bias``.
"""

from __future__ import annotations

import torch

from trainlab.optim._catalog import NonNegativeFloat, OpenUnitFloat, OptimizerSpec, Translated, register

SGD_HIDDEN = ("momentum", "dampening", "nesterov")
# Adafactor's eps is a pair (ε1, ε2); torch leaves ε1 None (its dtype's eps) and the catalog offers ε2.
ADAFACTOR_EPS = Translated("eps", 1e-3, lambda eps: (None, eps))

TABLE: tuple[OptimizerSpec, ...] = (
    # ---- SGD family ----------------------------------------------------------------------------
    OptimizerSpec(
        "sgd",
        torch.optim.SGD,
        description="Plain stochastic gradient descent: w ← w − lr·g.",
        reference="Robbins & Monro 1951, A Stochastic Approximation Method",
        flags={"family": "sgd", "has_momentum": False},
        defaults={"lr": 0.1},
        hidden=SGD_HIDDEN,
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "momentum",
        torch.optim.SGD,
        description="SGD with heavy-ball momentum: v ← μv + g, w ← w − lr·v.",
        reference="Polyak 1964, Some methods of speeding up the convergence of iteration methods",
        flags={"family": "sgd", "has_momentum": True},
        defaults={"lr": 0.05, "momentum": 0.9},
        hidden=("dampening", "nesterov"),
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "nesterov",
        torch.optim.SGD,
        description="SGD with Nesterov momentum: the gradient step looks ahead along the velocity.",
        reference="Sutskever et al. 2013, On the importance of initialization and momentum in deep learning",
        flags={"family": "sgd", "has_momentum": True},
        defaults={"lr": 0.05, "momentum": 0.9},
        fixed={"nesterov": True},
        hidden=("dampening",),
        weight_decay_mode="l2",
        types={"momentum": OpenUnitFloat},
        docs={"momentum": "Momentum coefficient μ (must be > 0 for Nesterov)."},
    ),
    OptimizerSpec(
        "asgd",
        torch.optim.ASGD,
        description="Averaged SGD: SGD whose iterates are averaged after step t0 "
        "(the average is kept in the state as ``ax``).",
        reference="Polyak & Juditsky 1992, Acceleration of Stochastic Approximation by Averaging",
        flags={"family": "sgd"},
        weight_decay_mode="l2",
        types={"alpha": NonNegativeFloat},
        docs={"alpha": "Power of the step-size decay."},
    ),
    # ---- adaptive per-coordinate methods -------------------------------------------------------
    OptimizerSpec(
        "adagrad",
        torch.optim.Adagrad,
        description="Adagrad: per-coordinate steps scaled by the root of the summed squared gradients.",
        reference="Duchi et al. 2011, Adaptive Subgradient Methods for Online Learning and Stochastic Optimization",
        flags={"family": "adaptive"},
        hidden=("lr_decay", "initial_accumulator_value"),
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "adadelta",
        torch.optim.Adadelta,
        description="Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients.",
        reference="Zeiler 2012, ADADELTA: An Adaptive Learning Rate Method",
        flags={"family": "adaptive"},
        weight_decay_mode="l2",
        docs={"lr": "Scale applied to the update.", "eps": "Added inside the square roots."},
    ),
    OptimizerSpec(
        "rmsprop",
        torch.optim.RMSprop,
        description="RMSprop: steps scaled by a running root-mean-square of the gradients.",
        reference="Tieleman & Hinton 2012, Lecture 6.5 - RMSProp, COURSERA: Neural Networks for Machine Learning",
        flags={"family": "adaptive"},
        defaults={"lr": 1e-3},
        weight_decay_mode="l2",
        docs={"momentum": "Momentum on the scaled step."},
    ),
    OptimizerSpec(
        "centered_rmsprop",
        torch.optim.RMSprop,
        description="Centered RMSprop: divides by the running variance of the gradient, E[g²] − E[g]².",
        reference="Graves 2013, Generating Sequences With Recurrent Neural Networks (eq. 38-41)",
        flags={"family": "adaptive"},
        aliases=("rmsprop_centered",),
        defaults={"lr": 1e-3},
        fixed={"centered": True},
        weight_decay_mode="l2",
        docs={"alpha": "Decay of the gradient averages.", "momentum": "Momentum on the scaled step."},
    ),
    OptimizerSpec(
        "rprop",
        torch.optim.Rprop,
        description="Rprop: per-coordinate step sizes grown or shrunk by the sign agreement of successive gradients.",
        reference="Riedmiller & Braun 1993, A direct adaptive method for faster backpropagation learning: "
        "the RPROP algorithm",
        flags={"family": "adaptive", "full_batch": True},
        hidden=("step_sizes",),
        weight_decay_mode="l2",  # torch's Rprop has no decay of its own: both modes are hooks
        docs={"lr": "Initial step size."},
    ),
    # ---- Adam family ---------------------------------------------------------------------------
    OptimizerSpec(
        "adam",
        torch.optim.Adam,
        description="Adam: bias-corrected first and second moment estimates of the gradient.",
        reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization",
        flags={"family": "adam", "has_betas": True},
        hidden=("amsgrad",),
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "adamw",
        torch.optim.Adam,
        description="AdamW: Adam with weight decay applied to the weights directly, outside the adaptive scaling.",
        reference="Loshchilov & Hutter 2019, Decoupled Weight Decay Regularization",
        flags={"family": "adam", "has_betas": True},
        defaults={"weight_decay": 0.01},
        hidden=("amsgrad",),
        weight_decay_mode="decoupled",
    ),
    OptimizerSpec(
        "amsgrad",
        torch.optim.Adam,
        description="AMSGrad: Adam that divides by the running maximum of the second moment, so steps never grow.",
        reference="Reddi et al. 2018, On the Convergence of Adam and Beyond",
        flags={"family": "adam", "has_betas": True},
        fixed={"amsgrad": True},
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "nadam",
        torch.optim.NAdam,
        description="NAdam: Adam with a Nesterov look-ahead on the first moment.",
        reference="Dozat 2016, Incorporating Nesterov Momentum into Adam",
        flags={"family": "adam", "has_betas": True},
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "radam",
        torch.optim.RAdam,
        description="RAdam: Adam with the adaptive step rectified while the second-moment estimate is high-variance.",
        reference="Liu et al. 2020, On the Variance of the Adaptive Learning Rate and Beyond",
        flags={"family": "adam", "has_betas": True},
        weight_decay_mode="l2",
    ),
    OptimizerSpec(
        "adamax",
        torch.optim.Adamax,
        description="Adamax: Adam with the infinity norm in place of the second moment.",
        reference="Kingma & Ba 2015, Adam: A Method for Stochastic Optimization (section 7.1)",
        flags={"family": "adam", "has_betas": True},
        weight_decay_mode="l2",
        docs={"beta2": "Decay of the running maximum."},
    ),
    OptimizerSpec(
        "adafactor",
        torch.optim.Adafactor,
        description="Adafactor: a factored (row and column) second moment, so optimizer memory is sublinear.",
        reference="Shazeer & Stern 2018, Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
        flags={"family": "adam"},
        translated={"eps": ADAFACTOR_EPS, "d": Translated("clip_threshold", 1.0)},
        weight_decay_mode="decoupled",
        native_decay="decoupled",
        docs={
            "lr": "Learning rate (relative step, scaled by the parameter's RMS).",
            "eps": "Floor of the parameter RMS used to scale the step.",
        },
    ),
    # ---- quasi-Newton --------------------------------------------------------------------------
    OptimizerSpec(
        "lbfgs",
        torch.optim.LBFGS,
        description="L-BFGS: a quasi-Newton direction from the last gradient differences; best full batch.",
        reference="Liu & Nocedal 1989, On the limited memory BFGS method for large scale optimization",
        flags={"family": "quasi_newton", "needs_closure": True, "full_batch": True},
        defaults={"history_size": 10},
        hidden=("max_eval", "tolerance_grad", "tolerance_change"),
        translated={
            "line_search_fn": Translated("line_search", True, lambda on: "strong_wolfe" if on else None)
        },
        docs={"lr": "Step length (1 with the line search)."},
        one_group=True,
    ),
)

for _spec in TABLE:
    register(_spec)
