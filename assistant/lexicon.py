"""The parser's vocabulary: every word an officer may use, built once per SchemaDocs.

Words come from the schema docs (table, column, metric and code-value names and synonyms, region
names with their aliases) plus the parser's own function words (group-by markers, ranking,
comparison, detail, share, negation …). `Lexicon.tag(text)` does longest-match tagging: at each
position the longest known word wins; characters no word covers are reported as unknown.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import contract
from .schema_docs import SchemaDocs

# Tables whose columns/values are filters or groupings of a fact; regions is handled through the
# region words and the city/county dimensions instead (its values like 县/市 are too ambiguous).
SKIP_TABLES = {"regions"}
SKIP_ROLES = {"key", "text", "fk", "time"}


@dataclass(frozen=True)
class Tag:
    kind: str                  # metric | table | column | value | region | grain | op | dim
    table: str | None = None
    column: str | None = None
    value: str | None = None   # metric id / code value / region code / grain id / op name / dim id


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    text: str
    tags: tuple[Tag, ...]

    def first(self, kind: str) -> Tag | None:
        for t in self.tags:
            if t.kind == kind:
                return t
        return None

    def has(self, kind: str, value: str | None = None) -> bool:
        return any(t.kind == kind and (value is None or t.value == value) for t in self.tags)


# ── The parser's own words ───────────────────────────────────────────────────────────
def _op(*words: str) -> tuple[str, ...]:
    return words


OPS: dict[str, tuple[str, ...]] = {
    # a following dimension noun becomes a group-by
    "group": _op("各", "各个", "按", "按照", "每", "每个", "每一个", "分", "不同", "各类", "各种", "哪个", "哪些", "哪一个",
                 "哪几个", "哪", "以", "根据", "逐个", "各自", "什么", "啥", "哪方面", "哪些方面", "哪类", "哪种", "哪一类", "每类", "每种", "各项"),
    # after a dimension noun: group-by too
    "group_after": _op("分布", "排名", "排行", "排序", "构成", "分别", "维度", "来看", "统计分析", "情况分布", "结构"),
    "most": _op("最多", "最高", "最大", "最长", "最突出", "最集中", "最严重", "多的", "领先", "第一", "居首", "最快"),
    "least": _op("最少", "最低", "最小", "最短", "最慢", "垫底", "最差", "倒数"),
    "rank": _op("排名", "排行", "排序", "排行榜", "从高到低", "由高到低", "从多到少", "降序"),
    "rank_asc": _op("从低到高", "由低到高", "从少到多", "升序"),
    "compare": _op("对比", "比较", "相比", "相较", "比", "较", "变化", "增加", "减少", "增长", "下降", "增减", "涨", "降",
                   "多了", "少了", "增幅", "降幅", "上升", "提高", "提升", "差距", "差多少", "相差", "差异"),
    "each": _op("分别", "各是", "各有", "各多少", "分别是"),
    "detail": _op("名字", "叫什么", "叫什么名字", "都叫什么", "名称是", "列出", "列一下", "列举", "罗列", "明细", "清单", "名单", "列表", "详细", "具体", "有哪些", "都有哪些",
                  "都有什么", "有什么", "是哪些", "哪些是", "给我看看", "展示", "显示", "查看", "查询一下明细", "逐条"),
    "share": _op("超期率", "逾期率", "超期比例", "占比", "比例", "比重", "百分比", "占多少", "所占", "份额", "占", "比率", "百分之多少", "几成"),
    "not": _op("非", "不是", "除了", "除", "以外", "之外", "不含", "不包括", "排除", "剔除", "未"),
    "new": _op("新建", "新增", "建成", "新成立", "新设", "新开", "启用", "投用", "投入使用", "成立", "组建", "建会"),
    # the parts of a whole: a grouping shown as shares (a donut)
    "distribution": _op("分布", "构成", "结构", "分布情况", "占比情况", "组成", "比例分布"),
    "trend": _op("趋势", "走势", "变化趋势", "变化情况", "逐月变化", "曲线", "波动"),
    "avg": _op("平均", "均值", "人均", "平均每"),
    "sum": _op("总", "合计", "累计", "总共", "一共", "共", "总计", "总数", "总量", "加起来", "汇总"),
    "max": _op("最大值", "最高值", "峰值"),
    "min": _op("最小值", "最低值"),
    "count": _op("多少个", "几个", "多少家", "多少件", "多少场", "多少次", "多少", "几", "数量", "个数", "数目", "件数", "次数",
                 "场数", "几家", "几件", "几场", "有多少"),
    "total_word": _op("全区", "全自治区", "全省", "全部", "总体", "整体", "所有", "全市", "总数"),
    "followup": _op("那", "那么", "那么呢", "换成", "换为", "改看", "再看", "只看", "只要", "仅看", "如果是", "如果换成",
                    "呢", "同样", "其中", "这些", "这个", "还有", "那要是", "要是", "看看"),
    "honored": _op("示范", "模范", "命名", "获得命名", "示范点", "示范性", "示范的", "示范级"),
    "open24": _op("24小时开放", "24小时", "全天开放", "全天候", "昼夜开放", "24小时营业"),
}

# How officers say a metric in passing ("办结了多少", "没办完", "追回了多少") — the parser's own words
# on top of the docs' synonyms. A word may name metrics of several tables (人次: activities or visits);
# the parser keeps the one whose table the question mentions.
METRIC_WORDS: dict[str, tuple[str, ...]] = {
    "closed_count": ("办结", "办结了", "办完了", "已办结多少", "结案了", "办结多少", "办结了多少"),
    "pending_count": ("没办结", "没有办结", "没办完", "没有办完", "未办结", "还没办", "尚未办结", "未办完", "没结案", "没处理完", "未处理完"),
    "overdue_count": ("超期", "超时", "逾期", "超过时限", "超期的", "没有按期办结", "未按期办结", "没按期办结", "未按时办结",
                      "没按时办结", "逾期未办结", "超期率", "逾期率", "超期比例"),
    "ticket_count": ("多少个电话", "几个电话", "多少电话", "电话量", "多少通电话", "几通电话", "来电数量", "工单数量",
                     "受理情况"),
    "avg_handling_days": ("办几天", "要几天", "几天", "多少天", "多少天办完", "几天办完", "天办完", "多长时间办完", "多久办完", "办多少天", "平均办多少天", "用了多少天", "用多少天", "办了多少天", "多少天办结", "几天办结", "办理天数",
                          "平均几天", "平均多少天", "处理多少天", "要多少天", "多长时间", "多久", "平均用时"),
    "recovered_amount": ("追回", "挽回", "讨回", "追回了", "要回"),
    "people_involved": ("涉及多少人", "涉及多少名", "涉及的人数", "涉及职工", "多少人涉及", "涉及多少职工", "涉及多少名职工",
                        "涉及职工多少", "涉及职工人数"),
    "visits": ("多少人次", "人次", "服务了多少人次", "服务多少人次", "接待了多少人次", "接待多少人次", "服务了多少人", "接待人数",
               "服务人数", "到访人次", "来了多少人", "服务了"),
    "participants": ("多少人次", "人次", "多少人参加", "多少人参与", "人次参加", "人次参与", "参加人数", "参加的人次",
                     "人参加", "人参与", "参加了多少人", "参与了多少人"),
    "member_count": ("会员", "会员人数", "多少会员", "多少名会员", "多少个会员"),
    "activity_count": ("多少场", "几场", "场次", "多少场活动", "举办了多少", "开展了多少", "办了多少场"),
    "post_count": ("多少个阵地", "几个阵地", "多少阵地", "多少家阵地"),
    "grassroots_union_count": ("多少个基层工会", "几个基层工会", "基层工会数量"),
}
# Words naming a figure of some rows only: (metric, table, column, values).
FILTERED_METRIC_WORDS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    w: ("overdue_count", "hotline_tickets", "status", ("待派单", "办理中"))
    for w in ("超期没办完", "超期未办结", "超期还没办结", "超期未办", "超期没办结", "逾期未办结", "超期还没办完", "超期未办完",
              "超期在办", "超时未办结")
}
# Per-day / per-month averages of a figure.
PER_WORDS = {"日均": "day", "平均每天": "day", "每天平均": "day", "平均每日": "day", "每日平均": "day",
             "月均": "month", "平均每月": "month", "每月平均": "month", "平均每个月": "month"}
# Value words missing from the docs.
VALUE_WORDS: dict[tuple[str, str, str], tuple[str, ...]] = {
    ("hotline_tickets", "status", "办理中"): ("在办理中", "还在办理", "正在办理中", "办理中的", "仍在办理"),
    ("hotline_tickets", "status", "待派单"): ("还没派单", "没派单", "未派发的"),
}
# Words that ask for several figures at once, in this order.
COMBO_WORDS: dict[str, tuple[str, ...]] = {
    "办结情况": ("ticket_count", "closed_count", "closed_rate"),
    "办理情况": ("ticket_count", "closed_count", "closed_rate"),
    "满意情况": ("satisfaction_rate",),
    "满意度情况": ("satisfaction_rate",),
}
# Table words missing from the docs (what officers call a ticket, a post …).
TABLE_WORDS: dict[str, tuple[str, ...]] = {
    "hotline_tickets": ("案子", "求助电话", "来电量", "投诉举报", "热线电话", "单子", "诉求件"),
    "union_posts": ("站点", "服务站点", "阵地点", "驿站点"),
    "post_activities": ("活动场次", "服务活动", "主题活动"),
}
# Column words missing from the docs.
COLUMN_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("union_posts", "honor_level"): ("荣誉等级", "荣誉级别", "示范等级", "等级", "级别", "示范级别", "命名等级"),
    ("hotline_tickets", "satisfaction"): ("满意度", "评价结果", "满意程度"),
    ("post_activities", "target_group"): ("服务群体", "面向对象"),
}

# Dimension nouns of our own: city / county / org / post.
DIM_WORDS: dict[str, tuple[str, ...]] = {
    "city": ("市", "地市", "城市", "各市", "按市", "分市", "五个市", "各地市", "哪个市", "地级市", "各地", "全区各市",
             "地区", "区域", "各地区"),
    "county": ("县", "县区", "区县", "各县区", "各区县", "县市区", "各县", "按县区", "分县区", "哪个县", "哪个县区",
               "哪个区县", "各县市区", "区", "县级"),
    "org": ("承办工会", "承办单位", "办理单位", "责任单位", "工会", "主办工会", "运营工会", "所属工会", "建设单位"),
    "post": ("阵地名称", "哪个阵地", "站点名称", "各阵地", "每个阵地", "单个阵地"),
    # "各类型", "不同类型": the column that says what kind a row is (resolved by the noun and the table)
    "col:union_posts.honor_level": ("各级示范", "各级别", "各示范级别", "各级", "各个级别", "不同级别", "分级别"),
    "kind": ("各类型", "不同类型", "各种类型", "每种类型", "分类型", "按类型", "各类别", "不同类别", "哪种类型", "哪个类型",
             "哪一类", "什么类型", "各个类型"),
}

# Words that carry no meaning for the plan (fillers): understood, so they do not lower confidence.
FILLERS = _op("的", "是", "了", "吗", "吧", "啊", "呀", "嘛", "么", "请问", "请", "帮我", "帮忙", "给我", "我想", "我要", "想",
              "知道", "查", "查询", "查一下", "查查", "看一下", "看下", "统计", "统计一下", "一下", "情况", "数据", "有",
              "在", "中", "里", "里面", "内", "期间", "时候", "时", "和", "与", "及", "以及", "跟", "同", "或", "或者", "都",
              "为", "等", "上", "之", "个", "件", "场", "家", "条", "次", "人", "位", "名", "项", "类", "方面", "相关", "涉及",
              "关于", "对于", "其", "怎么样", "怎样", "如何", "目前", "现在", "当前", "截至", "截止", "到",
              "至", "从", "自", "起", "今", "一共有", "共有", "总共有", "告诉我", "说说", "看看", "能否", "可以", "能",
              "哪些", "多少", "数", "量", "工作", "开展", "受理", "收到", "接到", "反映", "办理", "发生", "有关", "属于",
              "全区的", "我们", "咱们", "本地", "辖区", "所在", "整体", "水平", "表现", "咋样", "几何", "呢", "啦", "哦",
              "是多少", "为多少", "有多少", "多少个", "各", "按", "年", "月", "日", "号", "以上", "以下", "以内", "同期",
              "通过", "来", "打进来", "打来", "新来", "进来", "要办", "职工", "面向", "针对", "参加", "参与", "大概", "大约",
              "举办", "荣誉", "帮", "钱", "多少钱", "一共是", "总的", "一下子", "分别", "主要", "集中", "都是", "些", "排一下",
              "看", "接", "接了", "收", "打", "打了", "被", "给", "从", "向", "对", "把", "还", "还有", "现", "现有", "已经",
              "期间内", "以来", "开展的", "举办的", "情况如何", "怎么", "大不大", "多不多", "高不高", "咋",
              "那边", "这边", "那块", "这块", "一带", "下面", "下属", "底下", "辖内", "范围内", "办得", "办的", "做得",
              "是增是减", "增还是减", "变多", "变少", "有没有", "是不是", "大概是", "左右")

# Greetings and questions about the assistant itself.
GREETINGS = re.compile(r"^(你好|您好|hello|hi|嗨|哈喽|在吗|早上好|上午好|下午好|晚上好|早安|谢谢|谢谢你|多谢|感谢|辛苦了|再见|拜拜|好的|"
                       r"你是谁|你叫什么|你是什么|你能做什么|你会什么|你可以做什么|能做什么|怎么用|如何使用|帮助|help|使用说明|"
                       r"你好呀|您好呀|谢啦|ok|嗯|好)[，。！？!?,.\s]*$", re.IGNORECASE)
GREETING_WORDS = ("你好", "您好", "你是谁", "谢谢", "感谢", "再见", "你能做什么", "能做什么", "怎么用", "你会什么")

# Requests to change data: refused whatever else the question says.
WRITE_WORDS = re.compile(
    r"((?:^|[，,])(?:请|帮我)?(?:给|把|将)(?!我)[^，,。？?]{0,24}?(?:加上?[0-9一二三四五六七八九十百千]|减去?[0-9一二三四五六七八九十百千]|"
    r"改|设|清|删|去掉|移除|置为)|(?:新增|新建|添加|创建|增加|登记|录入|加)(?:一个|一条|一笔|一项|一家|一座)|名字叫|命名为|清掉|清理掉|抹掉|删除|删掉|删了|删去|删|修改|更改|改成|改为|改一下|更新|插入|新增一条|添加一条|添加|录入|写入|清空|清除|作废|销毁|篡改|"
    r"重置|撤回|批量修改|设置为|设为|标记为|\bdrop\b|\bdelete\b|\bupdate\b|\binsert\b|\btruncate\b|\balter\b|\bcreate\b|"
    r"\bgrant\b|\brevoke\b|\bmerge\b|\breplace\s+into\b|导入数据)", re.IGNORECASE)
# Personal data of callers.
PII_STRONG = re.compile(r"(电话号码|手机号|手机号码|联系电话|联系方式|身份证|身份证号|家庭住址|住址|户籍|号码是多少|电话是多少|"
                        r"来电人姓名|姓名|名字|叫什么|是谁|谁打的|谁反映|哪些人|哪个人|个人信息|隐私)")


def _strip_suffix(name: str) -> list[str]:
    """银川市 → 银川, 海原县 → 海原, 沙坡头区 → 沙坡头 (never to one character)."""
    out = []
    for suffix in ("回族自治区", "自治区", "市", "县", "区"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            out.append(name[: -len(suffix)])
            break
    return out


@dataclass(frozen=True, eq=False)
class Lexicon:
    words: dict[str, tuple[Tag, ...]]
    max_len: int

    def tag(self, text: str, taken: list[bool] | None = None) -> tuple[list[Token], list[tuple[int, str]]]:
        """Longest-match tokens of text, skipping positions already taken; plus unknown characters."""
        tokens: list[Token] = []
        unknown: list[tuple[int, str]] = []
        n = len(text)
        i = 0
        words = self.words
        while i < n:
            if taken is not None and taken[i]:
                i += 1
                continue
            hit = None
            limit = min(self.max_len, n - i)
            for length in range(limit, 0, -1):
                piece = text[i:i + length]
                if taken is not None and any(taken[i:i + length]):
                    continue
                tags = words.get(piece)
                if tags is not None:
                    hit = Token(i, i + length, piece, tags)
                    break
            if hit is None:
                ch = text[i]
                if not ch.isspace() and ch not in "，。？！、,.?!;；:：\"'“”‘’（）()《》【】[]-—~～…":
                    unknown.append((i, ch))
                i += 1
            else:
                tokens.append(hit)
                i = hit.end
        return tokens, unknown


def build_lexicon(docs: SchemaDocs) -> Lexicon:
    return _cached(id(docs), docs)


@functools.lru_cache(maxsize=8)
def _cached(_key: int, docs: SchemaDocs) -> Lexicon:
    table: dict[str, list[Tag]] = {}

    def add(word: str, tag: Tag) -> None:
        word = word.strip().lower()
        if not word:
            return
        tags = table.setdefault(word, [])
        if tag not in tags:
            tags.append(tag)

    # metrics first: a word that is both a metric and a column is read as the metric
    for m in docs.metrics.values():
        for w in (m.name, *m.synonyms):
            add(w, Tag("metric", m.table, None, m.id))
    for w, (mid, tname, cname, values) in FILTERED_METRIC_WORDS.items():
        if mid in docs.metrics and tname in docs.tables and cname in docs.tables[tname].columns:
            add(w, Tag("metric", docs.metrics[mid].table, None, mid))
            for v in values:
                add(w, Tag("value", tname, cname, v))
    for w, per in PER_WORDS.items():
        add(w, Tag("op", None, None, f"per_{per}"))
    for w, mids in COMBO_WORDS.items():
        for mid in mids:
            if mid in docs.metrics:
                add(w, Tag("metric", docs.metrics[mid].table, None, mid))
    for mid, ws in METRIC_WORDS.items():
        if mid in docs.metrics:
            for w in ws:
                add(w, Tag("metric", docs.metrics[mid].table, None, mid))
    for tname, ws in TABLE_WORDS.items():
        if tname in docs.tables:
            for w in ws:
                add(w, Tag("table", tname))
    for (tname, cname, value), ws in VALUE_WORDS.items():
        if tname in docs.tables and cname in docs.tables[tname].columns:
            for w in ws:
                add(w, Tag("value", tname, cname, value))
    for (tname, cname), ws in COLUMN_WORDS.items():
        if tname in docs.tables and cname in docs.tables[tname].columns:
            for w in ws:
                add(w, Tag("column", tname, cname))
    for t in docs.tables.values():
        if t.name in SKIP_TABLES:
            continue
        for w in (t.cn_name, *t.synonyms):
            add(w, Tag("table", t.name))
        for c in t.columns.values():
            if c.pii:
                continue
            if c.role not in SKIP_ROLES and t.name not in SKIP_TABLES:
                for w in (c.cn_name, *c.synonyms):
                    if len(w) >= 2:
                        add(w, Tag("column", t.name, c.name))
            for v in c.values:
                for w in (v.value, *v.synonyms):
                    add(w, Tag("value", t.name, c.name, v.value))
    for g in docs.time_grains:
        for w in (g.name, *g.synonyms):
            if len(w) >= 2 or w in ("月", "年", "周", "天", "日", "季度"):
                add(w, Tag("grain", None, None, g.id))
    # regions: full names, aliases from the docs, and the names without their suffix
    aliases = docs.region_aliases()
    for r in contract.REGIONS:
        names = {r.name, *aliases.get(r.code, ()), *_strip_suffix(r.name)}
        for w in names:
            if len(w) >= 2:
                add(w, Tag("region", "regions", "region_code", r.code))
    for dim, ws in DIM_WORDS.items():
        for w in ws:
            add(w, Tag("dim", None, None, dim))
    for op, ws in OPS.items():
        for w in ws:
            add(w, Tag("op", None, None, op))
    for w in FILLERS:
        add(w, Tag("op", None, None, "filler"))
    # Single characters that would otherwise be swallowed as values of the wrong column.
    words = {k: tuple(v) for k, v in table.items()}
    return Lexicon(words, max(len(k) for k in words))
