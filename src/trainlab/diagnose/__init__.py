"""Diagnostics: instruments that watch a run, a doctor that names what went wrong and the fix,
pre-flight checks, a gradient check and an LR finder."""

from trainlab.diagnose.callback import DiagnoseCallback as DiagnoseCallback
from trainlab.diagnose.doctor import Diagnosis as Diagnosis
from trainlab.diagnose.doctor import doctor as doctor
from trainlab.diagnose.findings import Evidence as Evidence
from trainlab.diagnose.findings import Finding as Finding
from trainlab.diagnose.gradcheck import gradcheck as gradcheck
from trainlab.diagnose.instruments import DEFAULT_INSTRUMENTS as DEFAULT_INSTRUMENTS
from trainlab.diagnose.instruments import INSTRUMENTS as INSTRUMENTS
from trainlab.diagnose.lr_finder import LRFindReport as LRFindReport
from trainlab.diagnose.lr_finder import LRSweep as LRSweep
from trainlab.diagnose.lr_finder import lr_find as lr_find
from trainlab.diagnose.lr_finder import lr_range_test as lr_range_test
from trainlab.diagnose.monitor import Monitor as Monitor
from trainlab.diagnose.preflight import preflight as preflight
from trainlab.diagnose.records import read_records as read_records
from trainlab.diagnose.records import records_table as records_table
