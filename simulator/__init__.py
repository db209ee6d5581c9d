"""connectedcar-simulator: a local, faithful simulator of the Stellantis connected-car API v4."""

__version__ = "0.1.0"
