"""Demo content for development, reviews and benchmarks (`manage.py seed_demo`).

Everything is derived from a fixed random seed and from the Monday of the current week, so two
runs in the same week produce the same rows, and every write is keyed on a natural key
(credit code, title, slug, username) so a second run creates nothing.

Dates are relative to that Monday rather than fixed because the public pages list *upcoming*
fairs and classes: fixed 2026 dates would leave those lists empty a few months later.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric, uscc
from wagtail.models import Site

from cms.models import ArticleIndexPage, ArticlePage, HomePage, SiteSettings
from events import tickets
from events.models import (
    Assessment,
    AssessmentOutcome,
    Benefit,
    Booth,
    BoothStatus,
    Campaign,
    CheckIn,
    Employer,
    EmployerCheckIn,
    EmployerSize,
    EmploymentType,
    Event,
    EventKind,
    EventStaff,
    EventStaffRole,
    Excusal,
    FairType,
    Industry,
    Intention,
    JobCategory,
    JobListing,
    ManualFigure,
    ManualFigureKind,
    Registration,
    RegistrationChannel,
    RegistrationStatus,
    SalaryUnit,
    ScanLog,
    ScanResult,
    Session,
    SkillLevel,
)
from events.reports.services import refresh_summaries
from events.services import RegistrationRefused, register
from trainees.models import ConsentMethod, Coordinator, Provenance, Region, RegionLevel, Worker
from trainees.services.identity import NewWorker, WorkerDetails, create_worker, create_workers
from trainees.services.regions import import_regions

Log = Callable[[str], None]

SEED = 2026
CAMPAIGN_NAME = "2026年春风行动"
BUREAU = "南宁市人力资源和社会保障局"

# Scale rows carry this title prefix: it marks them as benchmark data in the admin and lets a
# second `--scale` run see that they already exist.
SCALE_PREFIX = "【压测】"
SCALE_FAIR_TITLE = f"{SCALE_PREFIX}南宁市春风行动百企专场招聘会"
SCALE_EVENTS = 1_000  # including the 百企 fair
SCALE_TRAININGS = 150
SCALE_LISTINGS = 10_000
SCALE_EMPLOYERS = 400
SCALE_FAIR_EMPLOYERS = 100
SCALE_FAIR_JOBS_PER_EMPLOYER = 3

# (username, password, group name or None for the superuser). Dev-only credentials.
CREDENTIALS: list[tuple[str, str, str | None]] = [
    ("admin", "chunfeng-admin", None),
    ("editor", "chunfeng-editor", "Editors"),
    ("moderator", "chunfeng-moderator", "Moderators"),
    ("organiser", "chunfeng-organiser", "Organisers"),
    ("coordinator", "chunfeng-coordinator", "Coordinators"),
    ("officer", "chunfeng-officer", "Subsidy officers"),
    ("statistics", "chunfeng-statistics", "Bureau statistics"),
]

# Demo townships and villages (names and codes for the demo only: load the official list with
# `manage.py import_regions`). The coordinator account covers the first township.
DEMO_REGIONS = [
    ("450126101000", "宾阳县新宾镇"),
    ("450126101201", "新宾镇新宾村"),
    ("450126101202", "新宾镇东风村"),
    ("450126101203", "新宾镇长安村"),
    ("450126102000", "宾阳县黎塘镇"),
    ("450126102201", "黎塘镇黎塘村"),
    ("450126102202", "黎塘镇四联村"),
]
# Demo workers: (name, phone, 17 ID digits before the check digit, village code). Sign in as one
# of them with the phone; `make run` prints the SMS code in its terminal.
DEMO_WORKERS = [
    ("韦建华", "13800000001", "45012619900315241", "450126101201"),
    ("黄秀梅", "13800000002", "45012619881102352", "450126101202"),
    ("覃志强", "13800000003", "45012619950720461", "450126101203"),
    ("蒙丽娟", "13800000004", "45012619921209572", "450126102201"),
]


def anchor_monday(today: datetime.date | None = None) -> datetime.date:
    """The Monday of the current week: the origin of every demo date."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=today.weekday())


