"""desist.domain."""
