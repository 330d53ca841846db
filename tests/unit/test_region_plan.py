"""Regions as code: the file's checks and the plan of changes, without a database."""

from __future__ import annotations

import pytest

from app.setup.regions_as_code import RegionFileError, parse, plan

FILE = """
[[region]]
slug = "suzhou"
name = "宿州市"
counties = ["xiaoxian", "dangshan"]

[[region]]
slug = "huaibei"
name = "淮北市"
"""


def test_a_new_file_creates_each_region_and_loading_it_again_plans_nothing():
    spec = parse(FILE)
    changes = plan(spec, {})
    assert [(c.action, c.key, c.after) for c in changes] == [
        ("region.create", "suzhou", {"name": "宿州市", "counties": ["dangshan", "xiaoxian"]}),
        ("region.create", "huaibei", {"name": "淮北市", "counties": []}),
    ]
    current = {c.key: c.after for c in changes}
    assert plan(spec, current) == []


def test_a_changed_county_list_is_one_update_and_regions_not_in_the_file_stay():
    current = {"suzhou": {"name": "宿州市", "counties": ["dangshan"]}, "bozhou": {"name": "亳州市", "counties": []}}
    changes = plan(parse(FILE), current)
    assert [(c.action, c.key) for c in changes] == [("region.update", "suzhou"), ("region.create", "huaibei")]
    assert "counties ['dangshan'] → ['dangshan', 'xiaoxian']" in changes[0].describe()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[[region]]\nslug = "Su Zhou"\nname = "宿州市"', "region code"),
        ('[[region]]\nslug = "su"\nname = " "', "name"),
        ('[[region]]\nslug = "su"\nname = "a"\n[[region]]\nslug = "su"\nname = "b"', "repeated"),
        (
            '[[region]]\nslug = "su"\nname = "a"\ncounties = ["x"]\n'
            '[[region]]\nslug = "hb"\nname = "b"\ncounties = ["x"]',
            "already belongs",
        ),
        ('[[region]]\nslug = "su"\nname = "a"\nleader = "x"', "leader"),
        ("[[region]\n", "TOML"),
    ],
)
def test_bad_files_say_where_and_what(text, says):
    with pytest.raises(RegionFileError, match=says):
        parse(text)
