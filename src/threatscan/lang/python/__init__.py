"""The Python source library: parse (ast, with the libcst fallback), names and bindings, locations, data flow."""
