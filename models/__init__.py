"""The shared multi-scale GAN core: config, geometry, networks, losses, trainer, model directory.

Import what you need from the submodules (this package stays light so `singan --help` is fast):
    from models.checkpoint import load_model
    from models.trainer import train

Importing it sets the OpenMP wait policy (unless the user set it) before torch is imported.
With OpenMP's default spinning, a run gets 5-100x slower when another process is busy on a core,
the everyday case on a 2-core laptop; so threads go to sleep between ops (PASSIVE). But sleeping
at once makes every small op pay a wake-up: on an idle 2-core machine, a 25x38 training step took
64 ms instead of 20. A short spin first (GOMP_SPINCOUNT, about 10 microseconds; libgomp reads it
before the policy) keeps the idle speed and costs a busy machine little:

    per default-preset step, 25x38 / 74x111 / 166x250 px     idle             other core busy
    OpenMP default (spin ~0.3 s)                             20 / 58 / 216    74 / 181 / 2973 ms
    PASSIVE                                                  64 / 113 / 296   151 / 226 / 539 ms
    PASSIVE + GOMP_SPINCOUNT=10000 (this)                    20 / 52 / 248    123 / 274 / 641 ms
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "10000")
