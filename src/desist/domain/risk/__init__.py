"""desist.domain.risk."""
