"""``trainlab inspect RUN_DIR``: weight norms, Hessian curvature, information identities and a cost curve of a run."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from trainlab.commands.support import console, option, reports_user_errors, trust_code_option
from trainlab.errors import TrainlabError


def register(app: typer.Typer) -> None:
    app.command("inspect")(reports_user_errors(inspect))


def inspect(
    run_dir: Annotated[Path, typer.Argument(help="A run directory written by `trainlab fit`.")],
    norms: Annotated[
        bool, typer.Option("--norms", help="Per tensor: L0, L1, L2, L∞, Frobenius, nuclear, spectral.")
    ] = False,
    hessian: Annotated[
        bool,
        typer.Option(
            "--hessian", help="Top and bottom Hessian eigenvalues and the condition number (Lanczos)."
        ),
    ] = False,
    spectrum: Annotated[
        bool,
        typer.Option(
            "--spectrum", help="With --hessian: the whole spectrum (one product per parameter; small models)."
        ),
    ] = False,
    information: Annotated[
        bool,
        typer.Option(
            "--information", help="H(p,q) = H(p) + KL(p||q) and cross-entropy = maximum likelihood."
        ),
    ] = False,
    cost_curve: Annotated[
        Path | None,
        option(
            "Write the cost curve (Drummond & Holte) of --positive-class to this .png/.svg/.pdf.",
            "--cost-curve",
        ),
    ] = None,
    positive_class: Annotated[
        int, option("The positive class of --cost-curve (default 1).", "--positive-class")
    ] = 1,
    samples: Annotated[
        int, option("Training samples in the Hessian's fixed batch (default 512).", "--samples")
    ] = 512,
    iterations: Annotated[
        int, option("Lanczos steps (Hessian-vector products; default 40).", "--iterations")
    ] = 40,
    split: Annotated[
        str, option("Split for --information and --cost-curve (default test).", "--split")
    ] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    trust_code: Annotated[bool, trust_code_option()] = False,
) -> None:
    """Look inside a finished run: --norms (the default), --hessian [--spectrum], --information, --cost-curve OUT.png."""
    if split not in ("train", "val", "test"):
        raise TrainlabError(f"--split {split!r}: use train, val or test")
    if spectrum and not hessian:
        raise TrainlabError("--spectrum refines --hessian; add --hessian")
    if cost_curve is not None:
        from trainlab.playground.figures import check_figure_path

        check_figure_path(cost_curve)
    norms = norms or not (hessian or information or cost_curve)
    results: dict[str, Any] = {}
    if norms:
        from trainlab.run_dir import load_model
        from trainlab.theory.norms import model_norms

        results["norms"] = model_norms(load_model(run_dir, trust_code=trust_code))
    if hessian:
        from trainlab.theory.curvature import run_curvature

        results["hessian"] = run_curvature(
            run_dir, samples=samples, iterations=iterations, full_spectrum=spectrum, trust_code=trust_code
        )
    if information:
        from trainlab.theory.cross_entropy_identity import run_identities

        results["information"] = run_identities(run_dir, split=split, trust_code=trust_code)
    if cost_curve is not None:
        results["cost_curve"] = _write_cost_curve(run_dir, cost_curve, positive_class, split, trust_code)
    if as_json:
        print(json.dumps(_strict_json(results), indent=2))
        return
    for section, result in results.items():
        _PRINTERS[section](result)


def _strict_json(value: Any) -> Any:
    """``value`` with non-finite floats as strings ("inf"): JSON has no Infinity, and an indefinite Hessian's
    condition number is infinite."""
    if isinstance(value, dict):
        return {key: _strict_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_strict_json(item) for item in value]
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def _write_cost_curve(
    run_dir: Path, out: Path, positive_class: int, split: str, trust_code: bool
) -> dict[str, Any]:
    import torch

    from trainlab.metrics.cost_curve import cost_curve, plot_cost_curve
    from trainlab.theory._run import first_samples, load_run

    parts = load_run(run_dir, trust_code=trust_code)
    classes = parts.bundle.num_classes
    if parts.bundle.task != "classification" or classes is None:
        raise TrainlabError(
            f"the run in '{run_dir}' is a {parts.bundle.task} run; a cost curve needs class labels"
        )
    if not 0 <= positive_class < classes:
        raise TrainlabError(f"--positive-class {positive_class}: the run has classes 0 to {classes - 1}")
    inputs, labels = first_samples(parts, split)
    with torch.no_grad():
        scores = torch.softmax(parts.model(inputs).double(), 1)[:, positive_class]
    curve = cost_curve(scores, labels == positive_class)
    plot_cost_curve(curve, out, title=f"cost curve, class {positive_class} against the rest ({split})")
    middle = len(curve["probability_cost"]) // 2
    return {
        "out": str(out),
        "positive_class": positive_class,
        "normalized_cost_at_pc_0.5": float(curve["normalized_cost"][middle]),
    }


def _print_norms(rows: list[dict[str, Any]]) -> None:
    table = Table(title="weight norms per tensor (matrix norms of the tensor as (out, in·kernel))")
    columns = ("tensor", "shape", "l0", "l1", "l2", "linf", "frobenius", "nuclear", "spectral")
    for column in columns:
        if column == "tensor":
            table.add_column(column, overflow="fold", min_width=12)
        else:
            table.add_column(column, justify="right")
    for row in rows:
        cells = [row["tensor"], "×".join(map(str, row["shape"])) or "scalar", str(row["l0"])]
        cells += ["–" if row[c] is None else f"{row[c]:.4g}" for c in columns[3:]]
        table.add_row(*cells)
    console.print(table)


def _print_hessian(result: dict[str, Any]) -> None:
    how = "whole spectrum" if result["exact"] else f"Lanczos, {len(result['ritz_values'])} Ritz values"
    console.print(
        f"Hessian of the training loss ({result['loss']:.4g}) over {result['samples']} training samples, "
        f"{result['parameters']:,} parameters ({how}):",
        highlight=False,
    )
    console.print(
        f"  top eigenvalue {result['top']:.6g}, bottom eigenvalue {result['bottom']:.6g}, "
        f"condition number {result['condition_number']:.6g}"
        + ("" if result["bottom"] > 0 else " (not positive definite: a saddle or flat directions)"),
        highlight=False,
    )
    if result["exact"]:
        values = result["ritz_values"]
        quantiles = [values[round(q * (len(values) - 1))] for q in (0, 0.1, 0.5, 0.9, 1)]
        console.print(
            "  spectrum quantiles 0/10/50/90/100%: " + ", ".join(f"{v:.3g}" for v in quantiles),
            highlight=False,
        )


def _print_information(result: dict[str, Any]) -> None:
    table = Table(
        title=f"H(p, q) = H(p) + KL(p || q) on the {result['split']} split ({result['samples']} samples)"
    )
    for column in ("p against q", "H(p, q)", "H(p)", "KL(p || q)", "|gap|"):
        table.add_column(column, justify="left" if column.startswith("p ") else "right")
    rows = {
        "label frequencies vs mean prediction": "marginal",
        "smoothed labels vs softmax (mean)": "per_sample",
    }
    for label, key in rows.items():
        d = result[key]
        table.add_row(
            label,
            f"{d['cross_entropy']:.6f}",
            f"{d['entropy']:.6f}",
            f"{d['kl_divergence']:.6f}",
            f"{d['gap']:.1e}",
        )
    console.print(table)
    likelihood, fit = result["likelihood"], result["categorical_fit"]
    console.print(
        f"mean cross-entropy {likelihood['mean_cross_entropy']:.6f} = negative log-likelihood per sample "
        f"{likelihood['negative_log_likelihood_per_sample']:.6f}\n"
        f"a categorical q fitted to the {fit['samples']} training labels by minimizing cross-entropy "
        f"differs from the maximum-likelihood frequencies by at most {fit['max_difference']:.1e}",
        highlight=False,
    )


def _print_cost_curve(result: dict[str, Any]) -> None:
    console.print(
        f"wrote {result['out']} (class {result['positive_class']} against the rest; normalized expected cost "
        f"{result['normalized_cost_at_pc_0.5']:.4f} at PC = 0.5)",
        highlight=False,
    )


_PRINTERS: dict[str, Callable[[Any], None]] = {
    "norms": _print_norms,
    "hessian": _print_hessian,
    "information": _print_information,
    "cost_curve": _print_cost_curve,
}
