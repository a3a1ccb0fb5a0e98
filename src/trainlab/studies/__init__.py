"""Studies: the canon's claims as runnable experiments whose verdicts are computed from the runs.

A study (``studies/*.yaml``) names a claim, arms of a base recipe (or of a 2-D playground run), seeds,
a budget, a registered ``measure`` and a registered ``verdict_rule``. ``run_study`` runs the arms
through the experiments runner and returns supported / not supported / inconclusive, with the
effect, its CI, the p-value and the seeds.
"""

from trainlab.studies import measures, rules, textbook_adam  # noqa: F401  (registrations)
from trainlab.studies.load import load_study, study_from_mapping
from trainlab.studies.registries import MEASURES, VERDICT_RULES
from trainlab.studies.run import StudyResult, read_result, run_study
from trainlab.studies.spec import Study
from trainlab.studies.table import MeasurementTable
from trainlab.studies.verdict import Verdict, judge

__all__ = [
    "MEASURES",
    "VERDICT_RULES",
    "MeasurementTable",
    "Study",
    "StudyResult",
    "Verdict",
    "judge",
    "load_study",
    "read_result",
    "run_study",
    "study_from_mapping",
]
