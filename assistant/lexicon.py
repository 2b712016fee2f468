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
    "most": _op("最多", "最高", "最大", "最长", "最突出", "最集中", "最严重", "多的", "领先", "第一", "居首", "最快",
                "最好", "最佳", "靠前", "排名靠前", "名列前茅", "前列", "拔尖", "数一数二", "比较高", "比较多", "较高",
                "较多", "偏高", "偏多", "排名第一", "排第一", "前几名", "前几位", "前几个", "前几", "排名前几", "前列的"),
    # ascending rankings: the bottom of the list
    "least": _op("最少", "最低", "最小", "最短", "最慢", "垫底", "最差", "倒数", "末尾", "末位", "排末位", "排名末位",
                 "靠后", "排名靠后", "排在最后", "排名最后", "排最后", "最后一名", "最后几名", "最后几", "落后", "殿后",
                 "吊车尾", "倒数几", "偏低", "较低", "偏少", "较少", "比较低", "比较少", "最不", "排名末尾", "后几名", "后几位",
                 "倒数几名", "倒数几位"),
    "rank": _op("排名", "排行", "排序", "排行榜", "从高到低", "由高到低", "从多到少", "降序"),
    "rank_asc": _op("从低到高", "由低到高", "从少到多", "升序"),
    "compare": _op("对比", "比较", "相比", "相较", "比", "较", "变化", "增加", "减少", "增长", "下降", "增减", "涨", "降",
                   "多了", "少了", "增幅", "降幅", "上升", "提高", "提升", "差距", "差多少", "相差", "差异"),
    "each": _op("分别", "各是", "各有", "各多少", "分别是"),
    "detail": _op("名字", "叫什么", "叫什么名字", "都叫什么", "名称是", "列出", "列一下", "列举", "罗列", "明细", "清单", "名单", "列表", "详细", "具体", "有哪些", "都有哪些",
                  "都有什么", "有什么", "是哪些", "哪些是", "给我看看", "展示", "显示", "查看", "查询一下明细", "逐条"),
    "share": _op("超期率", "逾期率", "超期比例", "占比", "比例", "比重", "百分比", "占多少", "所占", "份额", "占", "比率", "百分之多少", "几成",
                  # 占多大比例: 多大 is a size (面积) word elsewhere
                  "多大比例", "多大比重", "多大份额", "多大的比例", "多大的比重"),
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
    ("hotline_tickets", "status", "待派单"): ("还没派单", "没派单", "未派发的", "还没派", "没派", "未派", "未派单", "没有派单",
                                           "尚未派单", "还没有派单", "等待派单", "待分派", "还没分派"),
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
    # 单 alone is a count word for tickets only after a count or a receiving verb (never 单位/名单/清单/单独)
    "hotline_tickets": ("案子", "求助电话", "来电量", "投诉举报", "热线电话", "单子", "诉求件", "多少单", "几单", "多少个单",
                        "几个单", "多少张单", "单量", "接单量", "来单量", "接单", "派单量"),
    "union_posts": ("站点", "服务站点", "阵地点", "驿站点"),
    "post_activities": ("活动场次", "服务活动", "主题活动"),
}
# The columns that say what a row is about. A value of one inside a figure's word ("欠薪金额",
# "涉及欠薪金额", "追回欠薪") limits the figure to those rows: the word names both. Other columns are
# left out on purpose: 办结 in 办结率 or 满意 in 满意率 is the figure's own definition, not a filter.
SUBJECT_COLUMNS: frozenset[tuple[str, str]] = frozenset({
    ("hotline_tickets", "topic"), ("union_posts", "post_type"), ("post_activities", "activity_type"),
})
# A figure named by a verb that narrows a generic figure named by a noun: in "追回的欠薪金额" the
# amount is the one recovered, not a second figure (涉及金额) beside it.
NARROWING_METRICS: dict[str, tuple[str, ...]] = {
    "recovered_amount": ("amount_involved",),
}
# Column words missing from the docs.
COLUMN_WORDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("union_posts", "honor_level"): ("荣誉等级", "荣誉级别", "示范等级", "等级", "级别", "示范级别", "命名等级"),
    ("hotline_tickets", "satisfaction"): ("满意度", "评价结果", "满意程度"),
    ("post_activities", "target_group"): ("服务群体", "面向对象"),
    # the employer a ticket is about ("哪些单位被投诉最多"); the handling union is 承办单位 (a dimension word)
    ("hotline_tickets", "employer_name"): ("单位", "企业", "公司", "雇主", "用工单位", "涉事单位", "被投诉单位",
                                           # longer than the ticket words 多少单 / 几单, so 多少单位 stays an employer
                                           "多少单位", "多少个单位", "几个单位", "几家单位", "几单位", "多少家单位"),
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
    r"重置|撤回|批量修改|设置为|设为|标记为|导入数据|"
    # SQL verbs that change data, in any case, also glued to Chinese ("执行DROP"): ASCII-letter bounds, not \b
    r"(?<![a-z_])(?:drop|delete|update|insert|truncate|alter|create|grant|revoke|merge|upsert|replace\s+into)(?![a-z_]))",
    re.IGNORECASE)
