"""The data contract (../shared/spec/data-contract.md) as Python: tables, columns, code values.

Everything that must agree with the contract — the demo generator, the schema-docs check,
the guard's allow-list — reads it from here, so the contract is written down once in code.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

# ── Regions: the real divisions of Ningxia, 1 + 5 + 22 ─────────────────────────────
ROOT_REGION = "640000"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str  # 自治区 / 市 / 县区
    parent: str | None


REGIONS: tuple[Region, ...] = (
    Region("640000", "宁夏回族自治区", "自治区", None),
    Region("640100", "银川市", "市", "640000"),
    Region("640104", "兴庆区", "县区", "640100"),
    Region("640105", "西夏区", "县区", "640100"),
    Region("640106", "金凤区", "县区", "640100"),
    Region("640121", "永宁县", "县区", "640100"),
    Region("640122", "贺兰县", "县区", "640100"),
    Region("640181", "灵武市", "县区", "640100"),
    Region("640200", "石嘴山市", "市", "640000"),
    Region("640202", "大武口区", "县区", "640200"),
    Region("640205", "惠农区", "县区", "640200"),
    Region("640221", "平罗县", "县区", "640200"),
    Region("640300", "吴忠市", "市", "640000"),
    Region("640302", "利通区", "县区", "640300"),
    Region("640303", "红寺堡区", "县区", "640300"),
    Region("640323", "盐池县", "县区", "640300"),
    Region("640324", "同心县", "县区", "640300"),
    Region("640381", "青铜峡市", "县区", "640300"),
    Region("640400", "固原市", "市", "640000"),
    Region("640402", "原州区", "县区", "640400"),
    Region("640422", "西吉县", "县区", "640400"),
    Region("640423", "隆德县", "县区", "640400"),
    Region("640424", "泾源县", "县区", "640400"),
    Region("640425", "彭阳县", "县区", "640400"),
    Region("640500", "中卫市", "市", "640000"),
    Region("640502", "沙坡头区", "县区", "640500"),
    Region("640521", "中宁县", "县区", "640500"),
    Region("640522", "海原县", "县区", "640500"),
)
REGION_BY_CODE = {r.code: r for r in REGIONS}
CITIES = tuple(r for r in REGIONS if r.level == "市")
COUNTIES = tuple(r for r in REGIONS if r.level == "县区")
REGION_LEVELS = ("自治区", "市", "县区")

# ── Code values, spelled exactly as the contract lists them ─────────────────────────
ORG_LEVELS = ("自治区总工会", "市总工会", "县区总工会", "乡镇街道工会", "产业工会", "基层工会")
CHANNELS = ("电话", "微信", "网站", "APP", "来访")
GENDERS = ("男", "女")
CALLER_GROUPS = ("一般职工", "农民工", "新就业形态劳动者", "困难职工", "劳模工匠", "其他")
INDUSTRIES = ("制造业", "建筑业", "交通运输", "快递物流", "外卖配送", "批发零售", "住宿餐饮",
              "家政服务", "教育", "卫生健康", "能源化工", "农业", "其他")
REQUEST_TYPES = ("问题咨询", "服务帮扶", "信访投诉", "法律援助", "意见建议")
TOPICS = ("欠薪讨薪", "劳动合同", "社会保险", "工伤认定", "加班休假", "经济补偿", "职业安全",
          "入会转会", "困难帮扶", "心理咨询", "工会福利", "其他")
COMPLEXITY_LIMIT_DAYS = {"一般": 5, "难点": 15, "特别复杂": 30}
COMPLEXITIES = tuple(COMPLEXITY_LIMIT_DAYS)
TICKET_STATUSES = ("待派单", "办理中", "已办结", "已回访")
CLOSED_STATUSES = ("已办结", "已回访")
OPEN_STATUSES = ("待派单", "办理中")
SATISFACTIONS = ("满意", "基本满意", "不满意")
POST_TYPES = ("职工之家", "职工书屋", "户外劳动者服务站", "司机之家", "骑手之家", "妈咪小屋",
              "职工服务中心", "劳模创新工作室", "心理健康服务站", "工人文化宫")
HONOR_LEVELS = ("全国", "自治区", "市", "县区")
POST_STATUSES = ("运营中", "暂停服务", "已撤销")
ACTIVITY_TYPES = ("送清凉", "送温暖", "技能培训", "心理健康讲座", "法律咨询", "文体活动",
                  "普惠服务", "读书分享", "联谊交友")
TARGET_GROUPS = ("一般职工", "农民工", "新就业形态劳动者", "环卫工人", "货车司机", "外卖配送员",
                 "快递员", "女职工")

# (table, column) → the closed list of values it may hold (NULL aside).
CODE_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("regions", "region_level"): REGION_LEVELS,
    ("union_orgs", "org_level"): ORG_LEVELS,
    ("hotline_tickets", "channel"): CHANNELS,
    ("hotline_tickets", "caller_gender"): GENDERS,
    ("hotline_tickets", "caller_group"): CALLER_GROUPS,
    ("hotline_tickets", "industry"): INDUSTRIES,
    ("hotline_tickets", "request_type"): REQUEST_TYPES,
    ("hotline_tickets", "topic"): TOPICS,
    ("hotline_tickets", "complexity"): COMPLEXITIES,
    ("hotline_tickets", "status"): TICKET_STATUSES,
    ("hotline_tickets", "satisfaction"): SATISFACTIONS,
    ("union_posts", "post_type"): POST_TYPES,
    ("union_posts", "honor_level"): HONOR_LEVELS,
    ("union_posts", "status"): POST_STATUSES,
    ("post_activities", "activity_type"): ACTIVITY_TYPES,
    ("post_activities", "target_group"): TARGET_GROUPS,
}

# Personal data: never shown unmasked, never filtered or grouped on.
PII_COLUMNS = frozenset({("hotline_tickets", "caller_name"), ("hotline_tickets", "caller_phone")})
FREE_TEXT_COLUMNS = frozenset({("hotline_tickets", "content"), ("hotline_tickets", "result")})

# ── Tables as SQLAlchemy metadata: one per database ─────────────────────────────────
DATABASES = ("hotline", "posts")


def _shared_tables(md: sa.MetaData) -> None:
    sa.Table(
        "regions", md,
        sa.Column("region_code", sa.String(6), primary_key=True),
        sa.Column("region_name", sa.String, nullable=False),
        sa.Column("region_level", sa.String, nullable=False),
        sa.Column("parent_code", sa.String(6)),
    )
    sa.Table(
        "union_orgs", md,
        sa.Column("org_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("org_name", sa.String, nullable=False),
        sa.Column("org_level", sa.String, nullable=False),
        sa.Column("parent_org_id", sa.Integer),
        sa.Column("region_code", sa.String(6), nullable=False),
        sa.Column("member_count", sa.Integer),
        sa.Column("established_on", sa.Date),
    )


def metadata(database: str) -> sa.MetaData:
    """A fresh MetaData with the tables of one database, exactly as the contract has them."""
    md = sa.MetaData()
    _shared_tables(md)
    if database == "hotline":
        sa.Table(
            "hotline_tickets", md,
            sa.Column("ticket_no", sa.String, primary_key=True),
            sa.Column("received_at", sa.DateTime, nullable=False),
            sa.Column("channel", sa.String, nullable=False),
            sa.Column("caller_name", sa.String),
            sa.Column("caller_phone", sa.String),
            sa.Column("caller_gender", sa.String),
            sa.Column("caller_group", sa.String),
            sa.Column("industry", sa.String),
            sa.Column("request_type", sa.String, nullable=False),
            sa.Column("topic", sa.String, nullable=False),
            sa.Column("complexity", sa.String, nullable=False),
            sa.Column("region_code", sa.String(6), nullable=False),
            sa.Column("employer_name", sa.String),
            sa.Column("handling_org_id", sa.Integer),
            sa.Column("status", sa.String, nullable=False),
            sa.Column("due_at", sa.DateTime, nullable=False),
            sa.Column("closed_at", sa.DateTime),
            sa.Column("satisfaction", sa.String),
            sa.Column("people_involved", sa.Integer, nullable=False),
            sa.Column("amount_involved", sa.Numeric(12, 2)),
            sa.Column("amount_recovered", sa.Numeric(12, 2)),
            sa.Column("content", sa.Text),
            sa.Column("result", sa.Text),
        )
    elif database == "posts":
        sa.Table(
            "union_posts", md,
            sa.Column("post_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("post_name", sa.String, nullable=False),
            sa.Column("post_type", sa.String, nullable=False),
            sa.Column("org_id", sa.Integer),
            sa.Column("region_code", sa.String(6), nullable=False),
            sa.Column("address", sa.String),
            sa.Column("longitude", sa.Double),
            sa.Column("latitude", sa.Double),
            sa.Column("area_sqm", sa.Double),
            sa.Column("opened_on", sa.Date),
            sa.Column("honor_level", sa.String),
            sa.Column("status", sa.String, nullable=False),
            sa.Column("open_24h", sa.Boolean),
        )
        sa.Table(
            "post_activities", md,
            sa.Column("activity_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("post_id", sa.Integer, nullable=False),
            sa.Column("activity_type", sa.String, nullable=False),
            sa.Column("title", sa.String),
            sa.Column("held_on", sa.Date, nullable=False),
            sa.Column("target_group", sa.String),
            sa.Column("participants", sa.Integer),
        )
        sa.Table(
            "post_monthly_visits", md,
            sa.Column("post_id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("month", sa.Date, primary_key=True),
            sa.Column("visits", sa.Integer, nullable=False),
        )
    else:
        raise ValueError(f"unknown database {database!r}; expected one of {DATABASES}")
    return md


def table_columns(database: str) -> dict[str, tuple[str, ...]]:
    """table name → column names, for one database."""
    return {t.name: tuple(c.name for c in t.columns) for t in metadata(database).sorted_tables}


def database_of_table(table: str) -> str | None:
    """The database a fact table lives in (shared dimension tables give None)."""
    for db in DATABASES:
        if table in table_columns(db) and table not in ("regions", "union_orgs"):
            return db
    return None
