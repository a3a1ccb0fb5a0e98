"""What the doctor reads from a run: its metrics, its instruments' records, its recipe and how it ended."""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainlab.errors import TrainlabError

LOG = "log.txt"


@dataclass
class RunEvidence:
    """Everything a detector may look at. Build it with :meth:`from_run_dir`, or by hand for your own loop.

    Attributes:
        history: The records of metrics.jsonl (``type`` ``step`` or ``eval``), in order.
        recipe: The resolved recipe as a mapping (every default written out), or None.
        records: The rows of diagnostics.jsonl, or None when the run had no instruments.
        summary: summary.json, or None (a run still going, or killed before it ended).
        error: error.txt: why a failed run stopped, or None.
        log: log.txt, where skipped and rolled-back steps are noted, or "".
        data: preprocessing.json (the task and the class labels, written when the run starts), or None.
    """

    history: list[dict[str, Any]]
    recipe: Mapping[str, Any] | None = None
    records: list[dict[str, Any]] | None = None
    summary: Mapping[str, Any] | None = None
    error: str | None = None
    log: str = ""
    data: Mapping[str, Any] | None = None
    _series_cache: dict[tuple[str, str], dict[str, list[tuple[int, float]]]] = field(
        default_factory=dict, repr=False
    )

    @classmethod
    def from_run_dir(cls, path: str | Path) -> RunEvidence:
        """Read a run directory; never writes to it.

        Raises:
            TrainlabError: if ``path`` is not a run directory, or a file the doctor needs is missing
                or unreadable.
        """
        from trainlab.diagnose.records import DIAGNOSTICS_FILE, read_records
        from trainlab.inference.preprocessing import PREPROCESSING_JSON
        from trainlab.recipe_yaml import read_recipe_file
        from trainlab.run_dir import ERROR, METRICS, RECIPE, SUMMARY

        run = Path(path)
        if not run.is_dir():
            raise TrainlabError(f"RUN_DIR: '{run}' is not a directory; give the folder a run wrote")
        present = [name for name in (RECIPE, METRICS, SUMMARY) if (run / name).is_file()]
        if not present:
            raise TrainlabError(
                f"RUN_DIR: '{run}' is not a run directory (it has no {RECIPE}, {METRICS} or {SUMMARY}); "
                "give the folder `trainlab fit` wrote (its --out)"
            )
        missing = [name for name in (RECIPE, METRICS) if name not in present]
        if missing:
            raise TrainlabError(
                f"RUN_DIR: '{run}' is missing {' and '.join(missing)}, which the doctor needs; "
                "it is not a complete run directory (was it copied in part?)"
            )
        return cls(
            history=_read_jsonl(run / METRICS),
            recipe=read_recipe_file(run / RECIPE),
            records=read_records(run) if (run / DIAGNOSTICS_FILE).is_file() else None,
            summary=_read_json(run / SUMMARY) if (run / SUMMARY).is_file() else None,
            error=(run / ERROR).read_text() if (run / ERROR).is_file() else None,
            log=(run / LOG).read_text() if (run / LOG).is_file() else "",
            data=_read_json(run / PREPROCESSING_JSON) if (run / PREPROCESSING_JSON).is_file() else None,
        )

    # ---------------------------------------------------------------------------------------------
    # metrics.jsonl

    def train_losses(self) -> list[tuple[int, float]]:
        """``(step, loss)`` of every logged training step."""
        return [
            (r["step"], float(r["loss"])) for r in self.history if r.get("type") == "step" and "loss" in r
        ]

    def evals(self, split: str | None = None) -> list[dict[str, Any]]:
        """Evaluation records, of one split (``"val"``) or all."""
        return [
            r for r in self.history if r.get("type") == "eval" and (split is None or r.get("split") == split)
        ]

    def eval_split(self) -> str | None:
        """The split the run evaluated on during training (val, else test), or None."""
        splits = [r.get("split") for r in self.evals()]
        return "val" if "val" in splits else (splits[0] if splits else None)

    # ---------------------------------------------------------------------------------------------
    # the recipe

    def setting(self, dotted: str, default: Any = None) -> Any:
        """A recipe value by its ``--set`` key (``"optimizer.lr"``); a component given by name alone
        (``optimizer: adam``) answers ``name``."""
        node: Any = self.recipe
        for part in dotted.split("."):
            if isinstance(node, str) and part == "name":
                return node
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    def num_classes(self) -> int | None:
        """The number of classes of a classification run, or None."""
        data = (self.summary or {}).get("data", {})
        if data.get("task", "classification") == "classification" and data.get("num_classes"):
            return int(data["num_classes"])
        # A run that failed early has no summary data; the file written at its start knows the classes.
        started = self.data or {}
        if started.get("task") == "classification" and started.get("classes"):
            return len(started["classes"])
        for record in self.evals():
            if isinstance(record.get("confusion_matrix"), list):
                return len(record["confusion_matrix"])
        loss = str(self.setting("loss.name", ""))
        classification_loss = loss in ("cross_entropy", "focal", "ldam", "class_balanced", "nll")
        return (self.records_num_classes() or None) if classification_loss else None

    def records_num_classes(self) -> int:
        """The length of the output instrument's predicted-class histogram (0 without one)."""
        hists = [r["class_hist"] for r in self.rows("output") if isinstance(r.get("class_hist"), list)]
        return len(hists[-1]) if hists else 0

    # ---------------------------------------------------------------------------------------------
    # diagnostics.jsonl

    @property
    def instrumented(self) -> bool:
        return bool(self.records)

    def rows(self, kind: str) -> list[dict[str, Any]]:
        """Records of one kind (``param``, ``activation``, ``output``, ``model``), in order."""
        return [r for r in self.records or () if r.get("kind") == kind]

    def series(self, kind: str, stat: str) -> dict[str, list[tuple[int, float]]]:
        """``{layer: [(step, value), ...]}`` for one statistic, finite values only."""
        key = (kind, stat)
        if key not in self._series_cache:
            by_layer: dict[str, list[tuple[int, float]]] = defaultdict(list)
            for r in self.rows(kind):
                value = r.get(stat)
                if isinstance(value, (int, float)) and math.isfinite(value):
                    by_layer[str(r.get("layer"))].append((int(r["step"]), float(value)))
            self._series_cache[key] = dict(by_layer)
        return self._series_cache[key]

    def layer_order(self) -> dict[str, int]:
        """Activation modules by their ``depth`` (order in the forward pass)."""
        depth: dict[str, int] = {}
        for r in self.rows("activation"):
            depth.setdefault(str(r["layer"]), int(r.get("depth", len(depth))))
        return depth


def later_part(points: Sequence[tuple[int, float]], fraction: float) -> list[tuple[int, float]]:
    """The last ``fraction`` of ``points`` (at least one), where a run has settled past its start."""
    if not points:
        return []
    keep = max(1, math.ceil(len(points) * fraction))
    return list(points[-keep:])


def median(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else math.nan


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file; a last line without its newline (torn by a kill) is skipped."""
    text = path.read_text()
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        lines.pop()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainlabError(
                f"{path}: line {number} is not JSON ({exc.msg}); the file is damaged"
            ) from None
        if not isinstance(record, dict):
            raise TrainlabError(f"{path}: line {number} is not a JSON object; the file is damaged")
        records.append(record)
    return records


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise TrainlabError(f"{path}: not JSON ({exc.msg}); the file is damaged") from None
    if not isinstance(value, dict):
        raise TrainlabError(f"{path}: not a JSON object; the file is damaged")
    return value
