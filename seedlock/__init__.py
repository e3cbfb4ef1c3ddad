"""seedlock: regenerate machine-learning results bit for bit, and prove it."""

__version__ = "0.1.0"
