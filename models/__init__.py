"""The shared multi-scale GAN core: config, geometry, networks, losses, trainer, model directory.

Import what you need from the submodules (this package stays light so `singan --help` is fast):
    from models.checkpoint import load_model
    from models.trainer import train

Importing it sets the OpenMP wait policy (unless the user set it) before torch is imported:
threads sleep between ops (PASSIVE) after a short spin (GOMP_SPINCOUNT, about 10 microseconds).
OpenMP's default long spin stalls every op when another process holds a core, the everyday
case on a 2-core laptop; sleeping at once makes every small op pay a wake-up. The timings are in
docs/benchmarks.md.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "10000")
