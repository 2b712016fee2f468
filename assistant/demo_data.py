"""Deterministic demo databases for Wenshu: the 12351 hotline and the union posts of Ningxia.

`generate(...)` writes both databases exactly as the data contract describes them
(../shared/spec/data-contract.md; tables from `contract.metadata`, code values from
`contract`). Everything random comes from numpy PCG64 streams derived from the seed, so
the same seed, end date and sizes give the same rows on every machine; rows are built
with vectorised numpy / pyarrow and loaded through each engine's bulk path (DuckDB:
INSERT from a registered Arrow table; PostgreSQL: COPY; SQLite: executemany).

Tickets are generated and written in fixed-size chunks so that a million rows need
only bounded memory (the chunk size is a constant, so it does not affect the rows).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlglot import exp

from . import contract as C

TICKET_CHUNK = 100_000          # rows per generated/written ticket chunk (fixed: part of determinism)
N_BASE_UNIONS = 2400            # 基层工会 rows (fixed, independent of the ticket/post sizes)

# RNG streams: one per part, so that e.g. the ticket count does not change the org tree.
_STREAM_ORGS, _STREAM_TICKET_TIMES, _STREAM_TICKETS, _STREAM_POSTS = 1, 2, 3, 4

Progress = Callable[[str], None]


@dataclass
class GenerationReport:
    """What `generate` wrote: rows per table (shared tables counted once) and the time taken."""
    counts: dict[str, int]
    seconds: float
    seed: int
    start: dt.date
    end: dt.date
    hotline_url: str = ""
    posts_url: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())


# ════════════════════════════════════════════════════════════════════════════════════
# Reference data (approximate, public knowledge): counties, places, names
# ════════════════════════════════════════════════════════════════════════════════════

@dataclass(frozen=True)
class County:
    code: str
    pop: float                    # resident population, 万人 (2020 census, rounded)
    lon: float                    # approximate county seat
    lat: float
    urban: bool                   # a city district (tighter spread, more new-economy work)
    townships: tuple[str, ...]    # 乡镇 / 街道
    roads: tuple[str, ...]


COUNTY_INFO: tuple[County, ...] = (
    County("640104", 81.5, 106.288, 38.473, True,
           ("凤凰北街街道", "解放西街街道", "文化街街道", "富宁街街道", "新华街街道", "玉皇阁北街街道",
            "前进街街道", "中山南街街道", "银古路街道", "胜利街街道", "丽景街街道", "掌政镇", "大新镇", "月牙湖乡"),
           ("解放东街", "解放西街", "新华东街", "中山北街", "民族北街", "文化东街", "清和街", "丽景街",
            "胜利南街", "北京东路", "凤凰北街", "玉皇阁北街", "银古路", "上海东路")),
    County("640105", 43.6, 106.150, 38.492, True,
           ("西花园路街道", "北京西路街道", "文昌路街道", "朔方路街道", "宁华路街道", "贺兰山西路街道",
            "镇北堡镇", "兴泾镇"),
           ("怀远路", "文昌北街", "贺兰山西路", "北京西路", "朔方路", "宁华路", "同心路", "学院路")),
    County("640106", 47.3, 106.242, 38.485, True,
           ("满城北街街道", "黄河东路街道", "长城中路街道", "北京中路街道", "上海西路街道", "阅海万家街道",
            "良田镇", "丰登镇"),
           ("北京中路", "亲水大街", "正源街", "宁安大街", "上海西路", "黄河东路", "贺兰山中路", "长城中路",
            "满城北街", "万寿路", "枕水巷")),
    County("640121", 29.5, 106.253, 38.277, False,
           ("杨和镇", "李俊镇", "望远镇", "望洪镇", "闽宁镇", "胜利乡", "团结西路街道"),
           ("宁和南街", "团结西路", "杨和北街", "永胜路", "观湖路")),
    County("640122", 33.6, 106.350, 38.554, False,
           ("习岗镇", "金贵镇", "立岗镇", "洪广镇", "常信乡", "富兴街街道"),
           ("银河东路", "富兴北街", "习岗街", "德胜路", "金贵大道")),
    County("640181", 29.6, 106.340, 38.103, False,
           ("东塔镇", "郝家桥镇", "崇兴镇", "宁东镇", "马家滩镇", "临河镇", "梧桐树乡", "白土岗乡", "城区街道"),
           ("灵州大道", "东塔街", "朝阳路", "宁东大道", "枣园路")),
    County("640202", 30.4, 106.377, 39.019, True,
           ("长胜街道", "朝阳街道", "人民路街道", "长城街道", "青山街道", "石嘴山街道", "沟口街道",
            "锦林街道", "长兴街道", "星海镇"),
           ("朝阳西街", "人民路", "青山路", "世纪大道", "游艺东街", "长胜街")),
    County("640205", 20.1, 106.781, 39.239, True,
           ("南街街道", "北街街道", "中街街道", "育才路街道", "河滨街街道", "火车站街道", "园艺镇",
            "红果子镇", "尾闸镇"),
           ("育才路", "北大街", "河滨街", "南大街", "火车站路")),
    County("640221", 25.0, 106.545, 38.906, False,
           ("城关镇", "黄渠桥镇", "宝丰镇", "头闸镇", "姚伏镇", "崇岗镇", "陶乐镇", "高庄乡", "灵沙乡"),
           ("鼓楼南街", "玉皇阁大道", "唐徕路", "团结路")),
    County("640302", 43.0, 106.199, 37.986, True,
           ("胜利镇", "东塔寺乡", "板桥乡", "古城镇", "金银滩镇", "金积镇", "上桥镇", "郭家桥乡",
            "扁担沟镇", "马莲渠乡", "金星镇", "朝阳街道"),
           ("裕民路", "明珠路", "开元大道", "朝阳街", "文卫路", "利宁街")),
    County("640303", 20.3, 106.062, 37.421, False,
           ("红寺堡镇", "太阳山镇", "大河乡", "新庄集乡", "柳泉乡"),
           ("罗山路", "新民街", "朝阳路", "红寺堡大道")),
    County("640323", 15.9, 107.407, 37.784, False,
           ("花马池镇", "大水坑镇", "惠安堡镇", "高沙窝镇", "王乐井乡", "冯记沟乡", "青山乡", "麻黄山乡"),
           ("花马池大道", "鼓楼街", "盐州路", "长城路")),
    County("640324", 33.0, 105.914, 36.978, False,
           ("豫海镇", "河西镇", "丁塘镇", "韦州镇", "下马关镇", "预旺镇", "王团镇", "田老庄乡", "马高庄乡",
            "张家塬乡"),
           ("豫海路", "长征东街", "同德街", "新区路")),
    County("640381", 27.2, 106.078, 38.021, False,
           ("裕民街道", "小坝镇", "大坝镇", "青铜峡镇", "叶盛镇", "瞿靖镇", "峡口镇", "邵岗镇"),
           ("汉坝街", "古峡路", "裕民路", "铁路街")),
    County("640402", 46.3, 106.280, 36.005, True,
           ("南关街道", "古雁街道", "北塬街道", "三营镇", "官厅镇", "开城镇", "张易镇", "彭堡镇", "头营镇",
            "黄铎堡镇"),
           ("文化街", "中山街", "政府街", "西城路", "清河路", "六盘山路")),
    County("640422", 31.9, 105.729, 35.964, False,
           ("吉强镇", "兴隆镇", "平峰镇", "新营乡", "红耀乡", "田坪乡", "马建乡", "震湖乡", "兴平乡", "西滩乡"),
           ("吉强路", "兴平路", "葫芦河路", "西兰路")),
    County("640423", 11.9, 106.124, 35.619, False,
           ("城关镇", "沙塘镇", "联财镇", "陈靳乡", "好水乡", "观庄乡", "杨河乡", "神林乡"),
           ("六盘山西路", "隆中路", "观庄路", "文化路")),
    County("640424", 8.3, 106.339, 35.498, False,
           ("香水镇", "泾河源镇", "六盘山镇", "新民乡", "兴盛乡", "黄花乡", "大湾乡"),
           ("香水街", "泾河路", "胜利街")),
    County("640425", 18.4, 106.638, 35.849, False,
           ("白阳镇", "王洼镇", "古城镇", "红河镇", "新集乡", "城阳乡", "孟塬乡", "草庙乡"),
           ("茹河路", "朝阳街", "阳洼路")),
    County("640502", 40.4, 105.190, 37.515, True,
           ("滨河镇", "文昌镇", "东园镇", "柔远镇", "镇罗镇", "宣和镇", "永康镇", "常乐镇", "迎水桥镇", "兴仁镇"),
           ("文昌路", "鼓楼街", "应理街", "中山街", "沙坡头大道", "新墩路")),
    County("640521", 34.6, 105.685, 37.491, False,
           ("宁安镇", "鸣沙镇", "石空镇", "新堡镇", "恩和镇", "大战场镇", "舟塔乡", "白马乡", "余丁乡",
            "喊叫水乡"),
           ("宁安大街", "枸杞大道", "新堡路", "康乐路")),
    County("640522", 31.8, 105.643, 36.565, False,
           ("海城镇", "李旺镇", "西安镇", "七营镇", "史店乡", "树台乡", "关桥乡", "贾塘乡", "郑旗乡", "三河镇"),
           ("海城路", "北环路", "文化街", "南华路")),
)
assert tuple(c.code for c in COUNTY_INFO) == tuple(r.code for r in C.COUNTIES)

COUNTY_POS = {c.code: i for i, c in enumerate(C.COUNTIES)}
NINGXIA_BBOX = (104.28, 35.23, 107.66, 39.39)   # lon_min, lat_min, lon_max, lat_max

# 产业工会 directly under the root, with the kind of 基层工会 they hold.
INDUSTRY_UNIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("宁夏电力工会", ("国网宁夏电力有限公司{c}供电公司", "宁夏电力{c}运维分公司", "国能宁夏{c}发电有限公司")),
    ("宁夏煤炭工会", ("国家能源集团宁夏煤业{c}煤矿", "宁夏{c}煤炭运销有限公司", "宁夏煤业{c}选煤厂")),
    ("宁夏交通运输工会", ("宁夏公路管理中心{c}分中心", "宁夏交通建设股份有限公司{c}项目部", "{c}公共交通有限公司")),
    ("宁夏教科文卫体工会", ("{c}第一中学", "{c}人民医院", "{c}文化馆", "{c}中医医院")),
    ("宁夏农林水利气象工会", ("{c}水务局", "{c}林业和草原局", "{c}气象局")),
    ("宁夏建设建材工会", ("宁夏建工集团{c}分公司", "宁夏{c}水泥有限公司", "宁夏城建{c}项目公司")),
    ("宁夏财贸轻纺烟草工会", ("宁夏烟草{c}分公司", "宁夏新华百货{c}店", "{c}供销合作社")),
    ("宁夏机冶化工工会", ("宁夏{c}化工有限公司", "宁东{c}新材料有限公司", "宁夏{c}冶金有限公司")),
)

FIRMS = ("鑫源", "恒泰", "华达", "宏远", "塞上", "沙湖", "六盘", "黄河", "西夏", "天元", "金泰", "瑞丰",
         "嘉禾", "汇通", "中鼎", "永盛", "德润", "兴盛", "宏达", "昊天", "润丰", "金海", "博远", "众诚",
         "信达", "泰和", "顺通", "安泰", "利民", "凤城", "朔方", "塞北", "宁安", "元丰", "聚鑫", "富源",
         "恒通", "盛达", "华宇", "金鼎", "银河", "远航", "九州", "天和", "祥瑞", "和顺", "鼎盛", "腾飞",
         "锦华", "正源", "贺兰", "星海", "汉延", "唐徕", "清水", "红柳", "丝路", "源泰", "佳禾", "弘德",
         "力行", "宏图", "万通", "旭日", "东升", "方正", "晨光", "亿丰", "明德", "康泰", "嘉信", "长河")

# Per contract.INDUSTRIES: company suffixes, job titles (for the request text), male share.
INDUSTRY_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], float]] = {
    "制造业": (("机械制造有限公司", "新材料科技有限公司", "食品有限公司", "装备制造有限公司", "纺织有限公司",
              "铸造有限公司"), ("车间操作工", "装配工", "质检员", "焊工"), 0.70),
    "建筑业": (("建设工程有限公司", "建筑劳务有限公司", "路桥工程有限公司", "建筑安装工程有限公司",
              "市政工程有限公司", "装饰工程有限公司"), ("钢筋工", "木工", "瓦工", "装修工", "架子工"), 0.90),
    "交通运输": (("运输有限公司", "公交有限公司", "出租汽车有限公司", "汽车运输有限公司", "货运有限公司"),
             ("货车司机", "公交司机", "出租车司机", "网约车司机"), 0.88),
    "快递物流": (("物流有限公司", "快递服务有限公司", "供应链管理有限公司", "速递有限公司"),
             ("快递员", "分拣员", "仓储管理员"), 0.80),
    "外卖配送": (("配送服务有限公司", "即时配送有限公司", "网络科技有限公司"), ("外卖骑手", "配送员"), 0.90),
    "批发零售": (("商贸有限公司", "超市有限公司", "百货有限公司", "商业连锁有限公司"),
             ("营业员", "收银员", "理货员"), 0.45),
    "住宿餐饮": (("餐饮管理有限公司", "酒店管理有限公司", "宾馆有限公司", "餐饮有限公司"),
             ("服务员", "厨师", "保洁员"), 0.45),
    "家政服务": (("家政服务有限公司", "物业服务有限公司", "保洁服务有限公司"),
             ("家政服务员", "保洁员", "育婴员", "物业保安"), 0.12),
    "教育": (("培训学校", "教育科技有限公司", "幼儿园"), ("教师", "保育员", "培训讲师"), 0.30),
    "卫生健康": (("康复医院", "医药连锁有限公司", "口腔医院", "养老服务有限公司"),
             ("护士", "护工", "药店店员"), 0.25),
    "能源化工": (("能源有限公司", "化工有限公司", "煤业有限公司", "新能源科技有限公司", "光伏科技有限公司"),
             ("化工操作工", "井下工人", "设备检修工"), 0.80),
    "农业": (("农业科技有限公司", "枸杞产业有限公司", "农牧有限公司", "酒庄有限公司", "种养殖专业合作社"),
           ("农场工人", "枸杞采摘工", "养殖工"), 0.60),
    "其他": (("人力资源有限公司", "保安服务有限公司", "文化传媒有限公司", "信息技术有限公司"),
           ("保安", "文员", "销售人员"), 0.55),
}
assert tuple(INDUSTRY_PARTS) == C.INDUSTRIES

SURNAMES = (("王", 71), ("李", 68), ("张", 64), ("马", 60), ("刘", 50), ("杨", 40), ("陈", 28), ("赵", 25),
            ("周", 18), ("吴", 17), ("黄", 14), ("徐", 15), ("孙", 15), ("朱", 12), ("胡", 12), ("郭", 13),
            ("何", 10), ("高", 13), ("罗", 8), ("田", 12), ("丁", 10), ("苏", 10), ("杜", 8), ("白", 9),
            ("金", 6), ("冯", 8), ("贺", 7), ("韩", 8), ("蒋", 4), ("曹", 6), ("许", 7), ("邓", 5), ("魏", 7),
            ("郑", 8), ("谢", 6), ("宋", 7), ("唐", 6), ("董", 7), ("于", 6), ("任", 6), ("袁", 5), ("石", 6),
            ("雷", 5), ("姚", 4), ("范", 5), ("闫", 6), ("纳", 3), ("海", 3), ("穆", 3), ("冶", 2), ("虎", 2),
            ("锁", 2), ("拓", 2), ("哈", 2), ("撒", 1), ("沙", 2), ("摆", 1), ("保", 1))
GIVEN_MALE = tuple("伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁海龙林建国文俊峰浩宇晨东亮成福贵义忠兵虎学德彬志红春")
GIVEN_FEMALE = tuple("芳娜敏静丽艳娟霞燕玲婷雪琳慧红梅兰萍洁倩颖晶莉瑞佳欣悦蓉凤花秀英桂琴丹月春")
PHONE_PREFIXES = (("130", 4), ("131", 4), ("132", 3), ("133", 3), ("134", 2), ("135", 6), ("136", 5),
                  ("137", 5), ("138", 6), ("139", 7), ("150", 4), ("151", 4), ("152", 3), ("153", 3),
                  ("155", 3), ("156", 3), ("157", 2), ("158", 4), ("159", 4), ("166", 2), ("173", 2),
                  ("176", 2), ("177", 2), ("180", 3), ("181", 3), ("182", 3), ("183", 3), ("185", 3),
                  ("186", 3), ("187", 3), ("188", 3), ("189", 4), ("191", 1), ("198", 2), ("199", 2))

# Spring Festival (正月初一) dates: wage claims peak in the weeks before, volume dips in the holiday.
SPRING_FESTIVAL = {2018: (2, 16), 2019: (2, 5), 2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22),
                   2024: (2, 10), 2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13),
                   2030: (2, 3), 2031: (1, 23), 2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8),
                   2036: (1, 28), 2037: (2, 15), 2038: (2, 4), 2039: (1, 24), 2040: (2, 12)}

# ── Ticket model tables (rows follow contract tuples) ──────────────────────────────────
TOPIC_WEIGHTS = np.array([0.22, 0.13, 0.12, 0.07, 0.07, 0.09, 0.03, 0.06, 0.06, 0.03, 0.05, 0.07])
# topic → relative weight by month 1..12
TOPIC_MONTH = {
    "欠薪讨薪": (1.6, 1.2, 0.8, 0.7, 0.75, 0.8, 0.8, 0.8, 0.85, 0.9, 1.25, 1.7),
    "困难帮扶": (1.5, 1.2, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.0, 1.1, 1.4),
    "工会福利": (1.3, 1.3, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.3, 1.0, 1.0, 1.1),
    "职业安全": (0.8, 0.8, 0.9, 1.0, 1.1, 1.6, 1.7, 1.5, 1.0, 0.9, 0.8, 0.8),
    "加班休假": (1.0, 1.2, 1.0, 1.0, 1.2, 1.0, 1.0, 1.0, 1.0, 1.4, 1.0, 1.0),
}
VOLUME_MONTH = (1.15, 0.9, 1.0, 0.97, 0.97, 1.0, 1.04, 1.03, 0.98, 0.95, 1.05, 1.2)
VOLUME_WEEKDAY = (1.18, 1.08, 1.02, 1.0, 0.95, 0.55, 0.45)
YEARLY_GROWTH = 0.12
HOUR_WEIGHTS = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 5, 9, 10, 9, 5, 4, 8, 9, 8.5, 7, 4, 3,
                         2.5, 2, 1.2, 0.6])
CHANNEL_P_WORK = (0.62, 0.16, 0.07, 0.06, 0.09)   # 电话 微信 网站 APP 来访, 8:00–18:00
CHANNEL_P_OFF = (0.50, 0.27, 0.10, 0.13, 0.0)
INDUSTRY_WEIGHTS = np.array([0.13, 0.17, 0.06, 0.06, 0.06, 0.09, 0.09, 0.05, 0.05, 0.05, 0.07, 0.04, 0.08])
INDUSTRY_BY_TOPIC = {   # multipliers on INDUSTRY_WEIGHTS
    "欠薪讨薪": {"建筑业": 2.8, "住宿餐饮": 1.2, "农业": 1.2, "教育": 0.3, "卫生健康": 0.3, "能源化工": 0.6},
    "工伤认定": {"建筑业": 2.0, "制造业": 1.8, "能源化工": 1.6, "快递物流": 1.4, "外卖配送": 1.6, "教育": 0.2},
    "职业安全": {"建筑业": 2.2, "制造业": 1.6, "能源化工": 2.0, "外卖配送": 1.3, "教育": 0.2},
    "入会转会": {"外卖配送": 3.0, "快递物流": 2.5, "交通运输": 1.5, "建筑业": 0.5},
    "心理咨询": {"教育": 2.5, "卫生健康": 2.5, "建筑业": 0.4},
    "社会保险": {"外卖配送": 1.6, "快递物流": 1.4, "家政服务": 1.6},
    "加班休假": {"制造业": 1.6, "快递物流": 1.5, "卫生健康": 1.4, "住宿餐饮": 1.3},
}
CALLER_GROUP_BY_INDUSTRY = {   # 一般职工 农民工 新就业形态劳动者 困难职工 劳模工匠 其他
    "建筑业": (0.30, 0.60, 0.00, 0.05, 0.01, 0.04),
    "外卖配送": (0.08, 0.03, 0.85, 0.02, 0.00, 0.02),
    "快递物流": (0.30, 0.05, 0.60, 0.02, 0.01, 0.02),
    "交通运输": (0.60, 0.05, 0.27, 0.03, 0.02, 0.03),
    "家政服务": (0.35, 0.35, 0.20, 0.06, 0.00, 0.04),
    "农业": (0.40, 0.45, 0.00, 0.08, 0.02, 0.05),
}
CALLER_GROUP_DEFAULT = (0.74, 0.11, 0.03, 0.05, 0.02, 0.05)
REQUEST_BY_TOPIC = {   # 问题咨询 服务帮扶 信访投诉 法律援助 意见建议
    "欠薪讨薪": (0.20, 0.15, 0.30, 0.33, 0.02), "劳动合同": (0.55, 0.05, 0.12, 0.25, 0.03),
    "社会保险": (0.65, 0.10, 0.10, 0.12, 0.03), "工伤认定": (0.35, 0.10, 0.10, 0.43, 0.02),
    "加班休假": (0.50, 0.03, 0.30, 0.12, 0.05), "经济补偿": (0.30, 0.05, 0.20, 0.43, 0.02),
    "职业安全": (0.30, 0.05, 0.45, 0.05, 0.15), "入会转会": (0.85, 0.10, 0.00, 0.00, 0.05),
    "困难帮扶": (0.15, 0.80, 0.02, 0.01, 0.02), "心理咨询": (0.25, 0.72, 0.00, 0.00, 0.03),
    "工会福利": (0.50, 0.15, 0.10, 0.00, 0.25), "其他": (0.40, 0.10, 0.10, 0.05, 0.35),
}
COMPLEXITY_BY_TOPIC = {   # 一般 难点 特别复杂  (overall ≈ 80 / 15 / 5)
    "欠薪讨薪": (0.68, 0.22, 0.10), "劳动合同": (0.82, 0.14, 0.04), "社会保险": (0.84, 0.13, 0.03),
    "工伤认定": (0.62, 0.26, 0.12), "加班休假": (0.86, 0.11, 0.03), "经济补偿": (0.70, 0.22, 0.08),
    "职业安全": (0.80, 0.15, 0.05), "入会转会": (0.97, 0.03, 0.00), "困难帮扶": (0.85, 0.13, 0.02),
    "心理咨询": (0.90, 0.09, 0.01), "工会福利": (0.95, 0.05, 0.00), "其他": (0.92, 0.07, 0.01),
}
# topic → (P(employer named), P(amount), median amount per person (元), P(something recovered | closed))
TOPIC_MONEY = {
    "欠薪讨薪": (0.92, 0.97, 9000, 0.82), "劳动合同": (0.85, 0.0, 0, 0.0), "社会保险": (0.85, 0.15, 8000, 0.5),
    "工伤认定": (0.88, 0.35, 45000, 0.55), "加班休假": (0.85, 0.0, 0, 0.0), "经济补偿": (0.92, 0.92, 25000, 0.7),
    "职业安全": (0.80, 0.0, 0, 0.0), "入会转会": (0.35, 0.0, 0, 0.0), "困难帮扶": (0.25, 0.0, 0, 0.0),
    "心理咨询": (0.15, 0.0, 0, 0.0), "工会福利": (0.50, 0.0, 0, 0.0), "其他": (0.25, 0.0, 0, 0.0),
}
# Processing time (days) by complexity: gamma(shape, scale); a long tail is added separately.
DURATION_GAMMA = {"一般": (2.2, 0.85), "难点": (3.0, 2.3), "特别复杂": (3.0, 4.5)}
P_NEVER_CLOSED = 0.003         # disputes (litigation, absconded employers) still open at the end
P_LONG_TAIL = 0.008             # closed some weeks after the time limit
P_VERY_LONG = 0.012             # closed months after the time limit (so recent ones are still open)
P_NO_REVISIT = 0.08             # closed but the caller could not be reached for 回访

# Content and result templates: {emp} employer, {county}, {job}, {ym} "2025年10月", {months},
# {amt} amount, {rec} recovered, {people}, {years}. Topic order follows contract.TOPICS.
# Each entry: (text, needs_amount)
CONTENT_TEMPLATES: dict[str, tuple[tuple[str, bool], ...]] = {
    "欠薪讨薪": (
        ("来电人反映其在{emp}从事{job}工作，自{ym}起被拖欠工资{months}个月，共计{amt}元，多次讨要未果，请求工会帮助追讨。", True),
        ("来电人反映其所在班组共{people}人在{county}{emp}承建的项目务工，工程完工后包工头以资金未到位为由拖欠工资共{amt}元，请求协调解决。", True),
        ("来电人反映{emp}拖欠其{months}个月工资约{amt}元，单位负责人联系不上，询问如何维权。", True),
        ("来电人称年底临近，{emp}仍未结清其{ym}以来的工资{amt}元，家中生活困难，请求工会尽快介入。", True),
        ("来电人反映{emp}拖欠{job}工资，涉及{people}人，具体金额尚未核算，请求工会协调。", False),
    ),
    "劳动合同": (
        ("来电人反映入职{emp}已{months}个月，单位一直未与其签订书面劳动合同，询问能否主张二倍工资。", False),
        ("来电人称{emp}单方面调整其工作岗位并降低工资待遇，询问是否合法。", False),
        ("来电人咨询劳动合同到期后{emp}不再续签，单位是否应当支付经济补偿。", False),
        ("来电人反映{emp}要求其签订空白劳动合同，询问应如何处理。", False),
    ),
    "社会保险": (
        ("来电人反映{emp}未为其缴纳社会保险，已工作{years}年，请求协调补缴。", False),
        ("来电人为{job}，咨询灵活就业人员在{county}如何参加职工养老保险和医疗保险。", False),
        ("来电人称{emp}按最低基数为其缴纳社会保险，与实际工资不符，询问如何处理。", False),
        ("来电人反映{emp}自{ym}起停缴其社会保险，个人垫付医疗费{amt}元无法报销，请求协调。", True),
    ),
    "工伤认定": (
        ("来电人称其在{emp}工作时受伤，单位不予申报工伤，请求工会帮助申请工伤认定。", False),
        ("来电人反映其家属在上班途中发生交通事故，询问能否认定为工伤及办理流程。", False),
        ("来电人称其{ym}在{emp}作业时受伤，已花费医疗费{amt}元，单位拒绝承担，请求帮助。", True),
        ("来电人反映其在{emp}工作期间受伤已认定工伤，单位拖欠工伤待遇{amt}元未支付。", True),
    ),
    "加班休假": (
        ("来电人反映{emp}长期要求职工每天工作12小时以上，加班无加班费，请求工会介入。", False),
        ("来电人咨询法定节假日加班工资的计算标准。", False),
        ("来电人称{emp}不安排带薪年休假也不支付未休年休假工资，询问如何维权。", False),
        ("来电人反映{emp}节假日安排{job}加班后未按规定支付加班费。", False),
    ),
    "经济补偿": (
        ("来电人称被{emp}无故辞退，已工作{years}年，单位拒绝支付经济补偿金约{amt}元，请求法律援助。", True),
        ("来电人反映{emp}经营困难裁员，其与同事共{people}人未获经济补偿，涉及金额{amt}元。", True),
        ("来电人咨询{emp}违法解除劳动合同后赔偿金的计算方式。", False),
    ),
    "职业安全": (
        ("来电人反映{emp}高温天气仍安排露天作业，未发放防暑降温用品，请求工会督促整改。", False),
        ("来电人称{emp}车间粉尘较大，未配发防护用品，担心患职业病。", False),
        ("来电人反映{emp}施工现场安全防护措施不到位，存在安全隐患。", False),
    ),
    "入会转会": (
        ("来电人是{job}，咨询如何加入工会及入会后能享受哪些服务。", False),
        ("来电人咨询从原单位调入{emp}后如何办理工会会员关系转接。", False),
        ("来电人询问{county}新就业形态劳动者线上入会的办理方式。", False),
    ),
    "困难帮扶": (
        ("来电人称家中因病致困，申请困难职工帮扶救助。", False),
        ("来电人反映其子女考上大学，家庭经济困难，咨询金秋助学的申请条件。", False),
        ("来电人称本人失业且患病，家庭生活困难，请求工会给予帮扶。", False),
    ),
    "心理咨询": (
        ("来电人称工作压力大，近期失眠焦虑，希望获得心理疏导。", False),
        ("来电人反映与同事关系紧张，情绪低落，请求心理咨询服务。", False),
        ("来电人为{job}，因长期夜班感到身心疲惫，希望得到心理支持。", False),
    ),
    "工会福利": (
        ("来电人咨询{emp}工会会员节日慰问品的发放标准。", False),
        ("来电人反映单位工会未按规定组织职工疗休养活动。", False),
        ("来电人咨询工会会员普惠服务卡的办理和使用方法。", False),
        ("来电人咨询{county}职工医疗互助保障活动的参加方式。", False),
    ),
    "其他": (
        ("来电人建议在{county}增设户外劳动者服务站。", False),
        ("来电人咨询职工技能培训的报名方式。", False),
        ("来电人对{county}总工会的帮助表示感谢。", False),
        ("来电人反映{county}部分职工之家开放时间较短，建议延长开放时间。", False),
    ),
}
# Results: (text, kind) with kind "rec" (something recovered), "norec" (amount, nothing recovered), "any".
RESULT_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "欠薪讨薪": (
        ("经{county}总工会协调{emp}及劳动保障监察部门，已为职工追回拖欠工资{rec}元，来电人表示认可。", "rec"),
        ("经工会法律援助律师介入调解，{emp}与职工达成还款协议，已支付{rec}元。", "rec"),
        ("已将线索移交{county}人社局劳动保障监察大队处理，并告知来电人可申请劳动仲裁。", "norec"),
        ("经核实{emp}已停业，工会已协助来电人申请劳动仲裁，案件正在审理中。", "norec"),
        ("已联系{emp}核实情况，督促其按时足额发放工资，来电人表示认可。", "plain"),
    ),
    "劳动合同": (
        ("经工会协调，{emp}已与来电人补签劳动合同。", "plain"),
        ("已告知来电人可依据《劳动合同法》第八十二条主张二倍工资差额，并提供法律援助。", "plain"),
        ("已向来电人解答劳动合同相关法律规定，来电人表示理解。", "plain"),
    ),
    "社会保险": (
        ("经协调，{emp}已为来电人补缴社会保险。", "plain"),
        ("已向来电人解释灵活就业人员参保政策及办理渠道。", "plain"),
        ("经协调，{emp}承担来电人医疗费用{rec}元。", "rec"),
        ("已引导来电人向社会保险经办机构投诉，并告知维权途径。", "norec"),
    ),
    "工伤认定": (
        ("工会已协助来电人向人社部门提交工伤认定申请材料。", "plain"),
        ("经调解，{emp}支付医疗费及停工留薪期工资共计{rec}元。", "rec"),
        ("已为来电人指派法律援助律师，指导其申请工伤认定和劳动能力鉴定。", "norec"),
    ),
    "加班休假": (
        ("经{county}总工会约谈，{emp}已补发加班费并承诺规范工时管理。", "plain"),
        ("已向来电人解答加班工资计算标准，来电人表示清楚。", "plain"),
        ("已督促{emp}依法安排职工带薪年休假。", "plain"),
    ),
    "经济补偿": (
        ("经工会调解，{emp}同意支付经济补偿{rec}元，双方达成调解协议。", "rec"),
        ("已为来电人提供法律援助，指导其申请劳动仲裁。", "norec"),
        ("已向来电人解答经济补偿与赔偿金的计算方法。", "plain"),
    ),
    "职业安全": (
        ("已联系{emp}督促整改，现场已配发防暑降温及劳动防护用品。", "plain"),
        ("已将情况通报应急管理部门，并向来电人反馈处理情况。", "plain"),
    ),
    "入会转会": (
        ("已指导来电人通过工会线上入会平台完成入会申请。", "plain"),
        ("已告知会员关系转接的办理流程，来电人表示清楚。", "plain"),
    ),
    "困难帮扶": (
        ("经核实符合条件，已纳入困难职工帮扶并发放救助金。", "plain"),
        ("已告知金秋助学申请条件及所需材料。", "plain"),
        ("已转{county}总工会入户走访，按规定给予临时救助。", "plain"),
    ),
    "心理咨询": (
        ("已安排心理咨询师进行疏导，来电人情绪平稳。", "plain"),
        ("已转介{county}职工心理健康服务站跟进服务。", "plain"),
    ),
    "工会福利": (
        ("已向来电人解答工会福利发放政策。", "plain"),
        ("已督促单位工会按规定组织开展职工福利活动。", "plain"),
    ),
    "其他": (
        ("已记录来电人意见建议，并转相关部门研究。", "plain"),
        ("已解答来电人咨询，来电人表示满意。", "plain"),
    ),
}

# ── Post model tables ────────────────────────────────────────────────────────────────
# post type → (share, area (min, max) m², first year, monthly visits median, P(24h))
POST_MODEL = {
    "职工之家": (0.28, (80, 600), 2006, 260, 0.02),
    "职工书屋": (0.13, (30, 200), 2010, 140, 0.01),
    "户外劳动者服务站": (0.22, (15, 60), 2015, 520, 0.72),
    "司机之家": (0.05, (60, 300), 2018, 380, 0.82),
    "骑手之家": (0.05, (20, 120), 2020, 340, 0.50),
    "妈咪小屋": (0.09, (8, 30), 2014, 60, 0.02),
    "职工服务中心": (0.05, (300, 2000), 2010, 800, 0.03),
    "劳模创新工作室": (0.07, (50, 300), 2012, 100, 0.01),
    "心理健康服务站": (0.05, (30, 150), 2018, 80, 0.02),
    "工人文化宫": (0.01, (3000, 20000), 1985, 3000, 0.0),
}
assert tuple(POST_MODEL) == C.POST_TYPES
LANDMARKS_DRIVER = ("物流园", "货运枢纽", "汽车站", "高速服务区", "加油站", "工业园区")
LANDMARKS_RIDER = ("鼓楼", "万达", "步行街", "商业街", "城市广场", "新华联")
URBAN_DRIVER = ("万达", "大阅城", "建发现代城")
ACTIVITY_BASE = {   # post type → weights over contract.ACTIVITY_TYPES (送清凉/送温暖 only apply in season)
    "职工之家": (0.25, 0.30, 1.0, 0.6, 0.6, 1.4, 0.8, 0.5, 0.6),
    "职工书屋": (0.1, 0.2, 0.5, 0.4, 0.3, 0.4, 0.3, 3.0, 0.3),
    "户外劳动者服务站": (1.6, 1.2, 0.3, 0.2, 0.4, 0.3, 1.2, 0.1, 0.1),
    "司机之家": (1.2, 0.8, 0.5, 0.3, 0.6, 0.4, 1.0, 0.1, 0.2),
    "骑手之家": (1.2, 0.8, 0.6, 0.4, 0.7, 0.5, 1.0, 0.1, 0.3),
    "妈咪小屋": (0.1, 0.3, 0.5, 1.2, 0.3, 0.3, 0.6, 0.5, 0.2),
    "职工服务中心": (0.5, 0.8, 1.5, 0.6, 1.2, 0.8, 1.2, 0.3, 0.6),
    "劳模创新工作室": (0.1, 0.2, 3.0, 0.1, 0.2, 0.3, 0.2, 0.4, 0.1),
    "心理健康服务站": (0.1, 0.3, 0.3, 3.0, 0.3, 0.3, 0.3, 0.4, 0.3),
    "工人文化宫": (0.3, 0.6, 1.2, 0.5, 0.5, 2.0, 0.8, 0.8, 0.8),
}
ACTIVITY_PARTICIPANTS = (80, 60, 35, 45, 30, 110, 90, 25, 55)   # median 参与人次 per activity type
TARGET_BY_ACTIVITY = {   # activity type → weights over contract.TARGET_GROUPS
    "送清凉": (0.10, 0.30, 0.08, 0.30, 0.07, 0.08, 0.07, 0.00),
    "送温暖": (0.30, 0.25, 0.05, 0.20, 0.05, 0.05, 0.05, 0.05),
    "技能培训": (0.45, 0.25, 0.10, 0.00, 0.05, 0.03, 0.02, 0.10),
    "心理健康讲座": (0.60, 0.05, 0.10, 0.00, 0.03, 0.03, 0.04, 0.15),
    "法律咨询": (0.35, 0.35, 0.15, 0.03, 0.04, 0.03, 0.03, 0.02),
    "文体活动": (0.70, 0.10, 0.05, 0.02, 0.02, 0.02, 0.02, 0.07),
    "普惠服务": (0.55, 0.10, 0.15, 0.05, 0.04, 0.04, 0.04, 0.03),
    "读书分享": (0.75, 0.05, 0.05, 0.00, 0.00, 0.00, 0.00, 0.15),
    "联谊交友": (0.80, 0.05, 0.10, 0.00, 0.00, 0.00, 0.00, 0.05),
}
SKILLS = ("电工", "焊工", "育婴师", "家政服务", "电子商务", "直播带货", "中式烹调", "叉车操作", "安全生产", "数控车床")
SPORTS = ("篮球", "乒乓球", "羽毛球", "拔河", "象棋", "广场舞", "健步走")
ACTIVITY_TITLES: dict[str, tuple[str, ...]] = {
    "送清凉": ("{year}年{county}送清凉进工地活动", "{year}年{county}“夏送清凉”慰问户外劳动者活动",
             "{year}年{post}送清凉活动"),
    "送温暖": ("{year}年{county}“两节”送温暖慰问活动", "{year}年{post}冬送温暖活动",
             "{year}年{county}元旦春节送温暖慰问困难职工活动"),
    "技能培训": ("{post}{skill}技能培训", "{year}年{county}职工{skill}技能提升培训班"),
    "心理健康讲座": ("{post}职工心理健康讲座", "{year}年{county}“关爱职工心理健康”专题讲座"),
    "法律咨询": ("{post}劳动法律法规咨询服务", "{year}年{county}法律服务进基层活动"),
    "文体活动": ("{post}职工{sport}比赛", "{year}年{county}职工趣味运动会"),
    "普惠服务": ("{post}职工普惠服务日活动", "{year}年{county}工会会员普惠服务进企业活动"),
    "读书分享": ("{post}“书香宁夏·职工阅读”读书分享会", "{year}年{county}职工读书月活动"),
    "联谊交友": ("{year}年{county}青年职工联谊交友活动", "{post}单身职工联谊会"),
}
assert tuple(ACTIVITY_TITLES) == C.ACTIVITY_TYPES and tuple(TARGET_BY_ACTIVITY) == C.ACTIVITY_TYPES


# ════════════════════════════════════════════════════════════════════════════════════
# Small vectorised helpers
# ════════════════════════════════════════════════════════════════════════════════════

def _rng(seed: int, stream: int, *extra: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, stream, *extra])))


def _norm(w: Sequence[float] | np.ndarray) -> np.ndarray:
    a = np.asarray(w, dtype=np.float64)
    return a / a.sum()


def _choice_by_group(rng: np.random.Generator, groups: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """For each row, draw an index from the probability row `probs[groups[row]]` (inverse CDF)."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(groups))
    rows = cum[groups]
    out = (u[:, None] >= rows).sum(axis=1)
    return np.minimum(out, probs.shape[1] - 1)