# Requests to run statements or commands, touch files or the engine: never a question about the data.
_ENGINE_WORDS = (r"copy|attach|detach|pragma|install|load|export|import|vacuum|checkpoint|call|exec|execute|"
                 r"set|reset|shell|system|read_csv\w*|read_text|read_blob|read_json\w*|read_parquet|glob|"
                 r"pg_\w+|sqlite_\w+|duckdb_\w+|information_schema|lo_\w+|dblink\w*")
_STATEMENT_WORDS = r"select|with|show|describe|desc|explain|" + _ENGINE_WORDS
COMMAND_WORDS = re.compile(
    rf"(?<![a-z_])(?:{_ENGINE_WORDS})(?![a-z_])"
    # 执行/运行 a statement, a script or a command
    r"|(?:执行|运行|跑一下|调用)\s*(?:一下|一条|这条|这个|下面的|以下|如下)?\s*(?:的)?\s*"
    rf"(?:sql|语句|命令|指令|脚本|代码|程序|存储过程|(?:{_STATEMENT_WORDS})(?![a-z_]))"
    # writing data out to a file or a path
    r"|(?:导出|保存|另存|写|输出|存|转存|备份|下载|拷贝|复制|发送|发|传)(?:到|至|进|成|为)\s*(?:我的|一个|一份)?\s*"
    r"(?:[a-z]:|/|~|\\|文件|本地|磁盘|服务器|硬盘|u盘|邮箱|e-?mail|网盘|新表|一张表|表里|表中|excel|csv|xlsx?|"
    r"表格文件|word|pdf|txt|json)"
    r"|(?:导出|下载)(?:全部|所有|整个|整张)?(?:的)?(?:数据库|数据表|原始数据|全部数据|所有数据|全表)"
    # a statement typed into the question box
    r"|^\s*(?:select|with)\s.+\sfrom\s"
    r"|(?<![\w.])(?:~?/(?:[\w.-]+/)*[\w-]+\.[a-z0-9]{1,8}|/(?:tmp|etc|home|root|var|usr|proc|dev|opt|mnt|srv|sys|bin)(?![a-z])"
    r"|[a-z]:\\)"
    r"|[\w-]\.(?:csv|xlsx?|json|parquet|db|duckdb|sqlite3?|sql|txt|sh|py)(?![a-z0-9])"
    r"|命令行|终端|数据库密码|连接串|配置文件|服务器上的文件|系统文件",
    re.IGNORECASE)
# Attempts to switch off the rules (prompt injection), in Chinese and English.
INJECTION_WORDS = re.compile(
    r"忽略(?:之前|以上|上面|前面|先前|所有|全部|你的)|无视(?:之前|以上|规则|限制)|忘记(?:之前|你的|所有|规则)|"
    r"(?:系统|system)\s*(?:提示|prompt)|提示词|开发者模式|调试模式|越狱|安全检查已关闭|关闭(?:安全|限制|审计|权限)|"
    r"解除限制|不受限制|扮演|假装你是|你现在是(?:一个|一名)?(?:dba|数据库管理员|管理员|开发者|黑客|root|超级用户)|"
    r"ignore\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier|preceding)?\s*(?:instructions|rules|prompts?)|"
    r"forget\s+(?:all\s+|your\s+|the\s+)*(?:rules|instructions)|developer\s+mode|dev\s+mode|jailbreak|"
    r"you\s+are\s+now|act\s+as|pretend|disregard|override|bypass|no\s+restrictions|\bdan\b|sudo",
    re.IGNORECASE)
# Personal data asked for in English: never answered.
ENGLISH_PII = re.compile(
    r"phone|mobile|cell\s*number|telephone|unmask|caller_?(?:phone|name)|caller'?s?\s+(?:name|number)|"
    r"personal\s+(?:data|info)|\bid\s+(?:card|number)|home\s+address|\baddress|e-?mail|who\s+(?:called|made\s+the\s+call)|"
    r"'s\s+(?:name|number|address|contact)|contact\s+(?:info|details)", re.IGNORECASE)
# Personal data of callers.
PII_STRONG = re.compile(r"(电话号码|手机号|手机号码|联系电话|联系方式|身份证|身份证号|家庭住址|住址|户籍|号码是多少|电话是多少|"
                        r"来电人姓名|姓名|名字|叫什么|是谁|谁打的|谁反映|哪些人|哪个人|个人信息|隐私)")