def at(day: datetime.date, hhmm: str) -> datetime.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def weekdays_from(start: datetime.date, count: int) -> list[datetime.date]:
    """`count` consecutive working days (Mon–Fri) starting on or after `start`."""
    days: list[datetime.date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def org_code(serial: int) -> str:
    """An 8-digit organisation code with its GB 11714 check character (9 characters)."""
    body = f"{serial:08d}"
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    check = 11 - sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(county_code: str, serial: int) -> str:
    """统一社会信用代码: 9 (market regulator) 1 (enterprise), division, org code, check digit."""
    first17 = f"91{county_code[:6]}{org_code(serial)}"
    code = first17 + uscc.calc_check_digit(first17)
    assert uscc.is_valid(code), code  # noqa: S101 - a wrong code here is a bug in this module
    return code


# --- Reference data ----------------------------------------------------------------------

XINGNING, QINGXIU, JIANGNAN, XIXIANGTANG = (
    "450102000000",
    "450103000000",
    "450105000000",
    "450107000000",
)
LIANGQING, YONGNING, WUMING, LONGAN = "450108000000", "450109000000", "450110000000", "450123000000"
MASHAN, SHANGLIN, BINYANG, HENGZHOU = "450124000000", "450125000000", "450126000000", "450181000000"


@dataclass(frozen=True)
class JobTemplate:
    category: str
    pay: tuple[int, int]
    unit: str
    employment_type: str
    requirements: str
    work_content: str
    benefits: tuple[str, ...]


M, D, H, P = SalaryUnit.MONTH, SalaryUnit.DAY, SalaryUnit.HOUR, SalaryUnit.PIECE
FT, PT, SEASONAL, GIG = (
    EmploymentType.FULL_TIME,
    EmploymentType.PART_TIME,
    EmploymentType.SEASONAL,
    EmploymentType.GIG,
)
C = JobCategory

# One row per line reads as a table.
# fmt: off
JOBS: dict[str, JobTemplate] = {
    "普工": JobTemplate(C.OPERATIVE, (3800, 5500), M, FT, "18周岁以上，身体健康，能适应两班倒；无经验可培训上岗。", "在生产线从事组装、上料、包装等工作，按作业指导书操作。", ("meals", "housing", "insurance", "overtime")),
    "包装工": JobTemplate(C.OPERATIVE, (18, 22), H, PT, "18周岁以上，手脚麻利，能按要求完成计件任务。", "产品分拣、装箱、贴标和码垛。", ("meals",)),
    "缝纫工": JobTemplate(C.OPERATIVE, (4500, 7500), M, FT, "会操作平车、冚车者优先，新手可带教。", "按工艺单完成服装缝制，计件工资多劳多得。", ("meals", "housing", "insurance", "bonus")),
    "质检员": JobTemplate(C.TECHNICAL, (4200, 6000), M, FT, "中专及以上学历，熟悉卡尺、千分尺等量具的使用。", "对来料、制程和成品进行检验，填写检验记录并跟进不良品处理。", ("meals", "insurance", "leave")),
    "电焊工": JobTemplate(C.WELDING, (6500, 9500), M, FT, "持有效特种作业操作证（熔化焊接与热切割作业），有二氧化碳保护焊经验。", "按图纸完成钢结构件焊接，保证焊缝质量，遵守动火作业规定。", ("meals", "housing", "insurance", "overtime")),
    "氩弧焊工": JobTemplate(C.WELDING, (7500, 11000), M, FT, "持焊工证，熟练氩弧焊，能焊接不锈钢薄板者优先。", "不锈钢和铝合金部件的氩弧焊接及焊后打磨。", ("meals", "insurance", "bonus")),
    "电工": JobTemplate(C.ELECTRICAL, (5500, 8000), M, FT, "持有效低压电工作业证，两年以上工厂或物业电工经验。", "负责厂区供配电设备日常巡检、维护和故障处理。", ("meals", "insurance", "leave")),
    "维修电工": JobTemplate(C.ELECTRICAL, (6000, 9000), M, FT, "持电工证，熟悉PLC和变频器者优先。", "生产设备电气故障排查、维修和预防性保养。", ("meals", "housing", "insurance", "training")),
    "水电安装工": JobTemplate(C.CONSTRUCTION, (280, 380), D, GIG, "有水电安装经验，持电工证者优先。", "住宅和商业项目的给排水、强弱电管线安装。", ("overtime",)),
    "钢筋工": JobTemplate(C.CONSTRUCTION, (300, 420), D, GIG, "能看懂施工图，有钢筋绑扎经验，服从现场安全管理。", "按图纸进行钢筋下料、加工和绑扎。", ("meals", "housing")),
    "木工": JobTemplate(C.CONSTRUCTION, (300, 400), D, GIG, "有模板支护经验，能吃苦耐劳。", "建筑模板制作、安装与拆除。", ("meals", "housing")),
    "数控车床操作工": JobTemplate(C.TECHNICAL, (5500, 8500), M, FT, "会看机械图纸，能独立操作数控车床，持车工证者优先。", "按图纸编程、装夹、加工零件并自检尺寸。", ("meals", "housing", "insurance", "overtime")),
    "汽车维修工": JobTemplate(C.TECHNICAL, (5000, 8000), M, FT, "持汽车维修工职业资格证书或有两年以上维修经验。", "车辆保养、故障诊断与维修，填写维修工单。", ("insurance", "training", "bonus")),
    "叉车司机": JobTemplate(C.DRIVING, (5000, 7000), M, FT, "持有效叉车（N1）作业证，一年以上叉车驾驶经验。", "仓库货物装卸、搬运和堆码，做好叉车日常点检。", ("meals", "insurance", "shuttle")),
    "货车司机": JobTemplate(C.DRIVING, (7000, 10000), M, FT, "持B2及以上驾驶证和道路货物运输从业资格证，三年安全驾龄。", "区内及周边城市货物运输，按时完成配送任务。", ("insurance", "bonus")),
    "仓库管理员": JobTemplate(C.DRIVING, (4000, 5500), M, FT, "高中及以上学历，会使用电脑和仓储管理系统。", "出入库登记、盘点和库位管理，保证账实相符。", ("meals", "insurance", "leave")),
    "快递分拣员": JobTemplate(C.DRIVING, (170, 230), D, SEASONAL, "18周岁以上，能适应夜班。", "快件卸车、扫描和分拣，旺季按日结算。", ("meals", "shuttle")),
    "中式厨师": JobTemplate(C.CATERING, (5500, 8500), M, FT, "持中式烹调师职业技能等级证书者优先，熟悉粤菜、桂菜。", "负责热菜出品，控制菜品质量和成本。", ("meals", "housing", "insurance", "leave")),
    "面点师": JobTemplate(C.CATERING, (4500, 6500), M, FT, "会制作包点、粉饺等广式和本地早点。", "早餐及面点制作，做好食品卫生。", ("meals", "housing", "insurance")),
    "服务员": JobTemplate(C.CATERING, (3500, 4500), M, FT, "普通话流利，服务意识好，持健康证或可入职后办理。", "餐厅或景区接待、点单和传菜。", ("meals", "housing", "leave")),
    "育婴员": JobTemplate(C.DOMESTIC, (5500, 9000), M, FT, "持育婴员职业技能等级证书和健康证，有带娃经验者优先。", "0至3岁婴幼儿日常照护、喂养和早期启蒙。", ("insurance", "training")),
    "家政服务员": JobTemplate(C.DOMESTIC, (4500, 6500), M, FT, "身体健康，持健康证，做事细致。", "家庭保洁、收纳整理和简单烹饪。", ("training", "insurance")),
    "养老护理员": JobTemplate(C.DOMESTIC, (4500, 6000), M, FT, "持养老护理员证书者优先，有耐心和爱心。", "协助老人饮食起居、翻身、清洁和康复活动。", ("meals", "housing", "insurance", "training")),
    "销售代表": JobTemplate(C.SALES, (4000, 10000), M, FT, "中专及以上学历，沟通能力强，有驾照者优先。", "开发和维护客户，完成区域销售目标。", ("insurance", "bonus", "leave")),
    "客服专员": JobTemplate(C.SALES, (4000, 5500), M, FT, "普通话标准，会基本电脑操作，能适应轮班。", "电话和在线客户咨询、回访和投诉登记。", ("insurance", "leave", "training")),
    "收银员": JobTemplate(C.SALES, (3500, 4300), M, FT, "高中及以上学历，诚实细心。", "门店收银、会员登记和交班对账。", ("meals", "insurance")),
    "理货员": JobTemplate(C.SALES, (3500, 4500), M, FT, "身体健康，能适应早班。", "商品上架、补货、陈列和临期商品检查。", ("meals", "insurance", "leave")),
    "文员": JobTemplate(C.OFFICE, (3500, 4800), M, FT, "大专及以上学历，熟练使用办公软件。", "文件收发、资料录入整理和会务支持。", ("insurance", "leave")),
    "会计": JobTemplate(C.OFFICE, (4500, 6500), M, FT, "会计相关专业，持初级会计专业技术资格证书。", "日常账务处理、纳税申报和报表编制。", ("insurance", "leave", "bonus")),
    "保安员": JobTemplate(C.OTHER, (3500, 4500), M, FT, "持保安员证，身体健康，能适应夜班。", "门岗值守、巡逻和车辆引导。", ("meals", "housing", "insurance")),
    "保洁员": JobTemplate(C.OTHER, (2800, 3500), M, PT, "身体健康，做事认真。", "公共区域清洁和垃圾分类收运。", ("meals",)),
    "茉莉花采摘工": JobTemplate(C.AGRICULTURE, (8, 12), P, SEASONAL, "能早起，手脚麻利，按公斤计价当天结算。", "清晨采摘茉莉花蕾并按标准分级交售。", ("meals",)),
    "沃柑采摘工": JobTemplate(C.AGRICULTURE, (180, 240), D, SEASONAL, "身体健康，能适应户外作业。", "果园沃柑采摘、搬运和初选。", ("meals", "housing")),
    "农业技术员": JobTemplate(C.AGRICULTURE, (5000, 7500), M, FT, "农学、园艺等相关专业，持农业技术员证书者优先。", "果园水肥管理、病虫害防治和农户技术指导。", ("insurance", "housing", "training")),
    "养殖工": JobTemplate(C.AGRICULTURE, (4000, 5500), M, FT, "有牛羊养殖经验者优先，能住场。", "山羊饲喂、圈舍清洁和防疫记录。", ("meals", "housing", "insurance")),
}
# fmt: on


@dataclass(frozen=True)
class EmployerSpec:
    name: str
    industry: str
    size: str
    county: str
    address: str
    description: str
    jobs: tuple[str, ...]


I = Industry  # noqa: E741 - a table of short rows reads better with a one-letter alias
S = EmployerSize

# One row per line reads as a table.
# fmt: off
EMPLOYERS: list[EmployerSpec] = [
    EmployerSpec("广西邕江电子科技有限公司", I.MANUFACTURING, S.LARGE, JIANGNAN, "南宁市江南区星光大道218号邕江电子产业园", "主要生产手机摄像模组和智能穿戴设备配件。", ("普工", "质检员", "电工", "叉车司机")),
    EmployerSpec("南宁五象精密机械制造有限公司", I.MANUFACTURING, S.MEDIUM, LIANGQING, "南宁市良庆区银海大道1188号五象工业园3栋", "从事工程机械零部件精密加工。", ("电焊工", "数控车床操作工", "质检员")),
    EmployerSpec("广西桂邕钢结构工程有限公司", I.CONSTRUCTION, S.MEDIUM, XIXIANGTANG, "南宁市西乡塘区高新大道西段27号", "钢结构厂房、桥梁构件的设计、制作与安装。", ("电焊工", "氩弧焊工", "钢筋工")),
    EmployerSpec("南宁青秀安心家政服务有限公司", I.RESIDENT_SERVICES, S.SMALL, QINGXIU, "南宁市青秀区民族大道136号华润大厦B座1205室", "提供母婴护理、家庭保洁和居家养老服务。", ("家政服务员", "育婴员", "养老护理员")),
    EmployerSpec("广西八桂香餐饮管理有限公司", I.HOSPITALITY, S.LARGE, XINGNING, "南宁市兴宁区朝阳路48号", "本地连锁餐饮企业，经营老友粉、桂菜门店三十余家。", ("中式厨师", "服务员", "面点师")),
    EmployerSpec("南宁顺邕物流有限公司", I.LOGISTICS, S.MEDIUM, JIANGNAN, "南宁市江南区白沙大道93号顺邕物流园", "城市配送、仓储和冷链运输。", ("货车司机", "快递分拣员", "仓库管理员", "叉车司机")),
    EmployerSpec("广西绿城建设集团有限公司", I.CONSTRUCTION, S.HUGE, QINGXIU, "南宁市青秀区金湖路61号", "房屋建筑和市政工程施工总承包。", ("钢筋工", "木工", "水电安装工", "电工")),
    EmployerSpec("横州市茉香茶业有限公司", I.MANUFACTURING, S.MEDIUM, HENGZHOU, "横州市横州镇茉莉花大道18号", "茉莉花茶窨制、包装和电商销售。", ("茉莉花采摘工", "包装工", "销售代表")),
    EmployerSpec("宾阳县南桥食品有限公司", I.MANUFACTURING, S.MEDIUM, BINYANG, "宾阳县宾州镇南桥工业集中区6号", "生产米粉、酸粉等米制品。", ("普工", "包装工", "质检员")),
    EmployerSpec("南宁武鸣丰果农业发展有限公司", I.AGRICULTURE, S.SMALL, WUMING, "南宁市武鸣区城厢镇香山路9号", "沃柑种植、采后处理和销售。", ("沃柑采摘工", "农业技术员", "包装工")),
    EmployerSpec("广西云邕信息技术有限公司", I.IT, S.SMALL, QINGXIU, "南宁市青秀区中泰路11号北部湾大厦南楼1806室", "政务热线和企业客服外包服务。", ("客服专员", "销售代表", "文员")),
    EmployerSpec("南宁市邕宁区锦绣服装有限公司", I.MANUFACTURING, S.MEDIUM, YONGNING, "南宁市邕宁区蒲庙镇新兴工业园5号", "针织服装加工，产品出口东盟。", ("缝纫工", "普工", "质检员")),
    EmployerSpec("广西东盟汽车零部件有限公司", I.MANUFACTURING, S.LARGE, LIANGQING, "南宁市良庆区那马镇汽配园一路2号", "汽车座椅骨架和底盘结构件生产。", ("普工", "电焊工", "叉车司机", "维修电工")),
    EmployerSpec("南宁江南宜居物业服务有限公司", I.REAL_ESTATE, S.MEDIUM, JIANGNAN, "南宁市江南区壮锦大道15号", "住宅小区和写字楼物业管理。", ("保安员", "保洁员", "维修电工")),
    EmployerSpec("上林县大明山旅游开发有限公司", I.ENVIRONMENT, S.SMALL, SHANGLIN, "上林县大丰镇明山路1号", "景区运营和生态旅游接待。", ("服务员", "保安员", "销售代表")),
    EmployerSpec("隆安县那桐农产品加工有限公司", I.MANUFACTURING, S.SMALL, LONGAN, "隆安县那桐镇工业园区8号", "香蕉、火龙果等农产品分选和包装。", ("普工", "包装工", "货车司机")),
    EmployerSpec("马山县弄拉生态养殖有限公司", I.AGRICULTURE, S.SMALL, MASHAN, "马山县白山镇民族路33号", "马山黑山羊标准化养殖。", ("养殖工", "农业技术员", "销售代表")),
    EmployerSpec("南宁康宁护理院有限公司", I.HEALTH, S.SMALL, XINGNING, "南宁市兴宁区昆仑大道301号", "医养结合护理机构，床位二百张。", ("养老护理员", "保洁员", "文员")),
    EmployerSpec("广西邕商超市连锁有限公司", I.TRADE, S.LARGE, XIXIANGTANG, "南宁市西乡塘区明秀西路89号", "社区超市连锁，门店遍布南宁各城区。", ("收银员", "理货员", "仓库管理员")),
    EmployerSpec("南宁明德职业培训学校有限公司", I.EDUCATION, S.SMALL, XIXIANGTANG, "南宁市西乡塘区大学东路100号", "开展焊工、电工、育婴员等职业技能培训。", ("文员", "销售代表", "会计")),
    EmployerSpec("广西南能电力工程有限公司", I.UTILITIES, S.MEDIUM, QINGXIU, "南宁市青秀区凤岭北路6号", "配电工程施工和电力设施运维。", ("电工", "维修电工", "水电安装工")),
    EmployerSpec("南宁市宏达汽车维修服务有限公司", I.RESIDENT_SERVICES, S.SMALL, XINGNING, "南宁市兴宁区邕武路22号", "一类机动车维修企业。", ("汽车维修工", "电焊工", "客服专员")),
    EmployerSpec("广西华骏人力资源服务有限公司", I.BUSINESS_SERVICES, S.MEDIUM, JIANGNAN, "南宁市江南区亭洪路45号", "劳务派遣和生产线外包服务。", ("普工", "快递分拣员", "保安员")),
    EmployerSpec("宾阳县黎塘建材有限公司", I.MANUFACTURING, S.SMALL, BINYANG, "宾阳县黎塘镇工业园区建材路3号", "商品混凝土和预制构件生产。", ("叉车司机", "普工", "货车司机", "会计")),
]
# fmt: on

SURNAMES = "黄韦梁覃陆蒙莫农李陈卢罗廖潘"
SOURCES = ("用人单位直接发布", "南宁市公共就业服务中心采集", "广西公共招聘网转载")


@dataclass(frozen=True)
class FairSpec:
    title: str
    county: str
    day_offset: int  # days after anchor Monday; negative = in the past
    days: int
    fair_type: str
    venue: str
    address: str
    capacity: int | None
    summary: str
    transport: str
    booths: int


# One row per line reads as a table.
# fmt: off
FAIRS: list[FairSpec] = [
    FairSpec("兴宁区“就业援助月”现场招聘会", XINGNING, -42, 1, FairType.GENERAL, "兴宁区人力资源市场", "南宁市兴宁区长堽路三里二巷6号", 600, "面向就业困难人员和零就业家庭，提供公益性岗位和企业岗位。", "乘坐6路、41路公交至长堽路口站", 8),
    FairSpec("西乡塘区高校毕业生专场招聘会", XIXIANGTANG, -19, 1, FairType.SPECIAL, "西乡塘区大学生创业孵化基地", "南宁市西乡塘区大学东路100号", None, "面向2026届高校毕业生和离校未就业青年。", "地铁1号线广西大学站C出口步行300米", 8),
    FairSpec("武鸣区送岗下乡招聘会", WUMING, -5, 1, FairType.VILLAGE, "武鸣区城厢镇文化广场", "南宁市武鸣区城厢镇永宁路1号", None, "把岗位送到家门口，农村劳动力就近就地就业。", "武鸣汽车总站步行10分钟", 6),
    FairSpec("南宁市春风行动大型综合招聘会", QINGXIU, 4, 2, FairType.GENERAL, "南宁国际会展中心B馆", "南宁市青秀区民族大道111号", 3000, "全市规模最大的春风行动招聘会，制造、建筑、物流、服务业企业集中招聘。", "地铁1号线会展中心站A出口", 14),
    FairSpec("江南区制造业专场招聘会", JIANGNAN, 11, 1, FairType.SPECIAL, "江南区人力资源市场", "南宁市江南区星光大道29号", 800, "电子、机械、汽车零部件等制造企业专场。", "地铁1号线石埠站转乘公交", 8),
    FairSpec("宾阳县返乡务工人员招聘会", BINYANG, 18, 1, FairType.GENERAL, "宾阳县人民广场", "宾阳县宾州镇宾阳大道66号", None, "春节后返乡人员就近就业专场。", "宾阳汽车站步行15分钟", 7),
    FairSpec("横州市茉莉花产业专场招聘会", HENGZHOU, 25, 1, FairType.VILLAGE, "中华茉莉花产业园", "横州市横州镇茉莉花大道18号", 500, "茉莉花种植、加工和电商企业招聘，花期季节工优先。", "横州市区乘坐园区专线公交", 6),
    FairSpec("良庆区“直播带岗”网络招聘会", LIANGQING, 32, 1, FairType.ONLINE, "线上直播间（良庆区就业服务中心）", "南宁市良庆区五象大道401号", None, "企业负责人走进直播间介绍岗位，线上投递简历。", "线上参与，无需到场", 6),
    FairSpec("上林县春风行动现场招聘会", SHANGLIN, 39, 1, FairType.GENERAL, "上林县人力资源市场", "上林县大丰镇明山路68号", 400, "县内企业和区外劳务协作企业联合招聘。", "上林县汽车站步行5分钟", 6),
]
# fmt: on


@dataclass(frozen=True)
class TrainingSpec:
    title: str
    trade: str
    level: str
    county: str
    day_offset: int
    days: int  # working days; a morning and an afternoon session each
    institution: str
    venue: str
    address: str
    capacity: int | None
    summary: str


# One row per line reads as a table.
# fmt: off
TRAININGS: list[TrainingSpec] = [
    TrainingSpec("焊工（五级/初级工）职业技能培训班", "焊工", SkillLevel.LEVEL_5, XIXIANGTANG, 7, 6, "南宁明德职业培训学校", "明德职校实训楼二楼焊接实训室", "南宁市西乡塘区大学东路100号", 40, "理论与实操结合，培训合格参加职业技能等级认定。"),
    TrainingSpec("电工（四级/中级工）职业技能培训班", "电工", SkillLevel.LEVEL_4, JIANGNAN, 14, 5, "南宁市江南区职业技能培训中心", "江南区职业技能培训中心电工实训室", "南宁市江南区亭洪路45号", 30, "面向持初级证书或有两年电工经验的人员。"),
    TrainingSpec("中式烹调师（五级/初级工）培训班", "中式烹调师", SkillLevel.LEVEL_5, XINGNING, -28, 5, "南宁市烹饪职业技能培训学校", "烹饪学校实训厨房", "南宁市兴宁区朝阳路48号", 35, "桂菜、粤菜基础烹调技法，适合有意从事餐饮工作的人员。"),
    TrainingSpec("育婴员（五级/初级工）培训班", "育婴员", SkillLevel.LEVEL_5, QINGXIU, 21, 5, "南宁市巾帼家政职业培训学校", "青秀区妇女儿童活动中心三楼", "南宁市青秀区民族大道136号", 30, "婴幼儿生活照料、保健和早期教育，结业可推荐就业。"),
    TrainingSpec("家政服务员专项职业能力培训班", "家政服务员", SkillLevel.SPECIAL_ABILITY, BINYANG, 0, 6, "宾阳县职业技术学校", "宾阳县职业技术学校培训楼", "宾阳县宾州镇宾阳大道128号", None, "家庭保洁、收纳和照护技能，农村妇女优先。"),
]
# fmt: on

ELIGIBILITY = (
    "南宁市户籍或在邕就业的劳动年龄人口，有培训意愿并能坚持全程参训；"
    "登记失业人员、脱贫劳动力、农村转移就业劳动者和高校毕业生优先。"
    "培训合格并取得证书的，可按规定申领职业培训补贴。"
)


@dataclass(frozen=True)
class ArticleSpec:
    slug: str
    title: str
    kind: str
    day_offset: int
    summary: str
    paragraphs: tuple[str, ...]


# One row per line reads as a table.
# fmt: off
ARTICLES: list[ArticleSpec] = [
    ArticleSpec("2026-spring-breeze-launch", "2026年春风行动启动 全市将举办百余场招聘活动", ArticlePage.Kind.NEWS, -49, "市人社局联合各县（市、区）启动2026年春风行动，重点帮助农村劳动力和就业困难人员就业。", ("本次春风行动以“就业暖心·春风送岗”为主题，持续至明年春季。", "各县（市、区）将组织现场招聘会、送岗下乡和直播带岗等活动，并同步开展技能培训。")),
    ArticleSpec("wuming-village-fair-result", "武鸣区送岗下乡招聘会达成就业意向三百余人", ArticlePage.Kind.NEWS, -4, "招聘会吸引周边乡镇群众前来求职，现场达成初步就业意向三百余人。", ("本场招聘会共有企业6家参会，提供农业、制造和物流等岗位。", "现场还设置了政策咨询台，解答培训补贴和社保补贴问题。")),
    ArticleSpec("qingxiu-big-fair-preview", "南宁市春风行动大型综合招聘会本周举行", ArticlePage.Kind.NEWS, 1, "招聘会在南宁国际会展中心举行，为期两天，可提前在线报名。", ("参会企业涵盖制造、建筑、物流和生活服务等行业。", "求职者请携带身份证，提前报名可扫码快速入场。")),
    ArticleSpec("training-subsidy-guide", "职业技能培训补贴政策解读", ArticlePage.Kind.POLICY, -35, "哪些人可以申领培训补贴、标准是多少、怎么申请，一文读懂。", ("参加政府补贴性职业技能培训并取得证书的，可按规定享受培训补贴。", "补贴标准按职业（工种）和等级确定，具体以当期公布的目录为准。")),
    ArticleSpec("job-seeking-subsidy-guide", "求职创业补贴申领指南", ArticlePage.Kind.POLICY, -21, "面向毕业年度内有就业创业意愿的困难家庭高校毕业生。", ("符合条件的毕业生可通过学校向人社部门提出申请。", "补贴实行一次性发放，所需材料以当年通知为准。")),
    ArticleSpec("employment-assistance-faq", "就业困难人员认定及援助政策问答", ArticlePage.Kind.POLICY, -10, "就业困难人员如何认定，可以享受哪些援助措施。", ("就业困难人员可到户籍地或常住地的公共就业服务机构申请认定。", "认定后可享受公益性岗位安置、社会保险补贴和职业指导等服务。")),
]
# fmt: on


# --- Small demo data -----------------------------------------------------------------------


@dataclass
class Seeded:
    """What one run created; all zeros on a second run."""

    users: int = 0
    employers: int = 0
    events: int = 0
    listings: int = 0
    articles: int = 0
    workers: int = 0

    def __str__(self) -> str:
        return (
            f"created users={self.users} employers={self.employers} events={self.events} "
            f"listings={self.listings} articles={self.articles} workers={self.workers}"
        )


def _counties() -> dict[str, Region]:
    counties = {r.code: r for r in Region.objects.filter(level=RegionLevel.COUNTY)}
    if len(counties) < 12:
        raise RuntimeError("Nanning's counties are missing: run `manage.py migrate` first.")
    return counties


def _publish(obj: Event | JobListing | ArticlePage | HomePage) -> None:
    """Publish through a revision, as an editor would, so live and live_revision are set."""
    obj.save_revision().publish()


def _phone(rng: random.Random) -> str:
    return f"0771-5{rng.randrange(1_000_000):06d}"


def _contact(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)}{rng.choice(('先生', '女士'))}"