def _pick(rng: np.random.Generator, offsets: np.ndarray, counts: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """A uniformly chosen position within each row's group block [offset, offset+count)."""
    return offsets[groups] + np.floor(rng.random(len(groups)) * counts[groups]).astype(np.int64)


def _strs(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def _take(values: pa.Array, idx: np.ndarray) -> pa.Array:
    return values.take(pa.array(idx, pa.int64()))


def _join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays / literals element-wise (null in → null out)."""
    return pc.binary_join_element_wise(*parts, "")


def _int_str(a: np.ndarray, width: int = 0) -> pa.Array:
    s = pc.cast(pa.array(a, pa.int64()), pa.string())
    return pc.utf8_lpad(s, width, "0") if width else s


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=None)
def _parse_template(text: str) -> tuple[tuple[bool, str], ...]:
    """A template as (is_variable, literal-or-name) parts."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            parts.append((False, text[pos:m.start()]))
        parts.append((True, m.group(1)))
        pos = m.end()
    if pos < len(text):
        parts.append((False, text[pos:]))
    return tuple(parts)


def _render(template_ids: np.ndarray, templates: Sequence[str], variables: dict[str, pa.Array]) -> pa.Array:
    """Fill row-wise chosen templates (-1 → NULL) with the rows' variables; vectorised per template."""
    n = len(template_ids)
    pieces: list[pa.Array] = []
    positions: list[np.ndarray] = []
    for t in np.unique(template_ids):
        rows = np.flatnonzero(template_ids == t)
        if t < 0:
            pieces.append(pa.nulls(len(rows), pa.string()))
        else:
            parts = _parse_template(templates[t])
            args: list[pa.Array | str] = [(_take(variables[v], rows) if is_var else v) for is_var, v in parts]
            if not any(isinstance(a, pa.Array) for a in args):
                pieces.append(pa.repeat(pa.scalar(templates[t], pa.string()), len(rows)))
            else:
                if not isinstance(args[0], pa.Array):   # binary_join needs an array to size the output
                    args.insert(0, pa.repeat(pa.scalar("", pa.string()), len(rows)))
                pieces.append(_join(*args))
        positions.append(rows)
    if not pieces:
        return pa.nulls(0, pa.string())
    stacked = pa.concat_arrays(pieces)
    order = np.concatenate(positions)
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.arange(n)
    return _take(stacked, inverse)


def _ts(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(us.astype("datetime64[us]"), pa.timestamp("us"), mask=mask)


def _dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(days.astype("datetime64[D]"), pa.date32(), mask=mask)


def _decimal_cents(cents: np.ndarray, valid: np.ndarray) -> pa.Array:
    """int64 cents → decimal128(12, 2) (built from the 128-bit little-endian representation)."""
    n = len(cents)
    words = np.zeros((n, 2), dtype=np.int64)
    c = np.where(valid, cents, 0).astype(np.int64)
    words[:, 0] = c
    words[:, 1] = np.where(c < 0, -1, 0)
    # a fresh boolean array's value bitmap is exactly the validity bitmap we need
    validity = None if valid.all() else pa.array(valid, pa.bool_()).buffers()[1]
    return pa.Array.from_buffers(pa.decimal128(12, 2), n, [validity, pa.py_buffer(words.tobytes())],
                                 null_count=int(n - valid.sum()))


def _month_index(days: np.ndarray) -> np.ndarray:
    """Days since epoch → months since epoch (year*12 + month − 1 − 1970*12)."""
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_of_year(days: np.ndarray) -> np.ndarray:
    return _month_index(days) % 12 + 1


def _year(days: np.ndarray) -> np.ndarray:
    return _month_index(days) // 12 + 1970


def _epoch_day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


US_PER_DAY = 86_400_000_000
US_PER_S = 1_000_000


# ════════════════════════════════════════════════════════════════════════════════════
# Shared dimensions
# ════════════════════════════════════════════════════════════════════════════════════

def _regions_table() -> pa.Table:
    return pa.table({
        "region_code": _strs([r.code for r in C.REGIONS]),
        "region_name": _strs([r.name for r in C.REGIONS]),
        "region_level": _strs([r.level for r in C.REGIONS]),
        "parent_code": pa.array([r.parent for r in C.REGIONS], pa.string()),
    })


def _county_short(name: str) -> str:
    """银川市 → 银川; 海原县 keeps its suffix (used in company prefixes)."""
    return name[:-1] if name.endswith("市") else name


@dataclass
class Orgs:
    """The union_orgs tree plus the lookups the facts need."""
    table: pa.Table
    county_union: dict[str, int]                       # county code → 县区总工会 org_id
    city_union: dict[str, int]                         # city code → 市总工会 org_id
    townships: dict[str, list[tuple[int, str]]]        # county code → [(org_id, township name)]
    base: dict[str, list[tuple[int, str]]]             # county code → [(org_id, unit name without 工会)]
    employers: list[tuple[str, str, str]]              # (county code, industry, company name), sorted
    employer_offsets: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # per (county, industry)
    employer_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


def _company_pool(rng: np.random.Generator, per_group: int = 24) -> list[tuple[str, str, str]]:
    """Unique company names per (county, industry): 宁夏鑫源建设工程有限公司, 海原县恒达商贸有限公司 …"""
    pool: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for county in C.COUNTIES:
        city = C.REGION_BY_CODE[county.parent or ""].name
        prefixes = ("宁夏", _county_short(city), county.name)
        for industry in C.INDUSTRIES:
            suffixes = INDUSTRY_PARTS[industry][0]
            made = 0
            tries = 0
            while made < per_group and tries < per_group * 20:
                tries += 1
                p = prefixes[int(rng.choice(3, p=(0.45, 0.2, 0.35)))]
                name = p + FIRMS[int(rng.integers(len(FIRMS)))] + suffixes[int(rng.integers(len(suffixes)))]
                if name in seen:
                    continue
                seen.add(name)
                pool.append((county.code, industry, name))
                made += 1
    return pool


def _random_dates(rng: np.random.Generator, lo: np.ndarray | int, hi: np.ndarray | int, n: int) -> np.ndarray:
    lo_a = np.broadcast_to(np.asarray(lo, np.int64), (n,))
    hi_a = np.broadcast_to(np.asarray(hi, np.int64), (n,))
    return lo_a + np.floor(rng.random(n) * (hi_a - lo_a + 1)).astype(np.int64)


def build_orgs(seed: int, end: dt.date) -> Orgs:
    """The union_orgs tree: root, cities, counties, townships, industry unions, 基层工会."""
    rng = _rng(seed, _STREAM_ORGS)
    end_day = _epoch_day(end)
    ids: list[int] = []
    names: list[str] = []
    levels: list[str] = []
    parents: list[int | None] = []
    regions: list[str] = []
    members: list[int | None] = []
    est: list[int] = []

    def add(name: str, level: str, parent: int | None, region: str, established: dt.date, member: int | None = None) -> int:
        oid = len(ids) + 1
        ids.append(oid); names.append(name); levels.append(level); parents.append(parent)
        regions.append(region); members.append(member); est.append(_epoch_day(min(established, end)))
        return oid

    root = add("宁夏回族自治区总工会", "自治区总工会", None, C.ROOT_REGION, dt.date(1958, 10, 25))
    city_years = {"640100": 1954, "640200": 1960, "640300": 1998, "640400": 2002, "640500": 2004}
    city_union = {c.code: add(f"{c.name}总工会", "市总工会", root, c.code,
                              dt.date(city_years[c.code], int(rng.integers(1, 13)), int(rng.integers(1, 28))))
                  for c in C.CITIES}
    county_union: dict[str, int] = {}
    for county in C.COUNTIES:
        year = int(rng.integers(1958, 2001)) if county.code != "640303" else 2010   # 红寺堡区 set up 2009
        county_union[county.code] = add(f"{county.name}总工会", "县区总工会", city_union[county.parent or ""],
                                         county.code, dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 28))))
    townships: dict[str, list[tuple[int, str]]] = {}
    for info in COUNTY_INFO:
        county = C.REGION_BY_CODE[info.code]
        townships[info.code] = []
        for t in info.townships:
            year = int(rng.integers(1985, 2016))
            oid = add(f"{county.name}{t}工会", "乡镇街道工会", county_union[info.code], info.code,
                      dt.date(year, int(rng.integers(1, 13)), int(rng.integers(1, 28))))
            townships[info.code].append((oid, t))
    industry_ids = [add(name, "产业工会", root, C.ROOT_REGION,
                        dt.date(int(rng.integers(1980, 2000)), int(rng.integers(1, 13)), int(rng.integers(1, 28))))
                    for name, _ in INDUSTRY_UNIONS]

    employers = _company_pool(rng)
    # 基层工会: counties weighted by population; parent township (60%), county (32%), industry (8%).
    pops = _norm([c.pop for c in COUNTY_INFO])
    county_idx = rng.choice(len(COUNTY_INFO), size=N_BASE_UNIONS, p=pops)
    kind = rng.choice(3, size=N_BASE_UNIONS, p=(0.60, 0.32, 0.08))
    members_n = np.clip(np.round(np.exp(rng.normal(4.4, 1.05, N_BASE_UNIONS))), 5, 30000).astype(np.int64)
    est_days = _random_dates(rng, _epoch_day(dt.date(1985, 1, 1)), end_day - 30, N_BASE_UNIONS)
    by_county: dict[str, list[str]] = {}
    for code, _ind, name in employers:
        by_county.setdefault(code, []).append(name)
    used: set[str] = set()
    base: dict[str, list[tuple[int, str]]] = {c.code: [] for c in C.COUNTIES}
    institution_kinds = ("第{n}中学", "第{n}小学", "人民医院", "中医医院", "妇幼保健院", "市场监督管理局",
                         "人力资源和社会保障局", "教育局", "住房和城乡建设局", "卫生健康局", "第{n}幼儿园",
                         "疾病预防控制中心", "农业农村局", "职业技术学校", "融媒体中心")
    for i in range(N_BASE_UNIONS):
        info = COUNTY_INFO[int(county_idx[i])]
        county = C.REGION_BY_CODE[info.code]
        k = int(kind[i])
        unit = ""
        for _ in range(30):
            if k == 2:
                j = int(rng.integers(len(INDUSTRY_UNIONS)))
                pattern = INDUSTRY_UNIONS[j][1][int(rng.integers(len(INDUSTRY_UNIONS[j][1])))]
                unit = pattern.format(c=county.name)
                parent = industry_ids[j]
            elif rng.random() < 0.25:
                inst = institution_kinds[int(rng.integers(len(institution_kinds)))]
                unit = county.name + inst.format(n="一二三四五六七八九十"[int(rng.integers(10))])
                parent = county_union[info.code] if k == 1 else townships[info.code][int(rng.integers(len(townships[info.code])))][0]
            else:
                cands = by_county[info.code]
                unit = cands[int(rng.integers(len(cands)))]
                parent = county_union[info.code] if k == 1 else townships[info.code][int(rng.integers(len(townships[info.code])))][0]
            if unit not in used:
                break
        if unit in used:
            continue
        used.add(unit)
        est_date = dt.date(1970, 1, 1) + dt.timedelta(days=int(est_days[i]))
        oid = add(f"{unit}工会", "基层工会", parent, info.code, est_date, int(members_n[i]))
        base[info.code].append((oid, unit))

    table = pa.table({
        "org_id": pa.array(ids, pa.int32()),
        "org_name": _strs(names),
        "org_level": _strs(levels),
        "parent_org_id": pa.array(parents, pa.int32()),
        "region_code": _strs(regions),
        "member_count": pa.array(members, pa.int32()),
        "established_on": _dates(np.array(est, np.int64)),
    })
    group = np.array([COUNTY_POS[c] * len(C.INDUSTRIES) + C.INDUSTRIES.index(ind) for c, ind, _ in employers])
    counts = np.bincount(group, minlength=len(C.COUNTIES) * len(C.INDUSTRIES)).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    assert (np.diff(group) >= 0).all()   # the pool is built county by county, industry by industry
    return Orgs(table, county_union, city_union, townships, base, employers, offsets, counts)


