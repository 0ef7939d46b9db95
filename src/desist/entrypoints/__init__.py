"""desist.entrypoints."""
