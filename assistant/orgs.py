"""Union organisations: resolve `--org` (a name or id) into the Scope of rows the asker may see."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa

from .contract import REGION_BY_CODE, REGIONS, ROOT_REGION
from .models import Scope


class UnknownOrg(LookupError):
    """The named organisation does not exist; .message is for the officer."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class OrgRow:
    org_id: int
    org_name: str
    org_level: str
    parent_org_id: int | None
    region_code: str


def region_subtree(code: str) -> frozenset[str]:
    """The division and everything under it (a city's counties; the root's everything)."""
    codes = {code}
    frontier = [code]
    while frontier:
        parent = frontier.pop()
        for r in REGIONS:
            if r.parent == parent and r.code not in codes:
                codes.add(r.code)
                frontier.append(r.code)
    return frozenset(codes)


class OrgDirectory:
    """The union_orgs tree, read once from a database that carries it (both do)."""

    def __init__(self, engine: sa.Engine):
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT org_id, org_name, org_level, parent_org_id, region_code FROM union_orgs").fetchall()
        self.orgs = {int(r[0]): OrgRow(int(r[0]), r[1], r[2], None if r[3] is None else int(r[3]), r[4]) for r in rows}

    @cached_property
    def _children(self) -> dict[int, list[int]]:
        children: dict[int, list[int]] = {}
        for org in self.orgs.values():
            if org.parent_org_id is not None:
                children.setdefault(org.parent_org_id, []).append(org.org_id)
        return children

    def subtree(self, org_id: int) -> frozenset[int]:
        seen = {org_id}
        frontier = [org_id]
        while frontier:
            for child in self._children.get(frontier.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    frontier.append(child)
        return frozenset(seen)

    def find(self, org: str | int) -> OrgRow:
        text = str(org).strip()
        if re.fullmatch(r"\d+", text):
            found = self.orgs.get(int(text))
            if found:
                return found
            raise UnknownOrg(f"找不到编号为 {text} 的工会组织。")
        by_name = [o for o in self.orgs.values() if o.org_name == text]
        if not by_name:
            # "中卫市" or "海原" mean the union of that place: prefer the higher level.
            short = re.sub(r"(总工会|工会)$", "", text)
            by_name = [o for o in self.orgs.values()
                       if o.org_level in ("自治区总工会", "市总工会", "县区总工会")
                       and REGION_BY_CODE[o.region_code].name.startswith(short)] if short else []
        if len(by_name) == 1:
            return by_name[0]
        if not by_name:
            raise UnknownOrg(f"找不到名为“{text}”的工会组织，请写全称（如“中卫市总工会”）或组织编号。")
        names = "、".join(o.org_name for o in by_name[:3])
        raise UnknownOrg(f"“{text}”对应多个工会组织（{names}），请写全称或组织编号。")

    def scope(self, org: str | int) -> Scope:
        row = self.find(org)
        region = REGION_BY_CODE[row.region_code]
        is_root = row.parent_org_id is None and row.region_code == ROOT_REGION
        return Scope(org_id=row.org_id, org_name=row.org_name, org_level=row.org_level,
                     region_code=row.region_code, region_name=region.name,
                     region_codes=region_subtree(row.region_code), org_ids=self.subtree(row.org_id),
                     is_root=is_root)

    def officer_orgs(self) -> list[OrgRow]:
        """The organisations an officer of the demo can act for: federation, city and county unions."""
        levels = {"自治区总工会": 0, "市总工会": 1, "县区总工会": 2}
        rows = [o for o in self.orgs.values() if o.org_level in levels]
        return sorted(rows, key=lambda o: (levels[o.org_level], o.region_code))


def resolve_scope(org: str | int | None, app) -> Scope | None:
    """`--org` → Scope (None when no organisation is given). `app` is a pipeline.App."""
    if org is None or str(org).strip() == "":
        return None
    return app.orgs.scope(org)