# ════════════════════════════════════════════════════════════════════════════════════
# Hotline tickets
# ════════════════════════════════════════════════════════════════════════════════════

def _spring_festival(year: int) -> int:
    m, d = SPRING_FESTIVAL.get(year, (2, 1))
    return _epoch_day(dt.date(year, m, d))


def _day_weights(start_day: int, end_day: int) -> np.ndarray:
    """Relative ticket volume per day: growth, month, weekday and holiday effects."""
    days = np.arange(start_day, end_day + 1)
    moy = _month_of_year(days)
    weekday = (days + 3) % 7           # 1970-01-01 was a Thursday → Monday = 0
    w = np.array(VOLUME_MONTH)[moy - 1] * np.array(VOLUME_WEEKDAY)[weekday]
    w *= (1 + YEARLY_GROWTH) ** ((days - start_day) / 365.25)
    years = _year(days)
    for y in np.unique(years):
        sf = _spring_festival(int(y))
        w[(days >= sf - 1) & (days <= sf + 6)] *= 0.4                                  # 春节假期
        nd = _epoch_day(dt.date(int(y), 10, 1))
        w[(days >= nd) & (days <= nd + 6)] *= 0.6                                      # 国庆假期
    return w


def _topic_probs(start_day: int, end_day: int) -> np.ndarray:
    """days × topics probability matrix (month seasonality, wage claims before Spring Festival)."""
    days = np.arange(start_day, end_day + 1)
    moy = _month_of_year(days)
    p = np.tile(TOPIC_WEIGHTS, (len(days), 1))
    for topic, mult in TOPIC_MONTH.items():
        p[:, C.TOPICS.index(topic)] *= np.array(mult)[moy - 1]
    years = _year(days)
    wage = C.TOPICS.index("欠薪讨薪")
    for y in np.unique(years):
        for yy in (int(y), int(y) + 1):
            sf = _spring_festival(yy)
            p[(days >= sf - 40) & (days < sf - 1), wage] *= 1.35
    return p / p.sum(axis=1, keepdims=True)