def _round_pay(value: float, unit: str) -> int:
    step = {SalaryUnit.MONTH: 100, SalaryUnit.DAY: 10}.get(unit, 1)
    return max(step, int(round(value / step)) * step)


def _fair_body(summary: str, transport: str, phone: str) -> list[dict]:
    return [
        {"type": "heading", "value": {"text": "活动介绍"}},
        {"type": "paragraph", "value": f"<p>{summary}</p>"},
        {
            "type": "notice",
            "value": {
                "title": "请携带身份证",
                "text": "入场时请出示报名二维码和本人身份证；未报名的求职者可现场登记入场。",
            },
        },
        {
            "type": "facts",
            "value": {
                "items": [
                    {"label": "乘车路线", "value": transport},
                    {"label": "咨询电话", "value": phone},
                ]
            },
        },
    ]


def _training_body(summary: str, trade: str, phone: str) -> list[dict]:
    return [
        {"type": "heading", "value": {"text": "课程安排"}},
        {
            "type": "paragraph",
            "value": f"<p>{summary}</p><ul><li>{trade}安全操作规范</li>"
            "<li>基础理论</li><li>实操训练与考核</li></ul>",
        },
        {
            "type": "notice",
            "value": {
                "title": "报名材料",
                "text": "身份证、一寸照片两张；申领补贴的学员请同时带上社保卡。",
            },
        },
        {"type": "facts", "value": {"items": [{"label": "咨询电话", "value": phone}]}},
    ]


