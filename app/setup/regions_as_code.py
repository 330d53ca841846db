"""Regions as code: ``tenants/regions.toml`` declares each region (市) and its counties.

Loaded by ``portal tenant load`` like a county file: ``plan`` (pure) compares the file with the
database, ``apply`` makes the changes in one transaction, each audited; loading twice changes
nothing. Regions missing from the file are left as they are. A county named by a region of the
file moves there: the file decides.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from app import clock, db
from app.audit.services import record
from app.errors import InvalidInput
from app.i18n.messages import said
from app.regions.tables import Region, RegionCounty
from app.setup.as_code import Change, read
from app.tenancy.context import Actor, NotFound
from app.tenancy.services import SLUG_PATTERN
from app.tenancy.tables import Tenant

FILE_NAME = "regions.toml"


class RegionSpec(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    name: str
    counties: list[str] = []


class RegionsFile(msgspec.Struct, forbid_unknown_fields=True):
    region: list[RegionSpec] = []


class RegionFileError(InvalidInput):
    pass


def is_regions_file(path: Path) -> bool:
    return path.name == FILE_NAME


def parse(text: str, source: str = FILE_NAME) -> RegionsFile:
    """The validated file, or ``RegionFileError`` naming the entry and the problem."""
    try:
        spec = msgspec.convert(tomllib.loads(text), RegionsFile)
    except tomllib.TOMLDecodeError as exc:
        raise RegionFileError("{source}：TOML 格式错误：{problem}", source=source, problem=str(exc)) from None
    except msgspec.ValidationError as exc:
        raise RegionFileError("{source}：{problem}", source=source, problem=str(exc)) from None
    slugs: set[str] = set()
    placed: dict[str, str] = {}
    for index, region in enumerate(spec.region):
        where = f"region[{index}]"
        if not SLUG_PATTERN.match(region.slug):
            raise RegionFileError(
                "{source}：{where}.slug：市代码 {slug} 无效：须为 2–40 位小写字母、数字或“-”，以字母开头",
                source=source,
                where=where,
                slug=region.slug,
            )
        if region.slug in slugs:
            raise RegionFileError("{source}：{where}.slug：{slug} 重复", source=source, where=where, slug=region.slug)
        slugs.add(region.slug)
        if not region.name.strip():
            raise RegionFileError("{source}：{where}.name：不能为空", source=source, where=where)
        for county in region.counties:
            if county in placed:
                raise RegionFileError(
                    "{source}：{where}.counties：县 {county} 已属于 {other}",
                    source=source,
                    where=where,
                    county=county,
                    other=placed[county],
                )
            placed[county] = region.slug
    return spec


def load_file(path: Path) -> RegionsFile:
    return parse(read(path), str(path))


def _wanted(region: RegionSpec) -> dict:
    return {"name": region.name.strip(), "counties": sorted(set(region.counties))}


def plan(spec: RegionsFile, current: dict[str, dict]) -> list[Change]:
    """The changes that make the database's regions match the file (pure); ``current`` maps each
    stored region's slug to its name and sorted county slugs."""
    changes = []
    for region in spec.region:
        wanted, have = _wanted(region), current.get(region.slug)
        if have is None:
            changes.append(Change("region.create", "region", region.slug, None, wanted))
        elif have != wanted:
            changes.append(Change("region.update", "region", region.slug, have, wanted))
    return changes


async def current_state() -> dict[str, dict]:
    regions = {
        row["slug"]: {"name": row["name"], "counties": []} for row in await Region.select(Region.slug, Region.name)
    }
    for row in await RegionCounty.select(
        RegionCounty.region.slug.as_alias("region"), RegionCounty.tenant.slug.as_alias("county")
    ).order_by(RegionCounty.tenant.slug):
        regions[row["region"]]["counties"].append(row["county"])
    return regions


async def diff(spec: RegionsFile) -> list[Change]:
    return plan(spec, await current_state())


async def apply(spec: RegionsFile, actor: Actor) -> list[Change]:
    """Make the regions match the file, all in one transaction; returns what changed."""
    async with db.transaction():
        changes = plan(spec, await current_state())
        for change in changes:
            region_id = await _apply_region(change)
            await record(
                actor,
                tenant_id=None,
                action=change.action,
                entity="region",
                entity_id=region_id,
                summary=said("按县配置文件更新"),
                before=change.before,
                after=change.after,
            )
    return changes


async def _apply_region(change: Change) -> int:
    name, counties = change.after["name"], change.after["counties"]
    tenants = (
        {
            row["slug"]: row["id"]
            for row in await Tenant.select(Tenant.id, Tenant.slug).where(Tenant.slug.is_in(counties))
        }
        if counties
        else {}
    )
    missing = [slug for slug in counties if slug not in tenants]
    if missing:
        raise RegionFileError(
            "{region}：县 {missing} 尚未建立（先载入县的文件）", region=change.key, missing="、".join(missing)
        )
    if change.before is None:
        row = Region(slug=change.key, name=name, created_at=clock.now())
        await row.save()
        region_id = row.id
    else:
        region = await Region.select(Region.id).where(Region.slug == change.key).first()
        if region is None:  # deleted since the plan was made
            raise NotFound(f"region {change.key}")
        region_id = region["id"]
        await Region.update({Region.name: name}).where(Region.id == region_id)
    await RegionCounty.delete().where(
        (RegionCounty.region == region_id) & RegionCounty.tenant.not_in(list(tenants.values()) or [0])
    )
    if tenants:
        # A county this region takes leaves the region it was in.
        await RegionCounty.delete().where(RegionCounty.tenant.is_in(list(tenants.values())))
        await RegionCounty.insert(*(RegionCounty(region=region_id, tenant=tenant) for tenant in tenants.values()))
    return region_id