def _ticket_times(seed: int, n: int, start: dt.date, end: dt.date) -> np.ndarray:
    """Sorted received_at for all tickets, in µs since the epoch (all within start … end)."""
    rng = _rng(seed, _STREAM_TICKET_TIMES, n)
    start_day, end_day = _epoch_day(start), _epoch_day(end)
    per_day = rng.multinomial(n, _norm(_day_weights(start_day, end_day)))
    day = np.repeat(np.arange(start_day, end_day + 1, dtype=np.int64), per_day)
    hour = rng.choice(24, size=n, p=_norm(HOUR_WEIGHTS))
    sec = hour * 3600 + rng.integers(0, 3600, size=n)
    us = day * US_PER_DAY + sec * US_PER_S
    return np.sort(us, kind="stable")


def _ticket_chunk(rng: np.random.Generator, received_us: np.ndarray, seq: np.ndarray, ctx: "_TicketContext") -> pa.Table:
    """All columns of one chunk of tickets (received_us sorted; seq = number within the day)."""
    n = len(received_us)
    day = received_us // US_PER_DAY
    day_idx = day - ctx.start_day
    hour = (received_us % US_PER_DAY) // (3600 * US_PER_S)

    region = rng.choice(len(C.COUNTIES), size=n, p=ctx.county_p)
    working = ((hour >= 8) & (hour < 18)).astype(np.int64)
    channel = _choice_by_group(rng, working, np.array([CHANNEL_P_OFF, CHANNEL_P_WORK]))
    topic = _choice_by_group(rng, day_idx, ctx.topic_p)
    industry = _choice_by_group(rng, topic, ctx.industry_by_topic)
    group = _choice_by_group(rng, industry, ctx.group_by_industry)
    hardship = (topic == C.TOPICS.index("困难帮扶")) & (rng.random(n) < 0.6)
    group[hardship] = C.CALLER_GROUPS.index("困难职工")
    male = rng.random(n) < ctx.male_p[industry]
    request = _choice_by_group(rng, topic, ctx.request_by_topic)
    complexity = _choice_by_group(rng, topic, ctx.complexity_by_topic)

    # caller: surname + 1–2 given characters by gender; 11-digit mobile number
    surname = _take(ctx.surnames, rng.choice(len(SURNAMES), size=n, p=ctx.surname_p))
    g_first = np.where(male, rng.integers(0, len(GIVEN_MALE), n), len(GIVEN_MALE) + rng.integers(0, len(GIVEN_FEMALE), n))
    g_second = np.where(male, rng.integers(0, len(GIVEN_MALE), n), len(GIVEN_MALE) + rng.integers(0, len(GIVEN_FEMALE), n))
    g_second = np.where(rng.random(n) < 0.72, g_second, len(GIVEN_MALE) + len(GIVEN_FEMALE))   # "" → 1-char name
    caller_name = _join(surname, _take(ctx.given, g_first), _take(ctx.given, g_second))
    phone = _join(_take(ctx.phone_prefixes, rng.choice(len(PHONE_PREFIXES), size=n, p=ctx.phone_p)),
                  _int_str(rng.integers(0, 100_000_000, n), 8))

    # employer: a company of the ticket's county and industry, NULL for some topics
    emp_idx = _pick(rng, ctx.orgs.employer_offsets, ctx.orgs.employer_counts, region * len(C.INDUSTRIES) + industry)
    has_emp = rng.random(n) < ctx.p_employer[topic]
    employer = pc.if_else(pa.array(has_emp), _take(ctx.employer_names, emp_idx), pa.scalar(None, pa.string()))

    # handling union: mostly the county's 县区总工会, sometimes the city's, rarely a township union
    r = rng.random(n)
    handling = np.where(r < 0.87, ctx.county_union_id[region], ctx.city_union_id[region])
    town = r >= 0.975
    handling[town] = ctx.township_ids[_pick(rng, ctx.township_offsets, ctx.township_counts, region[town])]

    # people and money
    wage_topic = topic == C.TOPICS.index("欠薪讨薪")
    comp_topic = topic == C.TOPICS.index("经济补偿")
    people = np.ones(n, np.int64)
    many = rng.random(n)
    extra = rng.geometric(0.35, n)
    people = np.where(wage_topic & (many < 0.45), 1 + extra, people)
    people = np.where(wage_topic & (many < 0.07), rng.integers(10, 121, n), people)
    people = np.where(comp_topic & (many < 0.25), 1 + extra, people)
    people = np.where(~wage_topic & ~comp_topic & (many < 0.06), 1 + np.minimum(extra, 6), people)
    has_amt = rng.random(n) < ctx.p_amount[topic]
    per_person = ctx.amount_median[topic] * np.exp(rng.normal(0, 0.75, n))
    scale = np.where(wage_topic | comp_topic, people, 1)
    amount_yuan = np.clip(np.round(per_person * scale / 10) * 10, 200, 5_000_000).astype(np.int64)

    # processing: duration by complexity, a long tail, some never closed within the data
    limit_days = ctx.limit_days[complexity]
    received_s = received_us // US_PER_S
    due_s = received_s + limit_days * 86_400
    shape, scl = ctx.gamma_shape[complexity], ctx.gamma_scale[complexity]
    dur_days = rng.gamma(shape, scl)
    hard_case = wage_topic | comp_topic | (topic == C.TOPICS.index("工伤认定"))
    tail_p = P_LONG_TAIL * np.where(hard_case, 1.6, 0.6)
    tail = rng.random(n) < tail_p
    dur_days = np.where(tail, limit_days + np.exp(rng.normal(3.2, 0.8, n)), dur_days)
    very_long = rng.random(n) < P_VERY_LONG * np.where(hard_case, 1.6, 0.6)
    dur_days = np.where(very_long, limit_days + np.exp(rng.normal(4.6, 0.6, n)), dur_days)
    never_p = P_NEVER_CLOSED * np.where(hard_case, 1.8, 0.55) * np.where(complexity > 0, 1.8, 0.8)
    never = rng.random(n) < never_p
    dur_s = np.maximum(np.round(dur_days * 86_400).astype(np.int64), 1800)
    closed_s = received_s + dur_s
    # cases are closed in office hours: early closings move to the morning, late ones to the next morning
    tod = closed_s % 86_400
    office = (closed_s - tod) + 8 * 3600 + 1800 + rng.integers(0, 9 * 3600 + 1800, n)
    closed_s = np.where(tod < 8 * 3600 + 1800, np.maximum(office, received_s + 600),
                        np.where(tod >= 19 * 3600, office + 86_400, closed_s))
    closed = (~never) & (closed_s <= ctx.end_s)
    revisit_s = closed_s + rng.integers(3_600, 4 * 86_400, n)
    revisited = closed & (revisit_s <= ctx.end_s) & (rng.random(n) >= P_NO_REVISIT)
    fresh = (ctx.end_s - received_s) < 86_400 * 1.5
    undispatched = (~closed) & fresh & (rng.random(n) < 0.6)
    status = np.where(revisited, 3, np.where(closed, 2, np.where(undispatched, 0, 1)))

    recovered_p = ctx.p_recovered[topic]
    got = closed & has_amt & (rng.random(n) < recovered_p)
    frac = np.where(rng.random(n) < 0.55, 1.0, rng.beta(4, 2, n))
    recovered_yuan = np.where(frac >= 1.0, amount_yuan, np.floor(amount_yuan * frac / 10) * 10).astype(np.int64)
    got &= recovered_yuan > 0

    overdue = closed & (closed_s > due_s)
    p_bad = 0.033 + 0.09 * overdue + 0.07 * (closed & has_amt & ~got) + 0.03 * (complexity == 2)
    s = rng.random(n)
    satisfaction = np.where(s < p_bad, 2, np.where(s < p_bad + 0.12, 1, 0))

    # texts
    months_back = rng.integers(1, 9, n)
    recv_month = _month_index(day) - months_back
    ym = _join(_int_str(recv_month // 12 + 1970), "年", _int_str(recv_month % 12 + 1), "月")
    jobs = _take(ctx.jobs, _pick(rng, ctx.job_offsets, ctx.job_counts, industry))
    county_name = _take(ctx.county_names, region)
    variables = {
        "emp": pc.fill_null(employer, "所在单位"),
        "county": county_name,
        "job": jobs,
        "ym": ym,
        "months": _int_str(months_back),
        "amt": _int_str(amount_yuan),
        "rec": _int_str(recovered_yuan),
        "people": _int_str(people),
        "years": _int_str(rng.integers(1, 11, n)),
    }
    c_group = topic * 2 + has_amt.astype(np.int64)
    content_t = ctx.content_ids[_pick(rng, ctx.content_offsets, ctx.content_counts, c_group)]
    r_group = topic * 3 + np.where(got, 1, np.where(has_amt, 2, 0))
    result_t = ctx.result_ids[_pick(rng, ctx.result_offsets, ctx.result_counts, r_group)]
    result_t = np.where(closed, result_t, -1)

    day_str = pc.strftime(_dates(day), format="%Y%m%d")
    ticket_no = _join("NX", day_str, _int_str(seq, 6))

    return pa.table({
        "ticket_no": ticket_no,
        "received_at": _ts(received_us),
        "channel": _take(ctx.channels, channel),
        "caller_name": caller_name,
        "caller_phone": phone,
        "caller_gender": _take(ctx.genders, np.where(male, 0, 1)),
        "caller_group": _take(ctx.caller_groups, group),
        "industry": _take(ctx.industries, industry),
        "request_type": _take(ctx.request_types, request),
        "topic": _take(ctx.topics, topic),
        "complexity": _take(ctx.complexities, complexity),
        "region_code": _take(ctx.county_codes, region),
        "employer_name": employer,
        "handling_org_id": pa.array(handling, pa.int32()),
        "status": _take(ctx.statuses, status),
        "due_at": _ts(due_s * US_PER_S),
        "closed_at": _ts(closed_s * US_PER_S, closed),
        "satisfaction": pc.if_else(pa.array(revisited), _take(ctx.satisfactions, satisfaction),
                                   pa.scalar(None, pa.string())),
        "people_involved": pa.array(people, pa.int32()),
        "amount_involved": _decimal_cents(amount_yuan * 100, has_amt),
        "amount_recovered": _decimal_cents(recovered_yuan * 100, got),
        "content": _render(content_t, ctx.content_texts, variables),
        "result": _render(result_t, ctx.result_texts, variables),
    })


@dataclass
class _TicketContext:
    """Lookup arrays shared by all ticket chunks."""
    orgs: Orgs
    start_day: int
    end_s: int
    county_p: np.ndarray
    topic_p: np.ndarray
    industry_by_topic: np.ndarray
    group_by_industry: np.ndarray
    request_by_topic: np.ndarray
    complexity_by_topic: np.ndarray
    male_p: np.ndarray
    p_employer: np.ndarray
    p_amount: np.ndarray
    amount_median: np.ndarray
    p_recovered: np.ndarray
    limit_days: np.ndarray
    gamma_shape: np.ndarray
    gamma_scale: np.ndarray
    county_union_id: np.ndarray
    city_union_id: np.ndarray
    township_ids: np.ndarray
    township_offsets: np.ndarray
    township_counts: np.ndarray
    surname_p: np.ndarray
    phone_p: np.ndarray
    job_offsets: np.ndarray
    job_counts: np.ndarray
    content_ids: np.ndarray
    content_offsets: np.ndarray
    content_counts: np.ndarray
    content_texts: list[str]
    result_ids: np.ndarray
    result_offsets: np.ndarray
    result_counts: np.ndarray
    result_texts: list[str]
    surnames: pa.Array = field(default_factory=lambda: _strs([s for s, _ in SURNAMES]))
    given: pa.Array = field(default_factory=lambda: _strs([*GIVEN_MALE, *GIVEN_FEMALE, ""]))
    phone_prefixes: pa.Array = field(default_factory=lambda: _strs([p for p, _ in PHONE_PREFIXES]))
    jobs: pa.Array = field(default_factory=lambda: _strs([j for ind in C.INDUSTRIES for j in INDUSTRY_PARTS[ind][1]]))
    county_names: pa.Array = field(default_factory=lambda: _strs([c.name for c in C.COUNTIES]))
    county_codes: pa.Array = field(default_factory=lambda: _strs([c.code for c in C.COUNTIES]))
    channels: pa.Array = field(default_factory=lambda: _strs(C.CHANNELS))
    genders: pa.Array = field(default_factory=lambda: _strs(C.GENDERS))
    caller_groups: pa.Array = field(default_factory=lambda: _strs(C.CALLER_GROUPS))
    industries: pa.Array = field(default_factory=lambda: _strs(C.INDUSTRIES))
    request_types: pa.Array = field(default_factory=lambda: _strs(C.REQUEST_TYPES))
    topics: pa.Array = field(default_factory=lambda: _strs(C.TOPICS))
    complexities: pa.Array = field(default_factory=lambda: _strs(C.COMPLEXITIES))
    statuses: pa.Array = field(default_factory=lambda: _strs(C.TICKET_STATUSES))
    satisfactions: pa.Array = field(default_factory=lambda: _strs(C.SATISFACTIONS))
    employer_names: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))


