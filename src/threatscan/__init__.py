"""threatscan: threat-model-driven security checks, reported as SARIF keyed to threat ids."""

__version__ = "0.1.0"
