"""The shared multi-scale GAN core: config, geometry, networks, losses, trainer, model directory.

Import what you need from the submodules (this package stays light so `singan --help` is fast):
    from models.checkpoint import load_model
    from models.trainer import train

Importing it sets OMP_WAIT_POLICY=PASSIVE (unless the user set it) before torch is imported:
with OpenMP's default spin policy a run gets 50-100x slower when another process is busy on a
core, which is the everyday case on a 2-core laptop.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
