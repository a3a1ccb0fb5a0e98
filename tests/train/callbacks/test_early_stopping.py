"""Early stopping: patience with min_delta, direction from the registry, divergence and non-finite values."""

from types import SimpleNamespace

import trainlab
from trainlab.train.callbacks import EarlyStopping


def _trainer():
    return SimpleNamespace(
        should_stop=False, eval_on="val", step=1, total_steps=100, monitor_metric="accuracy"
    )


def test_stops_after_patience_evaluations_without_min_delta_improvement():
    stopper, trainer = EarlyStopping(patience=2, min_delta=0.01), _trainer()
    for accuracy in (0.5, 0.6, 0.605, 0.609):
        assert not trainer.should_stop
        stopper.on_eval_end(trainer, "val", {"accuracy": accuracy})
    assert trainer.should_stop and "did not improve" in stopper.reason


def test_loss_is_minimised():
    stopper, trainer = EarlyStopping(monitor="loss", patience=1), _trainer()
    stopper.on_eval_end(trainer, "val", {"loss": 1.0})
    stopper.on_eval_end(trainer, "val", {"loss": 0.5})
    assert not trainer.should_stop
    stopper.on_eval_end(trainer, "val", {"loss": 0.7})
    assert trainer.should_stop


def test_non_finite_and_divergent_training_losses_stop_at_once():
    stopper, trainer = EarlyStopping(), _trainer()
    stopper.on_log(trainer, {"loss": float("nan")})
    assert trainer.should_stop and "nan" in stopper.reason
    stopper, trainer = EarlyStopping(divergence_factor=5.0), _trainer()
    stopper.on_log(trainer, {"loss": 1.0})
    stopper.on_log(trainer, {"loss": 4.0})
    assert not trainer.should_stop
    stopper.on_log(trainer, {"loss": 6.0})
    assert trainer.should_stop and "diverged" in stopper.reason


def test_state_round_trip():
    stopper, trainer = EarlyStopping(patience=3), _trainer()
    stopper.on_eval_end(trainer, "val", {"accuracy": 0.5})
    stopper.on_eval_end(trainer, "val", {"accuracy": 0.4})
    restored = EarlyStopping(patience=3)
    restored.load_state_dict(stopper.state_dict())
    assert restored.best == 0.5 and restored.bad_evaluations == 1


def test_stops_a_recipe_run_early():
    recipe = {
        "data": "iris",
        "model": "mlp",
        "optimizer": {"name": "sgd", "lr": 1e-9},
        "callbacks": [{"name": "early_stopping", "monitor": "loss", "patience": 1, "min_delta": 0.1}],
        "train": {"steps": 50, "eval_every": 2},
    }
    assert trainlab.fit(recipe, save=False).summary["run"]["steps"] < 50
