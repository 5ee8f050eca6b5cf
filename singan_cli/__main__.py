"""`python -m singan_cli` (shell completion only works through the installed `singan` script).

`python -m` puts the working directory first on the import path, so a user's own `models/` or
`applications/` folder there would shadow this project's packages (yolov5's "No module named
'models'" trouble). Drop it unless it is this project's own root.
"""

import os
import sys

_project_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path and os.path.abspath(sys.path[0] or os.curdir) != _project_root:
    del sys.path[0]

from singan_cli.main import app  # noqa: E402 - after the import path is fixed

app(prog_name="singan")