# Unmasked personal data: any mention of masking, plain text or a full number.
UNMASK_WORDS = re.compile(r"脱敏|去敏|掩码|打码|星号|解密|明文|加密前|原始(?:的)?(?:电话|手机|号码)|完整(?:的)?(?:电话|手机|号码|号)|"
                          r"全部号码|caller_phone|caller_name|caller_?phone|caller_?name", re.IGNORECASE)
# A phone number, part of one, or an ID number named in the question.
PHONE_FRAGMENT = re.compile(
    r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dx](?!\d)|"
    r"(?:电话|手机|号码|手机号|号段|尾号|(?<![编单])号)\s*(?:以|是|为|含|包含|带)?\s*\d{3,}(?![\d个件通次人万千元余多])|"
    r"\d{3,}\s*(?:开头|打头|结尾|号段)|尾号|号段", re.IGNORECASE)
# The people behind the tickets (callers), as opposed to their group, gender or industry.
CALLER_NOUNS = r"(?:来电人|来电者|来电职工|来电群众|反映人|投诉人|求助人|诉求人|当事人|申请人|举报人|打电话的人|打电话的职工|打电话来的人)"
CALLER_ATTRIBUTES = r"(?:群体|性别|类别|类型|身份|行业|人群|所属|分类|数量|人数|占比|比例|中|里|当中)"
# 哪个来电人 / 每个来电人 / 按来电人 (one row per person), or a caller's name, number, address.
CALLER_PERSONAL = re.compile(
    rf"(?:哪个|哪些|哪位|哪几个|哪几位|哪一个|每个|每位|每一个|各个|各位|按|按照|逐个|分)\s*{CALLER_NOUNS}(?!{CALLER_ATTRIBUTES})|"
    rf"{CALLER_NOUNS}(?:的|们)?(?:都)?(?:有哪些|有谁|是谁|都是谁|名单|清单|姓名|名字|叫什么|电话|手机|号码|联系|住址|地址|"
    r"身份证|信息|资料|隐私|微信号|家)|"
    # 他的电话 / 那个人的手机号: a person pointed at
    r"(?<!其)(?:他|她|他们|她们|此人|这个人|那个人|这人|那人|这位|那位|对方|本人|当事人)(?:的)?(?:电话|手机|号码|联系方式|联系电话|"
    r"住址|地址|家|身份证|名字|姓名|微信)")
# Common surnames: an unknown two-to-four character word starting with one is taken for a person's name
# when it comes before what a person did (张三反映的问题, 王建国的工单).
SURNAMES = frozenset("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
                     "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
                     "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝")
PERSON_ACTS = re.compile(r"(?:的)?(?:工单|诉求|来电|反映|投诉|求助|举报|打来|打的|问题|案子|情况|事)")
# What belongs to a person: 张三的电话, 王芳的联系方式.
PERSONAL_ITEMS = re.compile(r"(?:的)?(?:电话号码|电话|手机号码|手机号|手机|号码|联系方式|联系电话|家庭住址|住址|地址|身份证号?|"
                            r"微信号|个人信息|工作单位)")


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
                    if c.name == "org_level" and len(w) >= 3:
                        # 各县区总工会 is the unions of that level one by one, not 各县区 + 总工会
                        for each in ("各", "各个", "每个"):
                            add(each + w, Tag("value", t.name, c.name, v.value))
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
    _embed_subject_values(table, docs)
    words = {k: tuple(v) for k, v in table.items()}
    return Lexicon(words, max(len(k) for k in words))


def _embed_subject_values(table: dict[str, list[Tag]], docs: SchemaDocs) -> None:
    """Give a figure word that contains a subject value ("欠薪" in "欠薪金额") that value's tag too."""
    subject: dict[str, list[Tag]] = {}
    for word, tags in table.items():
        for t in tags:
            if t.kind == "value" and (t.table, t.column) in SUBJECT_COLUMNS and len(word) >= 2:
                subject.setdefault(word, []).append(t)
    for word, tags in table.items():
        if any(t.kind == "value" for t in tags):
            continue
        figure_tables = {t.table for t in tags if t.kind == "metric" or (
            t.kind == "column" and t.table in docs.tables and t.column in docs.tables[t.table].columns
            and docs.tables[t.table].columns[t.column].role == "measure")}
        if not figure_tables:
            continue
        # the longest contained subject word wins (欠薪讨薪 over 欠薪)
        for inner in sorted((w for w in subject if w in word and w != word), key=len, reverse=True):
            found = [t for t in subject[inner] if t.table in figure_tables]
            if found:
                tags.extend(t for t in found if t not in tags)
                break
