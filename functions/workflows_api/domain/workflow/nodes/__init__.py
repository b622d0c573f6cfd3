"""Node types, one module each (settings model, checks, compile rule), listed in `registry`."""
