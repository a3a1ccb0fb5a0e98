"""Distillation: the teacher's logits drive the student; a teacher of other classes is one message."""

import numpy as np
import torch
from safetensors.torch import load_file, save_file

import trainlab
from trainlab.cli import main
from trainlab.compress.distill import distill
from trainlab.data import load_data

TINY = ["model.width=32", "model.depth=1", "train.steps=30", "train.progress=false"]
STUDENT = {"data": {"name": "mnist1d"}, "model": {"name": "mlp", "depth": 1, "width": 32}}


def test_the_student_learns_the_teachers_logits_not_the_labels(tmp_path):
    teacher = tmp_path / "teacher"
    trainlab.fit(data="mnist1d", model="mlp", out=str(teacher), overrides=TINY, verbose=0)
    # A teacher that calls every input class 3: a student trained on its logits alone (alpha=1)
    # predicts 3 everywhere; one trained on the labels (teacher logits ignored) would not.
    weights = load_file(teacher / "model.safetensors")
    weights["head.weight"] = torch.zeros_like(weights["head.weight"])
    weights["head.bias"] = torch.where(torch.arange(10) == 3, 8.0, 0.0)
    save_file(weights, teacher / "model.safetensors")
    result = distill(
        teacher,
        STUDENT,
        temperature=1.0,
        alpha=1.0,
        overrides=["train.steps=60", "optimizer.lr=1e-2", "train.progress=false"],
        out=str(tmp_path / "student"),
        verbose=0,
    )
    inputs, labels = load_data("mnist1d").test.tensors
    predicted = trainlab.load(result.run_dir).predict(inputs).astype(str)  # the run's labels are strings
    assert np.mean(predicted == "3") > 0.95
    assert np.mean(labels.numpy() == 3) < 0.2
    assert result.recipe.loss.name == "kd"


def test_a_teacher_of_other_classes_is_one_message(tmp_path, capsys):
    teacher = tmp_path / "iris-teacher"
    trainlab.fit(data="iris", model="mlp", out=str(teacher), overrides=TINY, verbose=0)
    recipe = tmp_path / "student.yaml"
    recipe.write_text("data: {name: mnist1d}\nmodel: {name: mlp, depth: 1, width: 32}\ntrain: {steps: 5}\n")
    code = main(["distill", str(recipe), "--teacher", str(teacher), "--out", str(tmp_path / "student")])
    output = capsys.readouterr()
    text = output.out + output.err
    assert code == 2, text
    assert "Traceback" not in text and "classes" in text and str(teacher) in text
    assert not (tmp_path / "student").exists()


def test_a_hint_trains_a_projection_onto_the_teachers_features(tmp_path):
    import json

    teacher = tmp_path / "teacher"
    trainlab.fit(data="mnist1d", model="mlp", out=str(teacher), overrides=TINY, verbose=0)
    result = distill(
        teacher,
        STUDENT,
        hint="act1:act1",
        overrides=["train.steps=80", "train.log_every=10", "optimizer.lr=1e-2", "train.progress=false"],
        out=str(tmp_path / "student"),
        verbose=0,
    )
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    hints = [r["loss.hint"] for r in records if "loss.hint" in r]
    assert len(hints) >= 4 and hints[-1] < 0.5 * hints[0]  # the projection and the student learn to match
    # The student's run holds only the student: it loads like any run.
    assert "projection" not in " ".join(trainlab.load(result.run_dir).model.state_dict())


def test_a_hint_naming_a_missing_layer_is_one_message(tmp_path, capsys):
    teacher = tmp_path / "teacher"
    trainlab.fit(data="mnist1d", model="mlp", out=str(teacher), overrides=TINY, verbose=0)
    recipe = tmp_path / "student.yaml"
    recipe.write_text("data: {name: mnist1d}\nmodel: {name: mlp, depth: 1, width: 32}\ntrain: {steps: 5}\n")
    out = tmp_path / "student"
    code = main(
        ["distill", str(recipe), "--teacher", str(teacher), "--hint", "act1:conv9", "--out", str(out)]
    )
    output = capsys.readouterr()
    text = output.out + output.err
    assert code == 2, text
    assert "Traceback" not in text and "conv9" in text and "act1" in text
    assert not out.exists()
