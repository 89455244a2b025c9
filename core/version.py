"""The version of Annex (a leaf module: anything may import it without cycles)."""

__version__ = "0.1.0"
