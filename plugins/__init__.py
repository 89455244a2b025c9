"""Built-in plugins: each sub-package is enabled by name in ``[plugins] enabled``."""