def seed_users(seeded: Seeded) -> None:
    User = get_user_model()
    for username, password, group_name in CREDENTIALS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com"}
        )
        seeded.users += created
        changed = created
        # Only re-hash when the password differs: set_password salts afresh every time, so an
        # unconditional call would change the row on every run.
        if not user.check_password(password):
            user.set_password(password)
            changed = True
        if group_name is None and not (user.is_superuser and user.is_staff):
            user.is_superuser = user.is_staff = True
            changed = True
        if changed:
            user.save()
        if group_name:
            # Wagtail admin access comes from the group's wagtailadmin.access_admin permission;
            # is_staff only matters for django.contrib.admin, which is not installed.
            user.groups.add(Group.objects.get(name=group_name))


def seed_employers(rng: random.Random, seeded: Seeded) -> list[Employer]:
    counties = _counties()
    employers = []
    for serial, spec in enumerate(EMPLOYERS, start=1):
        code = credit_code(spec.county, 31_000_000 + serial * 7919 + rng.randrange(7919))
        employer, created = Employer.objects.get_or_create(
            credit_code=code,
            defaults={
                "name": spec.name,
                "industry": spec.industry,
                "size": spec.size,
                "region": counties[spec.county],
                "address": spec.address,
                "contact_name": _contact(rng),
                "contact_phone": _phone(rng),
                "description": spec.description,
            },
        )
        seeded.employers += created
        employers.append(employer)
    return employers


