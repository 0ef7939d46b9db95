"""Risk tools as pure functions: OSP/DC and OSP/IIC, Static-99R, Risk Matrix 2000, and the PNI.

Each tool module has an input model (pydantic), a ``score(inp)`` function and a frozen result dataclass whose
``to_dict()`` gives the JSON shape of ``desist risk``. Point tables live in ``desist/data/risk/*.yaml``.
"""

from desist.domain.risk.bands import Band, NeedLevel, Pathway, shift_band
from desist.domain.risk.field_error import FieldError

__all__ = ["Band", "FieldError", "NeedLevel", "Pathway", "shift_band"]
