"""Diagnostics: instruments that watch a run, a doctor that names what went wrong and the fix,
pre-flight checks, a gradient check and an LR finder."""

from trainlab.diagnose.lr_finder import LRFindReport as LRFindReport
from trainlab.diagnose.lr_finder import LRSweep as LRSweep
from trainlab.diagnose.lr_finder import lr_find as lr_find
from trainlab.diagnose.lr_finder import lr_range_test as lr_range_test