def seed_fairs(
    rng: random.Random, monday: datetime.date, campaign: Campaign, employers: Sequence[Employer]
) -> tuple[list[tuple[Event, bool]], dict[int, list[Event]]]:
    """Create the fairs; return them with a created flag and the fairs each employer attends."""
    counties = _counties()
    fairs: list[tuple[Event, bool]] = []
    attends: dict[int, list[Event]] = {}
    for spec in FAIRS:
        first_day = monday + datetime.timedelta(days=spec.day_offset)
        days = [first_day + datetime.timedelta(days=n) for n in range(spec.days)]
        phone = _phone(rng)
        # Local employers first, then others, as the county bureau would invite them.
        local = [e for e in employers if e.region_id == counties[spec.county].pk]
        others = [e for e in employers if e not in local]
        rng.shuffle(others)
        attending = (local + others)[: spec.booths]
        past = spec.day_offset < 0
        event = Event.objects.filter(kind=EventKind.JOB_FAIR, title=spec.title).first()
        created = event is None
        if created:
            sessions = []
            if len(days) == 1 and spec.capacity and spec.capacity >= 600:
                sessions = [
                    Session(
                        title="上午场", starts_at=at(days[0], "09:00"), ends_at=at(days[0], "12:00")
                    ),
                    Session(
                        title="下午场", starts_at=at(days[0], "14:30"), ends_at=at(days[0], "17:00")
                    ),
                ]
            else:
                sessions = [
                    Session(
                        title=f"第{n}天" if len(days) > 1 else "",
                        starts_at=at(day, "09:00"),
                        ends_at=at(day, "12:00"),
                    )
                    for n, day in enumerate(days, start=1)
                ]
            booths = []
            for n, employer in enumerate(attending, start=1):
                zone = "A区 本地企业" if employer in local else "B区 综合岗位"
                status = BoothStatus.APPLIED if n % 5 == 0 and not past else BoothStatus.CONFIRMED
                booths.append(
                    Booth(employer=employer, number=f"{zone[0]}{n:02d}", zone=zone, status=status)
                )
            starts_at, ends_at = sessions[0].starts_at, sessions[-1].ends_at
            walk_in = spec.fair_type == FairType.VILLAGE
            event = Event(
                kind=EventKind.JOB_FAIR,
                title=spec.title,
                campaign=campaign,
                summary=spec.summary,
                body=_fair_body(spec.summary, spec.transport, phone),
                organiser=f"{counties[spec.county].name}人力资源和社会保障局",
                venue=spec.venue,
                address=spec.address,
                region=counties[spec.county],
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=spec.capacity,
                # Village fairs are walk-in: no registration window at all.
                registration_opens_at=None if walk_in else starts_at - datetime.timedelta(days=21),
                registration_closes_at=None if walk_in else starts_at,
                fair_type=spec.fair_type,
                sessions=sessions,
                booths=booths,
            )
            event.save()
            _publish(event)
            if past:
                # Past fairs: every seventh employer did not come.
                EmployerCheckIn.objects.bulk_create(
                    EmployerCheckIn(event=event, employer=booth.employer)
                    for n, booth in enumerate(event.booths.all(), start=1)
                    if n % 7
                )
        fairs.append((event, created))
        for booth in event.booths.all():
            if booth.status != BoothStatus.CANCELLED:
                attends.setdefault(booth.employer_id, []).append(event)
    return fairs, attends


def seed_trainings(
    rng: random.Random, monday: datetime.date, campaign: Campaign, seeded: Seeded
) -> None:
    counties = _counties()
    for spec in TRAININGS:
        phone = _phone(rng)  # drawn even when the row exists, to keep later draws stable
        if Event.objects.filter(kind=EventKind.TRAINING, title=spec.title).exists():
            continue
        days = weekdays_from(monday + datetime.timedelta(days=spec.day_offset), spec.days)
        sessions = [
            Session(title=f"第{n}天 {label}", starts_at=at(day, start), ends_at=at(day, end))
            for n, day in enumerate(days, start=1)
            for label, start, end in (("上午", "08:30", "11:30"), ("下午", "14:00", "17:00"))
        ]
        starts_at = sessions[0].starts_at
        event = Event(
            kind=EventKind.TRAINING,
            title=spec.title,
            campaign=campaign,
            summary=spec.summary,
            body=_training_body(spec.summary, spec.trade, phone),
            organiser=f"{counties[spec.county].name}人力资源和社会保障局",
            venue=spec.venue,
            address=spec.address,
            region=counties[spec.county],
            starts_at=starts_at,
            ends_at=sessions[-1].ends_at,
            capacity=spec.capacity,
            registration_opens_at=starts_at - datetime.timedelta(days=30),
            registration_closes_at=starts_at - datetime.timedelta(days=2),
            trade=spec.trade,
            skill_level=spec.level,
            hours=3 * len(sessions),
            institution=spec.institution,
            eligibility=ELIGIBILITY,
            sessions=sessions,
        )
        event.save()
        _publish(event)
        seeded.events += 1


