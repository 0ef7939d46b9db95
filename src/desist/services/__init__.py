"""desist.services."""
