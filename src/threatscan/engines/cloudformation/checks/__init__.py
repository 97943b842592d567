"""IaC checks, one module per family. Each function reads a `Template` model and reports through `IacContext`."""