def seed_listings(
    rng: random.Random,
    monday: datetime.date,
    employers: Sequence[Employer],
    attends: dict[int, list[Event]],
    seeded: Seeded,
) -> None:
    benefits = {b.code: b for b in Benefit.objects.all()}
    serial = 0
    for spec, employer in zip(EMPLOYERS, employers, strict=True):
        for title in spec.jobs:
            serial += 1
            job = JOBS[title]
            # Every draw happens whether or not the row exists, so that the values of later
            # rows do not depend on which rows an earlier, interrupted run managed to create.
            low = _round_pay(job.pay[0] * rng.uniform(0.9, 1.1), job.unit)
            high = max(low, _round_pay(job.pay[1] * rng.uniform(0.9, 1.1), job.unit))
            headcount = rng.choice((1, 2, 3, 5, 10, 20, 30) if job.unit != P else (20, 50, 100))
            if serial % 12 == 0:  # a few expired notices, shown only with "include expired"
                valid_until = monday - datetime.timedelta(days=rng.randint(1, 20))
                valid_from = valid_until - datetime.timedelta(days=60)
            else:
                valid_from = monday - datetime.timedelta(days=rng.randint(0, 45))
                valid_until = monday + datetime.timedelta(days=rng.choice((30, 60, 90, 120)))
            extra = rng.sample(sorted(Benefit.Code.values), 1)
            source = rng.choice(SOURCES)
            if JobListing.objects.filter(employer=employer, title=title).exists():
                continue
            employment_type = job.employment_type
            if employer.industry == Industry.BUSINESS_SERVICES and employment_type == FT:
                employment_type = EmploymentType.DISPATCH
            listing = JobListing(
                employer=employer,
                title=title,
                category=job.category,
                headcount=headcount,
                salary_min=low,
                salary_max=high,
                salary_unit=job.unit,
                requirements=job.requirements,
                work_content=job.work_content,
                region=employer.region,
                work_address=employer.address,
                employment_type=employment_type,
                valid_from=valid_from,
                valid_until=valid_until,
                contact_name=employer.contact_name,
                contact_phone=employer.contact_phone,
                source=source,
            )
            listing.benefits.set([benefits[c] for c in sorted({*job.benefits, *extra})])
            listing.fairs.set(attends.get(employer.pk, []))
            listing.save()
            _publish(listing)
            seeded.listings += 1


def seed_articles(monday: datetime.date, seeded: Seeded) -> None:
    index = ArticleIndexPage.objects.first()
    if index is None:
        raise RuntimeError("The news index page is missing: run `manage.py migrate` first.")
    for spec in ARTICLES:
        if ArticlePage.objects.child_of(index).filter(slug=spec.slug).exists():
            continue
        page = ArticlePage(
            title=spec.title,
            slug=spec.slug,
            kind=spec.kind,
            date=monday + datetime.timedelta(days=spec.day_offset),
            summary=spec.summary,
            body=[{"type": "paragraph", "value": f"<p>{text}</p>"} for text in spec.paragraphs],
        )
        index.add_child(instance=page)
        _publish(page)
        index.refresh_from_db()  # add_child changed numchild on the row, not on this instance
        seeded.articles += 1


def seed_site(campaign: Campaign) -> None:
    home = HomePage.objects.first()
    if home is not None and home.campaign_id != campaign.pk:
        home.campaign = campaign
        _publish(home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        SiteSettings.objects.get_or_create(
            site=site, defaults={"hotline": "12333", "footer": f"{BUREAU} 主办"}
        )


def seed_workers(seeded: Seeded) -> None:
    """Villages, a coordinator scoped to one township, and workers registered for events."""
    import_regions(rows=[{"code": code, "name": name} for code, name in DEMO_REGIONS])
    coordinator, _created = Coordinator.objects.get_or_create(
        user=get_user_model().objects.get(username="coordinator")
    )
    coordinator.regions.add(Region.objects.get(code=DEMO_REGIONS[0][0]))
    upcoming = list(
        Event.objects.filter(live=True, ends_at__gte=timezone.now()).order_by("starts_at", "pk")[:2]
    )
    for name, phone, id_body, village in DEMO_WORKERS:
        worker = Worker.objects.filter(phone=phone).first()
        if worker is None:
            worker = create_worker(
                details=WorkerDetails(
                    name=name,
                    phone=phone,
                    id_number=id_body + ric.calc_check_digit(id_body + "0"),
                    hukou_region=Region.objects.get(code=village),
                ),
                provenance=Provenance.ASSISTED,
                created_by=coordinator.user,
                consent_method=ConsentMethod.SIGNED,
            )
            seeded.workers += 1
        for event in upcoming:
            try:
                register(
                    event_id=event.pk,
                    worker_id=worker.pk,
                    channel=RegistrationChannel.COORDINATOR,
                    created_by=coordinator.user,
                )
            except RegistrationRefused:
                continue  # a demo event whose window is closed: nothing to show there


SURNAMES = "韦黄覃蒙陆农李张王陈刘梁莫卢"
GIVEN_NAMES = "建华秀梅志强丽娟明海小燕国庆春兰金凤德胜玉兰永福桂芳"
LEAFLETS_REASON = "按宣传资料发放登记表统计"
LIVESTREAM_REASON = "直播平台后台数据"


def _history_workers(
    rng: random.Random, serials: range, *, regions: dict[str, Region], organiser
) -> list[Worker]:
    """Made-up job seekers for a past event: name, phone, ID number from a demo village, the
    consent they signed at the desk."""
    villages = sorted(code for code in regions if not code.endswith("000"))
    new = []
    for serial in serials:
        village = villages[serial % len(villages)]
        born = datetime.date(1966, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 38))
        body = f"{village[:6]}{born:%Y%m%d}{serial % 1000:03d}"
        new.append(
            NewWorker(
                details=WorkerDetails(
                    name=rng.choice(SURNAMES)
                    + "".join(rng.sample(GIVEN_NAMES, rng.choice((1, 2)))),
                    phone=f"1390771{serial:04d}",
                    id_number=body + ric.calc_check_digit(body + "0"),
                    hukou_region=regions[village] if serial % 5 else None,
                ),
                consent_method=ConsentMethod.SIGNED,
                education=rng.choice(
                    ["primary", "junior", "junior", "senior", "vocational", "college"]
                ),
            )
        )
    return create_workers(new=new, provenance=Provenance.ASSISTED, created_by=organiser)