def _blocks(groups: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten lists of ids per group into (ids, offsets, counts)."""
    counts = np.array([len(g) for g in groups], np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    ids = np.array([i for g in groups for i in g], np.int64)
    return ids, offsets, counts


def _ticket_context(orgs: Orgs, start: dt.date, end: dt.date) -> _TicketContext:
    start_day, end_day = _epoch_day(start), _epoch_day(end)
    # 银川 draws a little more than its population share (services, new-economy work).
    county_w = np.array([c.pop * (1.12 if c.code.startswith("6401") else 1.0) for c in COUNTY_INFO])
    industry_by_topic = np.tile(INDUSTRY_WEIGHTS, (len(C.TOPICS), 1))
    for topic, mult in INDUSTRY_BY_TOPIC.items():
        for ind, m in mult.items():
            industry_by_topic[C.TOPICS.index(topic), C.INDUSTRIES.index(ind)] *= m
    group_by_industry = np.array([CALLER_GROUP_BY_INDUSTRY.get(i, CALLER_GROUP_DEFAULT) for i in C.INDUSTRIES])
    content_texts: list[str] = []
    content_groups: list[list[int]] = []
    for topic in C.TOPICS:
        for with_amt in (False, True):   # group topic*2 + has_amount: templates quoting an amount or not
            texts = [t for t, needs in CONTENT_TEMPLATES[topic] if needs == with_amt]
            texts = texts or [t for t, _ in CONTENT_TEMPLATES[topic] if "{amt}" not in t]
            for text in texts:
                if text not in content_texts:
                    content_texts.append(text)
            content_groups.append([content_texts.index(t) for t in texts])
    result_texts: list[str] = []
    result_groups: list[list[int]] = []
    for topic in C.TOPICS:
        for kind in ("plain", "rec", "norec"):   # 0: no amount, 1: recovered, 2: amount, nothing recovered
            wanted = {"plain": ("plain",), "rec": ("rec",), "norec": ("norec", "plain")}[kind]
            ids = []
            for text, k in RESULT_TEMPLATES[topic]:
                if k in wanted:
                    if text not in result_texts:
                        result_texts.append(text)
                    ids.append(result_texts.index(text))
            if not ids:
                for text, k in RESULT_TEMPLATES[topic]:
                    if k == "plain":
                        if text not in result_texts:
                            result_texts.append(text)
                        ids.append(result_texts.index(text))
            result_groups.append(ids)
    c_ids, c_off, c_cnt = _blocks(content_groups)
    r_ids, r_off, r_cnt = _blocks(result_groups)
    t_ids, t_off, t_cnt = _blocks([[oid for oid, _ in orgs.townships[c.code]] for c in C.COUNTIES])
    job_counts = np.array([len(INDUSTRY_PARTS[i][1]) for i in C.INDUSTRIES], np.int64)
    job_offsets = np.concatenate([[0], np.cumsum(job_counts)[:-1]]).astype(np.int64)
    money = [TOPIC_MONEY[t] for t in C.TOPICS]
    return _TicketContext(
        orgs=orgs, start_day=start_day, end_s=(end_day + 1) * 86_400 - 1,
        county_p=_norm(county_w),
        topic_p=_topic_probs(start_day, end_day),
        industry_by_topic=industry_by_topic,
        group_by_industry=group_by_industry,
        request_by_topic=np.array([REQUEST_BY_TOPIC[t] for t in C.TOPICS]),
        complexity_by_topic=np.array([COMPLEXITY_BY_TOPIC[t] for t in C.TOPICS]),
        male_p=np.array([INDUSTRY_PARTS[i][2] for i in C.INDUSTRIES]),
        p_employer=np.array([m[0] for m in money]),
        p_amount=np.array([m[1] for m in money]),
        amount_median=np.array([m[2] for m in money], np.float64),
        p_recovered=np.array([m[3] for m in money]),
        limit_days=np.array([C.COMPLEXITY_LIMIT_DAYS[c] for c in C.COMPLEXITIES], np.int64),
        gamma_shape=np.array([DURATION_GAMMA[c][0] for c in C.COMPLEXITIES]),
        gamma_scale=np.array([DURATION_GAMMA[c][1] for c in C.COMPLEXITIES]),
        county_union_id=np.array([orgs.county_union[c.code] for c in C.COUNTIES], np.int64),
        city_union_id=np.array([orgs.city_union[c.parent or ""] for c in C.COUNTIES], np.int64),
        township_ids=t_ids, township_offsets=t_off, township_counts=t_cnt,
        surname_p=_norm([w for _, w in SURNAMES]),
        phone_p=_norm([w for _, w in PHONE_PREFIXES]),
        job_offsets=job_offsets, job_counts=job_counts,
        content_ids=c_ids, content_offsets=c_off, content_counts=c_cnt, content_texts=content_texts,
        result_ids=r_ids, result_offsets=r_off, result_counts=r_cnt, result_texts=result_texts,
        employer_names=_strs([name for _, _, name in orgs.employers]),
    )


def iter_tickets(seed: int, n: int, start: dt.date, end: dt.date, orgs: Orgs,
                 chunk: int = TICKET_CHUNK) -> Iterator[pa.Table]:
    """hotline_tickets as Arrow tables of at most `chunk` rows, in received order."""
    if n <= 0:
        return
    received = _ticket_times(seed, n, start, end)
    day = received // US_PER_DAY
    first_of_day = np.r_[True, day[1:] != day[:-1]]
    starts = np.flatnonzero(first_of_day)
    run = np.diff(np.r_[starts, n])
    seq = np.arange(n) - np.repeat(starts, run) + 1
    ctx = _ticket_context(orgs, start, end)
    for k, lo in enumerate(range(0, n, chunk)):
        hi = min(lo + chunk, n)
        yield _ticket_chunk(_rng(seed, _STREAM_TICKETS, n, k), received[lo:hi], seq[lo:hi], ctx)


# ════════════════════════════════════════════════════════════════════════════════════
# Union posts, activities, monthly visits
# ════════════════════════════════════════════════════════════════════════════════════

_CN_ORDINALS = "一二三四五六七八九十"


def _dedupe(names: list[str]) -> list[str]:
    """Make names unique in order: repeats get （二）, （三）…"""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}（{_CN_ORDINALS[k] if k < 10 else k + 1}）")
    # a suffixed name could collide with a real one; resolve by numbering (rare, deterministic)
    final_seen: set[str] = set()
    result = []
    for name in out:
        candidate, i = name, 2
        while candidate in final_seen:
            candidate, i = f"{name}-{i}", i + 1
        final_seen.add(candidate)
        result.append(candidate)
    return result


def build_posts(seed: int, n: int, start: dt.date, end: dt.date, orgs: Orgs) -> tuple[pa.Table, pa.Table, pa.Table]:
    """union_posts, post_activities and post_monthly_visits."""
    rng = _rng(seed, _STREAM_POSTS, n)
    start_day, end_day = _epoch_day(start), _epoch_day(end)
    county_w = _norm([c.pop ** 0.7 for c in COUNTY_INFO])
    # every county first gets its 县区总工会职工之家, then the rest by weight
    first = list(range(len(COUNTY_INFO)))[: max(0, min(n, len(COUNTY_INFO)))]
    rest = rng.choice(len(COUNTY_INFO), size=max(0, n - len(first)), p=county_w)
    county_idx = np.concatenate([np.array(first, np.int64), rest]).astype(np.int64)
    types = list(POST_MODEL)
    type_idx = np.concatenate([np.zeros(len(first), np.int64),
                               rng.choice(len(types), size=len(rest), p=_norm([m[0] for m in POST_MODEL.values()]))])
    names: list[str] = []
    org_ids: list[int] = []
    addresses: list[str] = []
    for i in range(n):
        info = COUNTY_INFO[int(county_idx[i])]
        county = C.REGION_BY_CODE[info.code]
        city = C.REGION_BY_CODE[county.parent or ""]
        ptype = types[int(type_idx[i])]
        towns = orgs.townships[info.code]
        bases = orgs.base[info.code] or [(orgs.county_union[info.code], county.name + "总工会")]
        town_id, town = towns[int(rng.integers(len(towns)))]
        base_id, base_unit = bases[int(rng.integers(len(bases)))]
        road = info.roads[int(rng.integers(len(info.roads)))]
        r = rng.random()
        cu = orgs.county_union[info.code]
        if i < len(first):
            name, org = f"{county.name}总工会职工之家", cu
        elif ptype in ("职工之家", "职工书屋"):
            name, org = ((f"{base_unit}{ptype}", base_id) if r < 0.72 else (f"{county.name}{town}{ptype}", town_id))
        elif ptype in ("妈咪小屋",):
            name, org = f"{base_unit}{ptype}", base_id
        elif ptype == "劳模创新工作室":
            s = SURNAMES[int(rng.choice(len(SURNAMES), p=_norm([w for _, w in SURNAMES])))][0]
            given_pool = GIVEN_MALE if rng.random() < 0.7 else GIVEN_FEMALE
            given = "".join(given_pool[int(rng.integers(len(given_pool)))] for _ in range(int(rng.integers(1, 3))))
            name, org = f"{s}{given}劳模创新工作室", base_id
        elif ptype == "心理健康服务站":
            name, org = ((f"{base_unit}{ptype}", base_id) if r < 0.5 else (f"{county.name}职工{ptype}", cu))
        elif ptype == "户外劳动者服务站":
            name, org = f"{county.name}{road}{ptype}", (town_id if r < 0.6 else cu)
        elif ptype == "司机之家":
            pool = LANDMARKS_DRIVER + (URBAN_DRIVER if info.code.startswith("6401") else ())
            name, org = f"{county.name}{pool[int(rng.integers(len(pool)))]}{ptype}", (cu if r < 0.6 else base_id)
        elif ptype == "骑手之家":
            name, org = f"{county.name}{LANDMARKS_RIDER[int(rng.integers(len(LANDMARKS_RIDER)))]}{ptype}", (cu if r < 0.6 else town_id)
        elif ptype == "职工服务中心":
            name, org = ((f"{county.name}{ptype}", cu) if r < 0.5 else (f"{county.name}{town}{ptype}", town_id))
        else:   # 工人文化宫
            name, org = f"{county.name}{ptype}", cu
        names.append(name)
        org_ids.append(org)
        addresses.append(f"宁夏回族自治区{city.name}{county.name}{road}{int(rng.integers(1, 400))}号")
    names = _dedupe(names)

    # coordinates near the county seat, inside Ningxia
    lon0 = np.array([c.lon for c in COUNTY_INFO])[county_idx]
    lat0 = np.array([c.lat for c in COUNTY_INFO])[county_idx]
    spread = np.where(np.array([c.urban for c in COUNTY_INFO])[county_idx], 0.025, 0.06)
    lon = np.round(np.clip(lon0 + rng.normal(0, 1, n) * spread, NINGXIA_BBOX[0], NINGXIA_BBOX[2]), 6)
    lat = np.round(np.clip(lat0 + rng.normal(0, 1, n) * spread * 0.8, NINGXIA_BBOX[1], NINGXIA_BBOX[3]), 6)
    models = [POST_MODEL[t] for t in types]
    a_lo = np.array([m[1][0] for m in models], np.float64)[type_idx]
    a_hi = np.array([m[1][1] for m in models], np.float64)[type_idx]
    area = np.round(a_lo * (a_hi / a_lo) ** rng.random(n), 1)
    first_year = np.array([m[2] for m in models])[type_idx]
    lo_day = np.minimum(np.array([_epoch_day(dt.date(int(y), 1, 1)) for y in first_year], np.int64), end_day - 400)
    opened = lo_day + np.floor((end_day - 20 - lo_day) * rng.random(n) ** 0.7).astype(np.int64)
    # the county unions' own 职工之家 are old establishments
    opened[: len(first)] = np.minimum(_random_dates(rng, _epoch_day(dt.date(2000, 1, 1)),
                                                    _epoch_day(dt.date(2015, 12, 31)), len(first)), end_day - 20)
    honor = rng.choice(5, size=n, p=(0.85, 0.06, 0.05, 0.03, 0.01))   # none, 县区, 市, 自治区, 全国
    honor_codes = np.array([-1, 3, 2, 1, 0])[honor]
    status = rng.choice(3, size=n, p=(0.90, 0.05, 0.05))
    status[: len(first)] = 0                                             # county union homes stay open
    open24 = rng.random(n) < np.array([m[4] for m in models])[type_idx]
    # revoked: the last active day; paused: the months before end with no service
    active_from = np.maximum(opened, start_day)
    revoked_day = np.where(status == 2, _random_dates(rng, active_from, end_day, n), end_day)
    paused_months = np.where(status == 1, rng.integers(1, 5, n), 0)

    posts = pa.table({
        "post_id": pa.array(np.arange(1, n + 1), pa.int32()),
        "post_name": _strs(names),
        "post_type": _take(_strs(types), type_idx),
        "org_id": pa.array(org_ids, pa.int32()),
        "region_code": _take(_strs([c.code for c in COUNTY_INFO]), county_idx),
        "address": _strs(addresses),
        "longitude": pa.array(lon, pa.float64()),
        "latitude": pa.array(lat, pa.float64()),
        "area_sqm": pa.array(area, pa.float64()),
        "opened_on": _dates(opened),
        "honor_level": pc.if_else(pa.array(honor_codes >= 0), _take(_strs(C.HONOR_LEVELS), np.maximum(honor_codes, 0)),
                                  pa.scalar(None, pa.string())),
        "status": _take(_strs(C.POST_STATUSES), status),
        "open_24h": pa.array(open24, pa.bool_()),
    })

    # ── monthly visits: one row per post and month while it is in service ──
    start_m, end_m = _month_index(np.array([start_day]))[0], _month_index(np.array([end_day]))[0]
    m_from = np.maximum(_month_index(opened), start_m)
    m_to = np.where(status == 2, _month_index(revoked_day), end_m)
    n_months = np.maximum(m_to - m_from + 1, 0)
    v_post = np.repeat(np.arange(n), n_months)
    v_month = np.repeat(m_from, n_months) + (np.arange(n_months.sum()) - np.repeat(np.cumsum(n_months) - n_months, n_months))
    v_type = type_idx[v_post]
    moy = v_month % 12 + 1
    base = np.array([m[3] for m in models], np.float64)[v_type] * np.exp(rng.normal(0, 0.5, n))[v_post]
    outdoor = np.isin(v_type, [types.index("户外劳动者服务站"), types.index("司机之家"), types.index("骑手之家")])
    season = np.where(outdoor, np.array([1.3, 1.1, 0.9, 0.9, 1.0, 1.35, 1.5, 1.45, 1.0, 0.9, 1.0, 1.25])[moy - 1],
                      np.array([0.95, 0.7, 1.0, 1.05, 1.0, 0.95, 0.9, 0.9, 1.05, 0.95, 1.05, 1.0])[moy - 1])
    age = v_month - _month_index(opened)[v_post]
    ramp = np.minimum(1.0, 0.45 + 0.18 * age)
    growth = (1 + 0.08) ** ((v_month - start_m) / 12)
    visits = np.round(base * season * ramp * growth * rng.gamma(20, 1 / 20, len(v_post))).astype(np.int64)
    paused = (status[v_post] == 1) & (v_month > end_m - paused_months[v_post])
    visits[paused] = 0
    visits_t = pa.table({
        "post_id": pa.array(v_post + 1, pa.int32()),
        "month": _dates((v_month.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)),
        "visits": pa.array(visits, pa.int32()),
    })

    # ── activities: ~15 per post over the span, by type and season ──
    act_hi = np.where(status == 2, revoked_day, np.where(status == 1, end_day - 31 * paused_months, end_day))
    active_days = np.maximum(act_hi - active_from + 1, 0)
    span_days = end_day - start_day + 1
    type_rate = np.array([3.0 if t == "工人文化宫" else 2.0 if t == "职工服务中心" else 0.5 if t == "妈咪小屋" else 1.0
                          for t in types])[type_idx]
    lam = 15 * type_rate * np.exp(rng.normal(0, 0.35, n)) * active_days / span_days
    n_act = rng.poisson(lam)
    a_post = np.repeat(np.arange(n), n_act)
    held = _random_dates(rng, active_from[a_post], act_hi[a_post], len(a_post))
    a_moy = _month_of_year(held)
    probs = np.array([ACTIVITY_BASE[t] for t in types], np.float64)   # post type × activity type
    cool, warm = C.ACTIVITY_TYPES.index("送清凉"), C.ACTIVITY_TYPES.index("送温暖")
    grid = np.repeat(probs[:, None, :], 12, axis=1)                      # post type × month × activity
    for m in range(12):
        if m + 1 not in (6, 7, 8):
            grid[:, m, cool] = 0.0
        else:
            grid[:, m, cool] *= 2.5
        if m + 1 not in (1, 2):
            grid[:, m, warm] = 0.0
        else:
            grid[:, m, warm] *= 2.5
    grid = grid.reshape(len(types) * 12, len(C.ACTIVITY_TYPES))
    a_type = _choice_by_group(rng, type_idx[a_post] * 12 + (a_moy - 1), grid)
    a_target = _choice_by_group(rng, a_type, np.array([TARGET_BY_ACTIVITY[t] for t in C.ACTIVITY_TYPES]))
    ptype_of = type_idx[a_post]
    override = rng.random(len(a_post))
    for ptype, tg, p in (("司机之家", "货车司机", 0.6), ("骑手之家", "外卖配送员", 0.6), ("妈咪小屋", "女职工", 0.85)):
        a_target = np.where((ptype_of == types.index(ptype)) & (override < p), C.TARGET_GROUPS.index(tg), a_target)
    size = np.array([6.0 if t == "工人文化宫" else 2.0 if t == "职工服务中心" else 0.3 if t == "妈咪小屋" else 1.0
                     for t in types])[ptype_of]
    participants = np.maximum(5, np.round(np.array(ACTIVITY_PARTICIPANTS, np.float64)[a_type] * size
                                          * np.exp(rng.normal(0, 0.5, len(a_post))))).astype(np.int64)
    # titles
    title_texts: list[str] = []
    title_groups: list[list[int]] = []
    for t in C.ACTIVITY_TYPES:
        ids = []
        for text in ACTIVITY_TITLES[t]:
            title_texts.append(text)
            ids.append(len(title_texts) - 1)
        title_groups.append(ids)
    t_ids, t_off, t_cnt = _blocks(title_groups)
    title_t = t_ids[_pick(rng, t_off, t_cnt, a_type)]
    variables = {
        "year": _int_str(_year(held)),
        "county": _take(_strs([c.name for c in C.COUNTIES]), county_idx[a_post]),
        "post": _take(_strs(names), a_post),
        "skill": _take(_strs(SKILLS), rng.integers(0, len(SKILLS), len(a_post))),
        "sport": _take(_strs(SPORTS), rng.integers(0, len(SPORTS), len(a_post))),
    }
    titles = _render(title_t, title_texts, variables)
    order = np.lexsort((a_post, held))                                   # by date, then post
    activities = pa.table({
        "activity_id": pa.array(np.arange(1, len(a_post) + 1), pa.int32()),
        "post_id": pa.array(a_post[order] + 1, pa.int32()),
        "activity_type": _take(_strs(C.ACTIVITY_TYPES), a_type[order]),
        "title": _take(titles, order),
        "held_on": _dates(held[order]),
        "target_group": _take(_strs(C.TARGET_GROUPS), a_target[order]),
        "participants": pa.array(participants[order], pa.int32()),
    })
    return posts, activities, visits_t


# ════════════════════════════════════════════════════════════════════════════════════
# Loading: each engine's bulk path
# ════════════════════════════════════════════════════════════════════════════════════

class _Loader:
    """Creates the contract tables on one database and appends Arrow tables to them."""

    def __init__(self, url: str, database: str) -> None:
        self.url = url
        self.database = database
        self.md = C.metadata(database)
        u = sa.make_url(url)
        self.backend = u.get_backend_name()
        if self.backend in ("duckdb", "sqlite") and u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(u, poolclass=sa.pool.NullPool)
        self.md.drop_all(self.engine)
        # DuckDB and PostgreSQL build a primary key index much faster in one go after the load
        # than row by row during it; the finished tables are the same (see finish()).
        self.deferred_keys = self.backend in ("duckdb", "postgresql")
        (_without_primary_keys(self.md) if self.deferred_keys else self.md).create_all(self.engine)
        self.raw = self.engine.raw_connection()
        self.dbapi = self.raw.driver_connection

    def _insert_sql(self, table: str, columns: Sequence[str], source: exp.Expression, dialect: str) -> str:
        select = exp.select(*[exp.column(c) for c in columns]).from_(source)
        insert = exp.insert(select, exp.to_table(table), columns=list(columns))
        return insert.sql(dialect=dialect)

    def append(self, table: str, data: pa.Table) -> None:
        cols = [c.name for c in self.md.tables[table].columns]
        data = data.select(cols)
        if data.num_rows == 0:
            return
        if self.backend == "duckdb":
            self.dbapi.register("_wenshu_chunk", data)
            self.dbapi.execute(self._insert_sql(table, cols, exp.to_table("_wenshu_chunk"), "duckdb"))
            self.dbapi.unregister("_wenshu_chunk")
        elif self.backend == "postgresql":
            self._copy_postgres(table, cols, data)
        elif self.backend == "sqlite":
            # the contract table's own INSERT, compiled for sqlite3's qmark parameters
            sql = str(self.md.tables[table].insert().compile(dialect=self.engine.dialect))
            cur = self.dbapi.cursor()
            cur.executemany(sql, _sqlite_rows(data))
            cur.close()
        else:   # any other engine: SQLAlchemy executemany with the contract types
            with self.engine.begin() as conn:
                conn.execute(self.md.tables[table].insert(), data.to_pylist())

    def _copy_postgres(self, table: str, cols: Sequence[str], data: pa.Table) -> None:
        import pyarrow.csv as pacsv

        buf = io.BytesIO()
        pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
        ident = ", ".join(exp.to_identifier(c).sql(dialect="postgres") for c in cols)
        with self.dbapi.cursor() as cur:
            with cur.copy(f"COPY {exp.to_table(table).sql(dialect='postgres')} ({ident}) FROM STDIN (FORMAT csv)") as cp:
                cp.write(buf.getvalue())

    # Secondary indexes for the row-store engines (cheap to build after the load; DuckDB's
    # zone maps serve its scans better than ART indexes would).
    INDEXES = {"hotline_tickets": ("received_at", "region_code", "handling_org_id"),
               "union_posts": ("region_code",), "post_activities": ("held_on", "post_id"),
               "union_orgs": ("parent_org_id",)}

    def finish(self) -> None:
        if self.deferred_keys:
            cur = self.dbapi.cursor()
            for t in self.md.sorted_tables:
                cur.execute(str(sa.schema.AddConstraint(t.primary_key).compile(dialect=self.engine.dialect)))
            cur.close()
        if self.backend in ("sqlite", "postgresql"):
            cur = self.dbapi.cursor()
            for table, columns in self.INDEXES.items():
                if table in self.md.tables:
                    for col in columns:
                        idx = sa.Index(f"ix_{table}_{col}", self.md.tables[table].c[col])
                        cur.execute(str(sa.schema.CreateIndex(idx).compile(dialect=self.engine.dialect)))
            cur.close()
        self.raw.commit()
        if self.backend == "duckdb":
            self.dbapi.execute("CHECKPOINT")
        elif self.backend == "postgresql":
            with self.dbapi.cursor() as cur:
                for t in self.md.sorted_tables:
                    cur.execute(f"ANALYZE {exp.to_table(t.name).sql(dialect='postgres')}")
            self.raw.commit()
        self.raw.close()
        self.engine.dispose()

    def abort(self) -> None:
        try:
            self.raw.rollback()
            self.raw.close()
        finally:
            self.engine.dispose()


def _without_primary_keys(md: sa.MetaData) -> sa.MetaData:
    """The same tables (names, column order, types, NOT NULL) without their primary key constraints."""
    out = sa.MetaData()
    for t in md.sorted_tables:
        sa.Table(t.name, out, *[sa.Column(c.name, c.type, nullable=c.nullable) for c in t.columns])
    return out


def _sqlite_rows(data: pa.Table) -> Iterable[tuple[Any, ...]]:
    """Rows for sqlite3: timestamps 'YYYY-MM-DD HH:MM:SS', dates 'YYYY-MM-DD', decimals as REAL, booleans 0/1."""
    cols: list[list[Any]] = []
    for col in data.columns:
        t = col.type
        if pa.types.is_timestamp(t):
            col = pc.strftime(col, format="%Y-%m-%d %H:%M:%S")
        elif pa.types.is_date(t):
            col = pc.strftime(col, format="%Y-%m-%d")
        elif pa.types.is_decimal(t):
            col = pc.cast(col, pa.float64())
        elif pa.types.is_boolean(t):
            col = pc.cast(col, pa.int8())
        cols.append(col.to_pylist())
    return zip(*cols)


# ════════════════════════════════════════════════════════════════════════════════════
# Entry points
# ════════════════════════════════════════════════════════════════════════════════════

def data_span(end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first day, last day) of the demo data: 1 January two years before the end year … end."""
    end = end or dt.date.today()
    return dt.date(end.year - 2, 1, 1), end


def generate(*, hotline_url: str, posts_url: str, seed: int = 2026, end: dt.date | None = None,
             tickets: int = 60000, posts: int = 3000, progress: Progress | None = None) -> GenerationReport:
    """Write both demo databases (replacing the contract tables if they exist)."""
    if tickets < 0 or posts < 0:
        raise ValueError("工单数和阵地数不能为负数")
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    start, end = data_span(end)
    say(f"数据时间范围：{start.isoformat()} 至 {end.isoformat()}，随机种子 {seed}")
    orgs = build_orgs(seed, end)
    regions = _regions_table()
    say(f"已生成行政区划 {regions.num_rows} 条、工会组织 {orgs.table.num_rows} 个")
    counts: dict[str, int] = {"regions": regions.num_rows, "union_orgs": orgs.table.num_rows}

    loader = _Loader(hotline_url, "hotline")
    try:
        loader.append("regions", regions)
        loader.append("union_orgs", orgs.table)
        written = 0
        for chunk in iter_tickets(seed, tickets, start, end, orgs):
            loader.append("hotline_tickets", chunk)
            written += chunk.num_rows
            say(f"正在写入热线工单 {written}/{tickets}")
        loader.finish()
    except BaseException:
        loader.abort()
        raise
    counts["hotline_tickets"] = tickets

    say("正在生成工会阵地、活动和月度服务人次")
    post_t, act_t, visit_t = build_posts(seed, posts, start, end, orgs)
    loader = _Loader(posts_url, "posts")
    try:
        loader.append("regions", regions)
        loader.append("union_orgs", orgs.table)
        loader.append("union_posts", post_t)
        loader.append("post_activities", act_t)
        loader.append("post_monthly_visits", visit_t)
        loader.finish()
    except BaseException:
        loader.abort()
        raise
    counts.update(union_posts=post_t.num_rows, post_activities=act_t.num_rows,
                  post_monthly_visits=visit_t.num_rows)
    seconds = time.perf_counter() - t0
    say(f"演示数据生成完成：工单 {tickets} 条、阵地 {post_t.num_rows} 个、活动 {act_t.num_rows} 场，用时 {seconds:.1f} 秒")
    return GenerationReport(counts=counts, seconds=seconds, seed=seed, start=start, end=end,
                            hotline_url=hotline_url, posts_url=posts_url)


def generate_to_dir(out_dir: Path, **kw: Any) -> GenerationReport:
    """Write out_dir/hotline.duckdb and out_dir/posts.duckdb, replacing old files atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    finals = {db: out_dir / f"{db}.duckdb" for db in C.DATABASES}
    temps = {db: out_dir / f".{db}.duckdb.tmp-{os.getpid()}" for db in C.DATABASES}
    for p in temps.values():
        for q in (p, p.with_name(p.name + ".wal")):
            q.unlink(missing_ok=True)
    try:
        report = generate(hotline_url=f"duckdb:///{temps['hotline']}", posts_url=f"duckdb:///{temps['posts']}", **kw)
        for db in C.DATABASES:
            finals[db].with_name(finals[db].name + ".wal").unlink(missing_ok=True)
            os.replace(temps[db], finals[db])
    finally:
        for p in temps.values():
            for q in (p, p.with_name(p.name + ".wal")):
                q.unlink(missing_ok=True)
    report.hotline_url = f"duckdb:///{finals['hotline']}"
    report.posts_url = f"duckdb:///{finals['posts']}"
    return report


def demo_key(*, seed: int, end: dt.date, tickets: int, posts: int) -> str:
    """A cache key for generated data; the generator's own hash is part of it, so a changed
    generator never meets stale data."""
    digest = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    return f"demo-s{seed}-e{end:%Y%m%d}-t{tickets}-p{posts}-{digest}"


def cached_demo_dir(root: Path, *, seed: int, end: dt.date, tickets: int, posts: int) -> Path:
    """root/<key>/ holding hotline.duckdb and posts.duckdb, generated once and then reused."""
    from .locks import file_lock
    key = demo_key(seed=seed, end=end, tickets=tickets, posts=posts)
    target = root / key
    with file_lock(root / f"{key}.lock"):
        if not (target / "complete").exists():
            target.mkdir(parents=True, exist_ok=True)
            for stale in target.glob("*.duckdb*"):
                stale.unlink()
            generate_to_dir(target, seed=seed, end=end, tickets=tickets, posts=posts)
            (target / "complete").write_text("ok")
    return target
