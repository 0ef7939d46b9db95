"""Settings for the whole test suite.

Under CI (``CI`` set) Hypothesis draws the same examples every run (``derandomize``): a property test that
passed on the commit keeps passing on it, and a failure found while developing is fixed by a test with its
own ``@example``, not discovered at random by the landing run.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
