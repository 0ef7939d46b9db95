"""desist.synth: a seeded synthetic population of men with sexual convictions, calibrated to public figures.

``generate_population(n, seed)`` returns the men, their programme history and their proven reoffences;
see :mod:`desist.synth.population`, :mod:`desist.synth.programmes` and :mod:`desist.synth.outcomes`.
"""

from desist.synth.calibration import Calibration, load_calibration
from desist.synth.generate import Population, generate_population

__all__ = ["Calibration", "Population", "generate_population", "load_calibration"]
