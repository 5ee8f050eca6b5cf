"""The shared multi-scale GAN core: config, geometry, networks, losses, trainer, model directory.

Import what you need from the submodules (this package stays light so `singan --help` is fast):
    from models.checkpoint import load_model
    from models.trainer import train
"""
