import pytest

from assistant.orgs import OrgDirectory, UnknownOrg, region_subtree
from assistant.db import Databases


@pytest.fixture(scope="module")
def orgs(demo_settings):
    return OrgDirectory(Databases(demo_settings).engine("hotline"))


@pytest.mark.parametrize("code,expected", [
    ("640522", {"640522"}),
    ("640500", {"640500", "640502", "640521", "640522"}),
    ("640100", {"640100", "640104", "640105", "640106", "640121", "640122", "640181"}),
])
def test_region_subtree(code, expected):
    assert region_subtree(code) == expected


def test_root_sees_all_regions():
    assert len(region_subtree("640000")) == 28


@pytest.mark.parametrize("name,org_name,level,regions", [
    ("中卫市总工会", "中卫市总工会", "市总工会", 4),
    ("中卫市", "中卫市总工会", "市总工会", 4),
    ("海原县总工会", "海原县总工会", "县区总工会", 1),
    ("海原", "海原县总工会", "县区总工会", 1),
    ("宁夏回族自治区总工会", "宁夏回族自治区总工会", "自治区总工会", 28),
])
def test_scope_by_name(orgs, name, org_name, level, regions):
    scope = orgs.scope(name)
    assert scope.org_name == org_name
    assert scope.org_level == level
    assert len(scope.region_codes) == regions
    assert scope.is_root == (level == "自治区总工会")


def test_scope_by_id_and_org_subtree(orgs):
    city = orgs.scope("中卫市总工会")
    assert orgs.scope(str(city.org_id)) == city
    county = orgs.scope("海原县总工会")
    assert county.org_id in city.org_ids
    assert county.org_ids < city.org_ids
    for org_id in county.org_ids:  # every org under the county union sits in the county
        assert orgs.orgs[org_id].region_code == "640522"


@pytest.mark.parametrize("bad", ["不存在的工会", "99999999", "北京市总工会"])
def test_unknown_org_is_a_clear_message(orgs, bad):
    with pytest.raises(UnknownOrg) as info:
        orgs.scope(bad)
    assert "找不到" in info.value.message


def test_officer_orgs_are_federation_city_and_county_unions(orgs):
    levels = [o.org_level for o in orgs.officer_orgs()]
    assert levels.count("自治区总工会") == 1 and levels.count("市总工会") == 5 and levels.count("县区总工会") == 22