def seed_history(rng: random.Random, seeded: Seeded) -> None:
    """What happened at the past fairs and the past class, so that the statistics, the sheets
    and the campaign overview have something to show: registrations, scans at the gate,
    walk-ins, employers present, job intentions, figures entered by hand, attendance with
    late arrivals and an excused absence, assessments. Written as history (the events are over,
    so the registration services would refuse), once: a second run finds the scans."""
    organiser = get_user_model().objects.get(username="organiser")
    now = timezone.now()
    past = list(Event.objects.filter(ends_at__lt=now, live=True).order_by("starts_at", "pk"))
    upcoming = Event.objects.filter(ends_at__gte=now, live=True).order_by("starts_at", "pk")
    for event in [*past, *upcoming[:1]]:
        EventStaff.objects.get_or_create(
            event=event, user=organiser, defaults={"role": EventStaffRole.ORGANISER}
        )
    if CheckIn.objects.filter(session__event__in=past).exists():
        return
    regions = Region.objects.in_bulk([code for code, _name in DEMO_REGIONS], field_name="code")
    serial = 1
    for event in past:
        sessions = list(event.sessions.order_by("starts_at"))
        people = 24 if event.is_training else rng.randrange(60, 120)
        workers = _history_workers(
            rng, range(serial, serial + people), regions=regions, organiser=organiser
        )
        registrations = []
        for index, worker in enumerate(workers):
            walk_in = not event.is_training and index % 9 == 0
            registration = Registration(
                event=event,
                worker=worker,
                status=RegistrationStatus.CONFIRMED,
                channel=RegistrationChannel.WALK_IN if walk_in else RegistrationChannel.SELF,
                confirmed_at=event.starts_at - datetime.timedelta(days=3),
            )
            registration.ticket_hash = tickets.ticket_hash_for(tickets.ticket_token(registration))
            registration.save()
            registrations.append(registration)
        serial += people
        Event.objects.filter(pk=event.pk).update(seats_taken=people)
        for index, registration in enumerate(registrations):
            for number, session in enumerate(sessions):
                if event.is_training:
                    came = index % 6 != 5 and not (index % 4 == 3 and number % 3 == 2)
                else:
                    came = registration.channel == RegistrationChannel.WALK_IN or index % 5 != 4
                if not came:
                    continue
                late = 20 if event.is_training and index % 7 == 0 and number == 0 else 0
                at = session.starts_at + datetime.timedelta(
                    minutes=late - 30 + (rng.randrange(150) if not event.is_training else 5)
                )
                checkin = CheckIn.objects.create(
                    registration=registration, session=session, gate="东门", scanned_at=at
                )
                ScanLog.objects.create(
                    event=event,
                    session=session,
                    registration=registration,
                    checkin=checkin,
                    result=ScanResult.CHECKED_IN,
                    gate="东门",
                    client_nonce=f"demo-{checkin.pk}",
                    scanned_at=at,
                )
        if event.is_training:
            Excusal.objects.get_or_create(
                registration=registrations[5],
                session=sessions[-1],
                defaults={"reason": "病假（附医院证明）", "recorded_by": organiser},
            )
            for index, registration in enumerate(registrations):
                Assessment.objects.create(
                    registration=registration,
                    outcome=AssessmentOutcome.FAILED
                    if index % 8 == 7
                    else AssessmentOutcome.PASSED,
                    certificate_number="" if index % 8 == 7 else f"S2026-{registration.pk:05d}",
                    recorded_by=organiser,
                )
            continue
        present = list(
            EmployerCheckIn.objects.filter(event=event).values_list("employer_id", flat=True)
        )
        for index, registration in enumerate(registrations[::4] if present else []):
            Intention.objects.create(
                event=event,
                registration=registration,
                employer_id=present[index % len(present)],
                recorded_by=organiser,
            )
        figures = [(ManualFigureKind.LEAFLETS, people * 12, LEAFLETS_REASON)]
        if event.fair_type != FairType.VILLAGE:
            figures.append((ManualFigureKind.LIVESTREAM_VIEWS, people * 85, LIVESTREAM_REASON))
        ManualFigure.objects.bulk_create(
            ManualFigure(event=event, kind=kind, value=value, reason=reason, entered_by=organiser)
            for kind, value, reason in figures
        )
        seeded.workers += people


@transaction.atomic
def seed_demo(*, log: Log = lambda message: None) -> Seeded:
    """Create the demo site. One transaction, so an interrupted run leaves nothing behind."""
    rng = random.Random(SEED)  # noqa: S311 - deterministic demo data, not security
    monday = anchor_monday()
    seeded = Seeded()
    seed_users(seeded)
    campaign, _created = Campaign.objects.get_or_create(
        name=CAMPAIGN_NAME,
        defaults={
            "theme": "就业暖心·春风送岗",
            "starts_on": monday - datetime.timedelta(weeks=10),
            "ends_on": monday + datetime.timedelta(weeks=14),
            "description": "围绕农村劳动力、就业困难人员和返乡人员，集中开展招聘、培训和政策服务。",
        },
    )
    employers = seed_employers(rng, seeded)
    log(f"employers: {len(employers)}")
    fairs, attends = seed_fairs(rng, monday, campaign, employers)
    seeded.events += sum(created for _event, created in fairs)
    seed_trainings(rng, monday, campaign, seeded)
    log(f"events: {len(fairs)} fairs, {len(TRAININGS)} training programmes")
    seed_listings(rng, monday, employers, attends, seeded)
    seed_articles(monday, seeded)
    seed_site(campaign)
    seed_workers(seeded)
    seed_history(rng, seeded)
    refresh_summaries(event_ids=Event.objects.values_list("pk", flat=True))
    return seeded


# --- Scale data for benchmarks -------------------------------------------------------------

SCALE_BRANDS = (
    "邕江 五象 青秀 凤岭 相思 金桂 八桂 桂邕 绿城 壮锦 明秀 朝阳 南湖 仙葫 良凤 蒲庙 "
    "那马 伶俐 昆仑 大明 龙虎 灵水 起凤 香山 茉香 六景 峦城 黎塘 古辣 宾州 乔建 那桐 "
    "白山 古零 澄泰 思陇 双桥 西津 横邕 云表 南晓 石埠 心圩 安吉 华强 北湖 荔园 望州"
).split()
SCALE_TRADES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("电子科技", Industry.MANUFACTURING, ("普工", "质检员", "电工", "叉车司机")),
    ("机械制造", Industry.MANUFACTURING, ("电焊工", "数控车床操作工", "氩弧焊工", "质检员")),
    ("建筑工程", Industry.CONSTRUCTION, ("钢筋工", "木工", "水电安装工", "电焊工")),
    ("物流", Industry.LOGISTICS, ("货车司机", "快递分拣员", "仓库管理员", "叉车司机")),
    ("餐饮管理", Industry.HOSPITALITY, ("中式厨师", "服务员", "面点师")),
    ("家政服务", Industry.RESIDENT_SERVICES, ("家政服务员", "育婴员", "养老护理员")),
    ("食品", Industry.MANUFACTURING, ("普工", "包装工", "质检员")),
    ("商贸", Industry.TRADE, ("收银员", "理货员", "销售代表")),
    ("农业发展", Industry.AGRICULTURE, ("沃柑采摘工", "农业技术员", "养殖工")),
    ("物业服务", Industry.REAL_ESTATE, ("保安员", "保洁员", "维修电工")),
)


def scale_exists() -> bool:
    return Event.objects.filter(title__startswith=SCALE_PREFIX).exists()


