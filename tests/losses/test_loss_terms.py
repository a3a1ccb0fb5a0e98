"""A loss of named terms: the trainer minimises the total and logs each term; the evaluator averages them."""

import torch
from torch import nn
from torch.utils.data import TensorDataset

from trainlab.data import make_batch_iterator
from trainlab.losses.terms import LossTerms
from trainlab.train import Evaluator, Trainer
from trainlab.train.settings import TrainSettings


class TwoTerms(nn.Module):
    """total = mse + 0.5 * |outputs|; ``monitor`` is logged, never minimised."""

    def forward(self, outputs, targets):
        mse = ((outputs.squeeze(1) - targets) ** 2).mean()
        size = outputs.abs().mean()
        return LossTerms(mse + 0.5 * size, {"mse": mse, "size": size, "monitor": outputs.detach().mean()})


def make_data():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(32, 3, generator=generator)
    return TensorDataset(x, x.sum(1))


def test_terms_are_logged_as_the_mean_over_the_logged_steps():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    dataset = make_data()
    batches = make_batch_iterator(dataset, 8, shuffle=False, seed=0)
    settings = TrainSettings(steps=2, batch_size=8, log_every=2)
    reference = nn.Linear(3, 1)
    reference.load_state_dict(model.state_dict())
    trainer = Trainer(model, TwoTerms(), torch.optim.SGD(model.parameters(), lr=0.1), batches, settings)
    trainer.fit()
    # The same two steps by hand, recording each term before the update.
    optimizer = torch.optim.SGD(reference.parameters(), lr=0.1)
    recorded = {"mse": [], "size": [], "total": []}
    x, y = dataset.tensors
    for start in (0, 8):
        terms = TwoTerms()(reference(x[start : start + 8]), y[start : start + 8])
        recorded["mse"].append(terms.terms["mse"].item())
        recorded["size"].append(terms.terms["size"].item())
        recorded["total"].append(terms.total.item())
        optimizer.zero_grad()
        terms.total.backward()
        optimizer.step()
    record = trainer.history[-1]
    assert abs(record["loss"] - sum(recorded["total"]) / 2) < 1e-6
    assert abs(record["loss.mse"] - sum(recorded["mse"]) / 2) < 1e-6
    assert abs(record["loss.size"] - sum(recorded["size"]) / 2) < 1e-6
    assert "loss.monitor" in record
    torch.testing.assert_close(model.weight, reference.weight)


def test_evaluator_reports_each_term_averaged_over_samples():
    model = nn.Linear(3, 1)
    dataset = make_data()
    results = Evaluator(TwoTerms(), {}, task="regression", batch_size=5).evaluate(model, dataset)
    with torch.no_grad():
        outputs = model(dataset.tensors[0])
    expected = ((outputs.squeeze(1) - dataset.tensors[1]) ** 2).mean().item()
    assert abs(results["loss.mse"] - expected) < 1e-5
    assert abs(results["loss"] - (expected + 0.5 * outputs.abs().mean().item())) < 1e-5


def test_pending_terms_survive_a_checkpoint():
    class Snapshot:
        state = None

        def on_step_end(self, trainer):
            if trainer.step == 1:  # before the step is logged: one term per name is pending
                Snapshot.state = trainer.state_dict()

    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    settings = TrainSettings(steps=3, batch_size=8, log_every=3)
    trainer = Trainer(
        model,
        TwoTerms(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        make_batch_iterator(make_data(), 8, shuffle=False, seed=0),
        settings,
        callbacks=[Snapshot()],
    )
    trainer.fit()
    state = Snapshot.state
    assert len(state["pending"]["terms"]["mse"]) == 1
    other = Trainer(
        nn.Linear(3, 1),
        TwoTerms(),
        torch.optim.SGD(model.parameters(), lr=0.1),
        make_batch_iterator(make_data(), 8, shuffle=False, seed=0),
        settings,
    )
    other.load_state_dict(state)
    assert [t.item() for t in other._pending_terms["mse"]] == [
        t.item() for t in state["pending"]["terms"]["mse"]
    ]
