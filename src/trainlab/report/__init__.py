"""Self-contained HTML reports of a run or an experiment: jinja2 templates, matplotlib figures inlined.

``write_report(path)`` writes ``report.html`` into a run directory or an experiment directory. Other
reports reuse the pieces: :func:`trainlab.report.figures.figure_data_uri` and the figure functions, and
:func:`trainlab.report.html.environment`, whose ``base.html.j2`` and ``macros.html.j2`` a page extends.
"""

from trainlab.report.write import REPORT_FILE, write_report

__all__ = ["REPORT_FILE", "write_report"]