@transaction.atomic
def seed_scale(*, log: Log = lambda message: None) -> bool:
    """Add ~1,000 events and 10,000 listings for benchmarks; False if they already exist.

    Rows are bulk-inserted with live=True and no revisions: publishing 11,000 objects one by
    one through revisions would take tens of minutes, and the public pages only read `live`.
    Editing one of them in the admin creates its first revision as usual.
    """
    if scale_exists():
        return False
    rng = random.Random(SEED + 1)  # noqa: S311 - deterministic demo data, not security
    monday = anchor_monday()
    now = timezone.now()
    counties = list(_counties().values())
    benefit_ids = {b.code: b.pk for b in Benefit.objects.all()}
    campaign = Campaign.objects.filter(name=CAMPAIGN_NAME).first()

    employers = []
    for serial in range(SCALE_EMPLOYERS):
        county = counties[serial % len(counties)]
        # (brand, trade) pairs are distinct for up to len(SCALE_BRANDS) * 10 employers.
        trade, industry, _jobs = SCALE_TRADES[serial % len(SCALE_TRADES)]
        brand = SCALE_BRANDS[serial // len(SCALE_TRADES)]
        employers.append(
            Employer(
                name=f"{SCALE_PREFIX}广西{brand}{trade}有限公司",
                # A serial range of its own (6xxxxxxx) so codes never collide with the demo set.
                credit_code=credit_code(county.code, 60_000_000 + serial),
                industry=industry,
                size=rng.choice(EmployerSize.values),
                region=county,
                address=f"{county.name}工业园区{serial % 97 + 1}号",
                contact_name=_contact(rng),
                contact_phone=_phone(rng),
            )
        )
    employers = Employer.objects.bulk_create(employers, batch_size=500)
    log(f"scale: {len(employers)} employers")

    # Events: the 百企 fair, fairs spread over a year around today, and training programmes.
    big_day = monday + datetime.timedelta(days=9)
    events = [
        Event(
            kind=EventKind.JOB_FAIR,
            title=SCALE_FAIR_TITLE,
            campaign=campaign,
            summary="百家企业同场招聘，岗位涵盖制造、建筑、物流和生活服务。",
            body=_fair_body("百家企业同场招聘。", "地铁1号线会展中心站A出口", "0771-5123333"),
            organiser=BUREAU,
            venue="南宁国际会展中心A馆",
            address="南宁市青秀区民族大道111号",
            region=counties[1],
            starts_at=at(big_day, "09:00"),
            ends_at=at(big_day, "17:00"),
            capacity=5000,
            registration_opens_at=at(big_day - datetime.timedelta(days=20), "09:00"),
            registration_closes_at=at(big_day, "09:00"),
            fair_type=FairType.GENERAL,
        )
    ]
    fair_count = SCALE_EVENTS - SCALE_TRAININGS - 1
    for n in range(fair_count):
        county = rng.choice(counties)
        day = monday + datetime.timedelta(days=rng.randint(-300, 180))
        events.append(
            Event(
                kind=EventKind.JOB_FAIR,
                title=f"{SCALE_PREFIX}{county.name}第{n + 1}场招聘会",
                campaign=campaign,
                summary="县区日常招聘会。",
                organiser=f"{county.name}人力资源和社会保障局",
                venue=f"{county.name}人力资源市场",
                address=f"{county.name}人民路{n % 50 + 1}号",
                region=county,
                starts_at=at(day, "09:00"),
                ends_at=at(day, "12:00"),
                capacity=rng.choice((None, 300, 500, 800)),
                fair_type=rng.choice(FairType.values),
            )
        )
    trades = ("焊工", "电工", "中式烹调师", "育婴员", "家政服务员", "养老护理员", "叉车司机")
    training_days: list[list[datetime.date]] = []
    for n in range(SCALE_TRAININGS):
        county = rng.choice(counties)
        trade = trades[n % len(trades)]
        days = weekdays_from(monday + datetime.timedelta(weeks=rng.randint(-40, 25)), 5)
        training_days.append(days)
        events.append(
            Event(
                kind=EventKind.TRAINING,
                title=f"{SCALE_PREFIX}{county.name}{trade}培训班第{n + 1}期",
                campaign=campaign,
                organiser=f"{county.name}人力资源和社会保障局",
                venue=f"{county.name}职业技能培训中心",
                address=f"{county.name}学院路{n % 30 + 1}号",
                region=county,
                starts_at=at(days[0], "08:30"),
                ends_at=at(days[-1], "17:00"),
                capacity=40,
                trade=trade,
                skill_level=SkillLevel.LEVEL_5,
                hours=30,
                institution=f"{county.name}职业技能培训中心",
                eligibility=ELIGIBILITY,
            )
        )
    for event in events:
        event.live = True
        event.first_published_at = event.last_published_at = now
    events = Event.objects.bulk_create(events, batch_size=500)
    big_fair, fairs, trainings = events[0], events[1 : fair_count + 1], events[fair_count + 1 :]
    log(f"scale: {len(events)} events")

    sessions = [
        Session(event=e, starts_at=e.starts_at, ends_at=e.ends_at, sort_order=0)
        for e in [big_fair, *fairs]
    ]
    for event, days in zip(trainings, training_days, strict=True):
        for n, day in enumerate(days):
            sessions.append(Session(event=event, title=f"第{n + 1}天 上午", starts_at=at(day, "08:30"), ends_at=at(day, "11:30"), sort_order=2 * n))  # fmt: skip
            sessions.append(Session(event=event, title=f"第{n + 1}天 下午", starts_at=at(day, "14:00"), ends_at=at(day, "17:00"), sort_order=2 * n + 1))  # fmt: skip
    Session.objects.bulk_create(sessions, batch_size=1000)

    big_employers = employers[:SCALE_FAIR_EMPLOYERS]
    booths = [
        Booth(
            event=big_fair,
            employer=e,
            number=f"{'ABCD'[n // 25]}{n % 25 + 1:02d}",
            zone=f"{'ABCD'[n // 25]}区",
            sort_order=n,
        )
        for n, e in enumerate(big_employers)
    ]
    attends: dict[int, list[Event]] = {e.pk: [big_fair] for e in big_employers}
    for fair in fairs:
        for n, e in enumerate(rng.sample(employers, rng.randint(4, 8))):
            booths.append(Booth(event=fair, employer=e, number=f"A{n + 1:02d}", sort_order=n))
            attends.setdefault(e.pk, []).append(fair)
    Booth.objects.bulk_create(booths, batch_size=1000)
    log(f"scale: {len(sessions)} sessions, {len(booths)} booths")

    # Listings: three per 百企 employer, all offered at that fair, then the rest spread out.
    owners = [e for e in big_employers for _ in range(SCALE_FAIR_JOBS_PER_EMPLOYER)]
    owners += [rng.choice(employers) for _ in range(SCALE_LISTINGS - len(owners))]
    position = {e.pk: n for n, e in enumerate(employers)}
    listings, fair_links, benefit_links = [], [], []
    for n, employer in enumerate(owners):
        trade_jobs = SCALE_TRADES[position[employer.pk] % len(SCALE_TRADES)][2]
        title = trade_jobs[n % len(trade_jobs)]
        job = JOBS[title]
        low = _round_pay(job.pay[0] * rng.uniform(0.9, 1.1), job.unit)
        if n % 5 == 0:  # a fifth have expired, as on a real board
            valid_until = monday - datetime.timedelta(days=rng.randint(1, 200))
        else:
            valid_until = monday + datetime.timedelta(days=rng.randint(7, 180))
        listings.append(
            JobListing(
                employer=employer,
                title=title,
                category=job.category,
                headcount=rng.choice((1, 2, 5, 10, 20)),
                salary_min=low,
                salary_max=max(low, _round_pay(job.pay[1] * rng.uniform(0.9, 1.1), job.unit)),
                salary_unit=job.unit,
                requirements=job.requirements,
                work_content=job.work_content,
                region=employer.region,
                work_address=employer.address,
                employment_type=job.employment_type,
                valid_from=valid_until - datetime.timedelta(days=90),
                valid_until=valid_until,
                contact_name=employer.contact_name,
                contact_phone=employer.contact_phone,
                source=SOURCES[n % len(SOURCES)],
                live=True,
                first_published_at=now,
                last_published_at=now,
            )
        )
    listings = JobListing.objects.bulk_create(listings, batch_size=1000)
    for n, (listing, employer) in enumerate(zip(listings, owners, strict=True)):
        offered = attends.get(employer.pk, [])
        if n < len(big_employers) * SCALE_FAIR_JOBS_PER_EMPLOYER:
            offered = [big_fair]
        elif offered and n % 2:
            offered = [rng.choice(offered)]
        else:
            offered = []
        fair_links += [(listing.pk, fair.pk) for fair in offered]
        benefit_links += [(listing.pk, benefit_ids[c]) for c in JOBS[listing.title].benefits]
    FairLink = JobListing._meta.get_field("fairs").remote_field.through
    BenefitLink = JobListing._meta.get_field("benefits").remote_field.through
    FairLink.objects.bulk_create(
        [FairLink(joblisting_id=j, event_id=e) for j, e in fair_links], batch_size=2000
    )
    BenefitLink.objects.bulk_create(
        [BenefitLink(joblisting_id=j, benefit_id=b) for j, b in benefit_links], batch_size=2000
    )
    log(f"scale: {len(listings)} listings, {len(fair_links)} fair links")
    return True


def counts() -> dict[str, int]:
    """Row counts used to show that a second run changed nothing."""
    from wagtail.models import Revision

    return {
        "users": get_user_model().objects.count(),
        "employers": Employer.objects.count(),
        "events": Event.objects.count(),
        "sessions": Session.objects.count(),
        "booths": Booth.objects.count(),
        "listings": JobListing.objects.count(),
        "live listings": JobListing.objects.filter(live=True).count(),
        "articles": ArticlePage.objects.count(),
        "revisions": Revision.objects.count(),
    }
