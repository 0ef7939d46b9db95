"""desist.synth."""
