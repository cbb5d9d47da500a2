"""The claims, one module per source, so that a reader holding a paper finds each theorem in one place.

Importing this package registers every claim.
"""

from . import folklore  # noqa: F401
from . import gopalani2023  # noqa: F401
from . import implementation  # noqa: F401
from . import li2020  # noqa: F401
from . import rychlik  # noqa: F401
from . import song2023  # noqa: F401
