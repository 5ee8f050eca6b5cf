"""The `singan` command-line tool (Typer). Only this package imports typer or rich.

Importing it sets OMP_WAIT_POLICY=PASSIVE (unless the user set it) before torch is imported:
with the default spin policy a run gets 50-100x slower when another process is busy on a core.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
