"""Issue 16's inference and export acceptance figures: the round trip and the export differences.

Round trip: for each run, ``trainlab.load(run).predict(x_test)`` on the run's test inputs in the
user's units (the same split, unscaled) must reproduce summary.json's test accuracy exactly, and
``trainlab predict`` on a CSV of those inputs must give the same labels.

Export: every built-in model, trained briefly on data of its input kind, is exported with each
format; the table gives the largest absolute difference from torch on the command's check batches
and on the run's whole test split.

    python benchmarks/inference_acceptance.py [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import trainlab
from trainlab.build import build_data
from trainlab.cli import main as cli
from trainlab.data import bundle_from_python
from trainlab.inference.export import FORMATS, export_run, load_safetensors_export

ROUND_TRIPS = {
    "digits mlp (recipes/digits_mlp.yaml)": {"recipe": "recipes/digits_mlp.yaml"},
    "mnist1d cnn1d (recipes/mnist1d_cnn.yaml, 1500 steps)": {
        "recipe": "recipes/mnist1d_cnn.yaml",
        "steps": 1500,
    },
}
EXPORTED = {
    "mlp": "digits",
    "cnn1d": "mnist1d",
    "gru": "mnist1d",
    "cnn2d": "digits",
    "resnet": "digits",
}


def test_inputs(run: Path) -> tuple[np.ndarray, np.ndarray]:
    """The run's test split in the user's units: the recipe's data with scaling off, labels as the run's classes."""
    recipe = trainlab.load_recipe(run / "recipe.yaml")
    unscaled = recipe.model_copy(update={"data": recipe.data.model_copy(update={"scaling": "none"})})
    bundle = build_data(unscaled)
    x, y = bundle.test.tensors  # type: ignore[union-attr]
    classes = np.asarray(trainlab.load(run).classes)
    return x.numpy(), classes[y.numpy()]


def cli_labels(run: Path, x: np.ndarray, work: Path) -> list[str]:
    source, out = work / f"{run.name}-test.csv", work / f"{run.name}-pred.csv"
    np.savetxt(source, x.reshape(len(x), -1), delimiter=",", fmt="%.9g")
    assert cli(["predict", str(run), "--input", str(source), "--output", str(out)]) == 0
    with out.open(newline="") as handle:
        return [row["label"] for row in csv.DictReader(handle)]


def round_trip(work: Path) -> None:
    print("| run | summary.json test accuracy | load(run).predict accuracy | equal | correct / test samples |"
          " `trainlab predict` CSV labels = predict |")  # fmt: skip
    print("|---|---:|---:|---|---:|---|")
    for label, fields in ROUND_TRIPS.items():
        run = work / label.split(" (")[0].replace(" ", "-")
        result = trainlab.fit(
            fields["recipe"], out=str(run), verbose=0, **{k: v for k, v in fields.items() if k != "recipe"}
        )
        x, y = test_inputs(run)
        predicted = trainlab.load(run).predict(x)
        correct = int((predicted == y).sum())
        # torchmetrics computes accuracy in float32; the same fraction in float32 is the exact comparison.
        reproduced = np.float32(correct / len(y))
        reported = np.float32(result.summary["test"]["accuracy"])
        same = cli_labels(run, x, work) == [str(label) for label in predicted]
        print(
            f"| {label} | {reported:.6f} | {reproduced:.6f} | {reproduced == reported} | {correct} / {len(y)} | {same} |"
        )
    issue_case(work)


def issue_case(work: Path) -> None:
    """The issue's motivating case: a Python module trained on inputs far from zero mean and unit scale."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=1000, n_features=10, n_informative=6, random_state=0)
    shifted = x * 50 + 100
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
    run = work / "issue-case"
    result = trainlab.fit(model=model, data=(shifted, y), epochs=20, out=str(run), verbose=0)
    test_x, test_y = (
        t.numpy() for t in bundle_from_python((shifted, y), val_fraction=0.1, test_fraction=0.2).test.tensors
    )  # type: ignore[union-attr]
    with torch.no_grad():
        raw = (model(torch.tensor(test_x, dtype=torch.float32)).argmax(1).numpy() == test_y).mean()
    loaded = np.float32((trainlab.load(run, model=model).predict(test_x) == test_y).mean())
    print(f"| issue case: `fit(model=m, data=(X*50+100, y))`, `load(run, model=m)` | "
          f"{np.float32(result.summary['test']['accuracy']):.6f} | {loaded:.6f} | "
          f"{loaded == np.float32(result.summary['test']['accuracy'])} | m(X) unscaled: {raw:.3f} | |")  # fmt: skip


def export_differences(work: Path) -> None:
    print(
        "\n| model | data | "
        + " | ".join(f"{fmt}: check batch | {fmt}: test split" for fmt in FORMATS)
        + " | export s |"
    )
    print("|---|---|" + "---:|---:|" * len(FORMATS) + "---:|")
    for name, data in EXPORTED.items():
        run = work / f"export-{name}"
        trainlab.fit(data=data, model=name, steps=200, out=str(run), verbose=0)
        predictor = trainlab.load(run)
        x = torch.from_numpy(test_inputs(run)[0])
        reference = predictor.logits(x)
        cells, started = [], time.perf_counter()
        for fmt, suffix in FORMATS.items():
            result = export_run(predictor, fmt, work / f"{name}{suffix}")
            outputs = exported_outputs(fmt, result.path, x)
            cells += [f"{result.max_abs_diff:.1e}", f"{float((outputs - reference).abs().max()):.1e}"]
        print(
            f"| {name} | {data} ({len(x)} test samples) | "
            + " | ".join(cells)
            + f" | {time.perf_counter() - started:.1f} |"
        )


def exported_outputs(fmt: str, path: Path, x: torch.Tensor) -> torch.Tensor:
    if fmt == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return torch.from_numpy(session.run(None, {"input": x.numpy()})[0])
    if fmt == "torch-export":
        return torch.export.load(path).module()(x).detach()
    return load_safetensors_export(path)(x).detach()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir", type=Path, default=None, help="Keep the runs here (default: a temporary directory)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.out_dir or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        round_trip(work)
        export_differences(work)


if __name__ == "__main__":
    main()
