"""desist: offer the right programme, run it, and find out early whether it works."""

__version__ = "0.1.0"
