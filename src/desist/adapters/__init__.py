"""desist.adapters."""
