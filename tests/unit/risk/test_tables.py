"""The risk tables are data with sources: every table says where it came from and whether it was checked."""

from __future__ import annotations

import numpy as np
import pytest

from desist.domain.risk import tables
from desist.domain.risk.tables import Cuts, load_table

TOOLS = ("osp", "static99r", "rm2000", "pni")


def _tables(node, path=""):
    """Yield (path, mapping, inherited source) for every mapping that holds a table."""
    if isinstance(node, dict):
        if any(k in node for k in ("cuts", "points", "points_if_false", "rules")):
            yield path, node
        for k, v in node.items():
            yield from _tables(v, f"{path}.{k}")


@pytest.mark.parametrize("tool", TOOLS)
def test_every_table_has_source_and_verified(tool):
    data = load_table(tool)
    found = list(_tables(data, tool))
    assert found, tool
    for path, table in found:
        owner_has = (
            ("source" in table and "verified" in table)
            or ("source" in data and "verified" in data)
            or any(
                "source" in node and "verified" in node
                for node in _ancestors(data, path[len(tool) + 1 :].split("."))
            )
        )
        assert owner_has, path


def _ancestors(data, keys):
    node = data
    for k in keys:
        node = node[k]
        yield node


def test_unverified_flags_follow_domain_md():
    # domain.md: OSP [V]; Static-99R points [P/U]; RM2000 points [U]; PNI [V]
    assert all(t["verified"] for k, t in load_table("osp")["dc"].items())
    assert load_table("osp")["iic"]["verified"] is True
    assert not any(t["verified"] for t in load_table("static99r")["items"].values())
    assert load_table("static99r")["levels"]["verified"] is False
    rm = load_table("rm2000")
    assert rm["s"]["sexual_appearances"]["verified"] is False and rm["v"]["burglary"]["verified"] is False
    assert rm["c"]["verified"] is False
    assert load_table("pni")["verified"] is True


def test_missing_source_is_refused():
    with pytest.raises(ValueError, match="lacks 'source'"):
        tables._check_sources({"x": {"cuts": [1], "points": [0, 1]}}, "t", inherited=False)


def test_cuts_validation_and_lookup():
    with pytest.raises(ValueError, match="needs 3 values"):
        Cuts((1.0, 2.0), (0, 1))
    with pytest.raises(ValueError, match="must increase"):
        Cuts((2.0, 1.0), (0, 1, 2))
    c = Cuts((22.0, 30.0, 36.0), ("LOW", "MEDIUM", "HIGH", "VERY_HIGH"))
    xs = [21, 21.99, 22, 29, 30, 35, 36, 99]
    assert [c.lookup(x) for x in xs] == [
        "LOW",
        "LOW",
        "MEDIUM",
        "MEDIUM",
        "HIGH",
        "HIGH",
        "VERY_HIGH",
        "VERY_HIGH",
    ]
    assert list(c.lookup_array(np.array(xs, dtype=float))) == [c.lookup(x) for x in xs]
    assert [c.index(x) for x in xs] == list(c.index_array(np.array(xs, dtype=float)))
