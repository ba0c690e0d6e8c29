"""asyncgen: recommend an async framework, render a service from copier templates, keep it updatable."""

__version__ = "0.18.0"
