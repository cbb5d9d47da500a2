"""The built-in benchmark (``lossproof bench``) and the definitions the asv suite shares with it.

* ``run``: plans, problems, floors, the timing protocol, targets and ``run()``;
* ``document``: the ``lossproof.bench/1`` document ``run()`` returns, its
  schema check, reading, writing and the console summary;
* ``peers``: PyTorch, JAX and scikit-learn computing the same loss and gradient.

The names below are the package's public face, the ones ``lossproof bench``,
the report and the asv suite in ``benchmarks/`` use:
``from verify import bench; bench.write(bench.run(bench.QUICK), path)``.
``bench.run`` is therefore the function, which hides the submodule of the
same name from attribute access; reach the module's other names with
``from verify.bench.run import ...``.
"""

from .document import SCHEMA
from .document import SECTIONS
from .document import check_document
from .document import print_summary
from .document import read
from .document import write
from .run import FULL
from .run import OPERATIONS
from .run import QUICK
from .run import BenchProblem
from .run import Plan
from .run import alternate
from .run import best
from .run import call
from .run import evaluate_targets
from .run import exact_reference_grad
from .run import extended_reference_grad
from .run import extra_bytes
from .run import fit_exponent
from .run import floor
from .run import has_extended_precision
from .run import peer_ratio
from .run import plan_steps
from .run import problem
from .run import ratio_to_floor
from .run import relative_grad_error
from .run import run
