"""Regions as code against the database, inspectors and their tokens."""

from __future__ import annotations

import pytest

from app.audit.tables import AuditRecord
from app.regions.services import RegionError, create_token, identity_for_token
from app.regions.tables import Inspector, InspectorToken, Region, RegionCounty
from app.setup import regions_as_code as as_code
from tests.helpers import OPERATOR, county, person
from tests.stats_helpers import inspector, region


async def test_loading_applies_once_audited_and_a_county_moves_where_the_file_says(any_db):
    await county("aa")
    await county("bb")
    spec = as_code.parse('[[region]]\nslug = "north"\nname = "北市"\ncounties = ["aa", "bb"]')
    assert len(await as_code.apply(spec, OPERATOR)) == 1
    assert await as_code.apply(spec, OPERATOR) == []
    assert await RegionCounty.count() == 2
    moved = as_code.parse('[[region]]\nslug = "south"\nname = "南市"\ncounties = ["bb"]')
    await as_code.apply(moved, OPERATOR)
    assert await as_code.current_state() == {
        "north": {"name": "北市", "counties": ["aa"]},
        "south": {"name": "南市", "counties": ["bb"]},
    }
    assert await AuditRecord.count().where(AuditRecord.action == "region.create") == 2


async def test_a_region_of_an_unknown_county_changes_nothing(any_db):
    await county("aa")
    spec = as_code.parse('[[region]]\nslug = "north"\nname = "北市"\ncounties = ["aa", "zz"]')
    with pytest.raises(as_code.RegionFileError, match="zz"):
        await as_code.apply(spec, OPERATOR)
    assert await as_code.current_state() == {}


async def test_inspectors_and_their_tokens(any_db):
    await county("aa")
    await region("north", ["aa"])
    await region("south", [])
    await person(None, "root", roles=())
    nina = await inspector("north", "nina")
    with pytest.raises(RegionError):  # usernames of people of no county are theirs alone
        await inspector("south", "root")
    with pytest.raises(RegionError):
        await inspector("nowhere", "nobody")
    with pytest.raises(RegionError):  # nina inspects north, not south
        await create_token(OPERATOR, region_slug="south", username="nina")
    token = (await create_token(OPERATOR, region_slug="north", username="nina")).token
    identity = await identity_for_token(token)
    assert identity.user_id == nina and identity.tenant_id is None and not identity.is_superadmin
    assert await identity_for_token(token + "x") is None
    assert await identity_for_token("cp_" + token[4:]) is None
    # Moved to another region: the old region's token no longer stands.
    south = (await Region.select(Region.id).where(Region.slug == "south").first())["id"]
    await Inspector.update({Inspector.region: south}).where(Inspector.user == nina)
    assert await identity_for_token(token) is None
    assert await InspectorToken.count() == 1
