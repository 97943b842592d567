"""Python checks, one module per family. Each module registers its checks on import."""
