"""desist.evaluation."""
