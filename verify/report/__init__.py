"""The HTML and PDF reports, built from a results document (and benchmark results); never recomputed.

>>> from verify.report import write_report
>>> write_report(results_doc, bench_doc, "reports/")   # doctest: +SKIP
"""

from .build import write_report  # noqa: F401
