"""The light part of the monitoring package: the review record and its vocabularies load without the analysis
stack (the web API's schema and the CLI's --method choices read them), and the designs load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import desist.monitoring
from desist.monitoring import METHODS, AlwaysValidDesign, GroupSequentialDesign, make_design
from desist.monitoring.record import Method


def test_the_record_and_the_package_load_no_pandas_numpy_or_scipy() -> None:
    probe = (
        "import json, sys, desist.monitoring, desist.monitoring.record\n"
        "print(json.dumps(sorted(m for m in ('pandas', 'numpy', 'scipy', 'desist.monitoring.review') "
        "if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_method_words_are_the_designs_names() -> None:
    assert METHODS == ("group-sequential", "always-valid")
    assert GroupSequentialDesign.method == Method.GROUP_SEQUENTIAL
    assert AlwaysValidDesign.method == Method.ALWAYS_VALID
    assert make_design(Method.ALWAYS_VALID).method == "always-valid"
    assert make_design().method == "group-sequential"


def test_an_unknown_name_of_the_package_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Monitor'"):
        desist.monitoring.Monitor  # noqa: B018
