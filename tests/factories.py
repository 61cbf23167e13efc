"""factory_boy factories for the domain models.

Regions: the 12 Nanning counties come from trainees.0002; factories reuse them instead of
inventing counties. Snippets (Event, JobListing) are created live by default, as the public
site sees them; ``publish(obj)`` goes through Wagtail's revision machinery instead.
"""

import datetime
import itertools
import zoneinfo

import factory
from django.utils import timezone
from stdnum.cn import ric, uscc

from events.models import (
    Benefit,
    Campaign,
    Employer,
    EmployerSize,
    Event,
    EventKind,
    Industry,
    JobCategory,
    JobListing,
    Session,
)
from trainees.models import Region, RegionLevel, Worker, WorkerSpecialGroup
from trainees.services.identity import apply_id_number

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
XINGNING = "450102000000"  # 兴宁区
QINGXIU = "450103000000"  # 青秀区
NANNING = "450100000000"  # 南宁市


def county(code: str = XINGNING) -> Region:
    """One of the county-level divisions the migration loads."""
    return Region.objects.get(code=code)


def credit_code(serial: int, *, prefix: str = "91450100") -> str:
    """A valid 统一社会信用代码: 8 digits, a 9-character organisation code, a check digit."""
    body = f"{prefix}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


def shanghai(*args) -> datetime.datetime:
    """An aware datetime in Asia/Shanghai, e.g. shanghai(2026, 3, 1, 9)."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def publish(obj, user=None):
    """Publish a snippet the way the admin does: save a revision, then publish it."""
    revision = obj.save_revision(user=user)
    revision.publish(user=user)
    obj.refresh_from_db()
    return obj


def _next_week_at_nine() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=7)
    return datetime.datetime.combine(day, datetime.time(9), tzinfo=SHANGHAI)


class RegionFactory(factory.django.DjangoModelFactory):
    """A township (街道/乡镇) under 兴宁区."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"450102{(n % 999) + 1:03d}000")
    name = factory.Sequence(lambda n: f"测试街道{n}")
    level = RegionLevel.TOWNSHIP
    parent = factory.LazyFunction(county)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = "2026年春风行动"
    theme = "就业暖心·春风送岗"
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=60))


class EmployerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employer

    name = factory.Sequence(lambda n: f"南宁市第{n}机械制造有限公司")
    credit_code = factory.Sequence(credit_code)
    industry = Industry.MANUFACTURING
    size = EmployerSize.MEDIUM
    region = factory.LazyFunction(county)
    address = "南宁市兴宁区民族大道1号"
    contact_name = "李经理"
    contact_phone = "0771-5551234"


class EventFactory(factory.django.DjangoModelFactory):
    """A live job fair next week, 09:00-17:00 Shanghai time, with one session by default.

    ``sessions=n`` creates n day-long sessions (the event then spans n days); ``sessions=0``
    none.
    """

    class Meta:
        model = Event
        skip_postgeneration_save = True

    kind = EventKind.JOB_FAIR
    title = factory.Sequence(lambda n: f"春风行动专场招聘会第{n}场")
    summary = "百余家企业现场招聘，免费入场。"
    venue = "南宁国际会展中心"
    address = "南宁市青秀区民族大道111号"
    region = factory.LazyFunction(county)
    starts_at = factory.LazyFunction(_next_week_at_nine)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=8))
    organiser = "南宁市人力资源和社会保障局"
    live = True

    class Params:
        training = factory.Trait(
            kind=EventKind.TRAINING,
            title=factory.Sequence(lambda n: f"电焊工技能培训班第{n}期"),
            trade="焊工",
            hours=80,
            institution="南宁市技工学校",
        )
        draft = factory.Trait(live=False)

    @factory.post_generation
    def sessions(obj, create, extracted, **kwargs):
        if not create:
            return
        count = 1 if extracted is None else extracted
        days = max(count, 1)
        span = obj.ends_at - obj.starts_at
        if count > 1 and span < datetime.timedelta(days=count - 1):
            # Stretch the event so that every day-long session fits inside it.
            obj.ends_at = obj.starts_at + datetime.timedelta(days=days - 1, hours=8)
            obj.save(update_fields=["ends_at"])
        for day in range(count):
            start = obj.starts_at + datetime.timedelta(days=day)
            end = min(start + datetime.timedelta(hours=8), obj.ends_at)
            if end <= start:
                end = start + datetime.timedelta(hours=1)
            SessionFactory(event=obj, title=f"第{day + 1}天", starts_at=start, ends_at=end)


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory, sessions=0)
    title = "全天"
    starts_at = factory.LazyAttribute(lambda o: o.event.starts_at)
    ends_at = factory.LazyAttribute(lambda o: o.event.ends_at)


class JobListingFactory(factory.django.DjangoModelFactory):
    """A live, currently valid listing. ``benefits=["meals", "housing"]`` tags it."""

    class Meta:
        model = JobListing
        skip_postgeneration_save = True

    employer = factory.SubFactory(EmployerFactory)
    title = factory.Sequence(lambda n: f"普工{n}")
    category = JobCategory.OPERATIVE
    headcount = 10
    salary_min = 4000
    salary_max = 6000
    requirements = "18至50周岁，身体健康，能适应倒班。"
    work_content = "流水线装配，岗前带薪培训。"
    region = factory.LazyFunction(county)
    work_address = "南宁市兴宁区三塘镇工业园"
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=1))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    contact_name = "王主管"
    contact_phone = "13800000000"
    source = "用人单位提供"
    live = True

    class Params:
        draft = factory.Trait(live=False)
        expired = factory.Trait(
            valid_from=factory.LazyFunction(
                lambda: timezone.localdate() - datetime.timedelta(days=60)
            ),
            valid_until=factory.LazyFunction(
                lambda: timezone.localdate() - datetime.timedelta(days=1)
            ),
        )

    @factory.post_generation
    def benefits(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        obj.benefits.set(Benefit.objects.filter(code__in=extracted))
        obj.save()

    @factory.post_generation
    def fairs(obj, create, extracted, **kwargs):
        if not create or not extracted:
            return
        obj.fairs.set(extracted)
        obj.save()


_serials = itertools.count(1)
_phones = itertools.count(1)


def mobile(serial: int | None = None) -> str:
    """A valid mainland mobile number: 135… and different at each call, or with a serial
    139<serial> (the same for the same serial: tests.support.coordinators.phone), so the two
    never meet."""
    if serial is None:
        return f"135{next(_phones):08d}"
    return f"139{serial:08d}"


def id_number_for(
    birth_date: datetime.date, *, county: str = "450100", sex: str = "", serial: int | None = None
) -> str:
    """A valid 18-character ID number for a birth date (450100, 南宁市, existed in every year);
    sex "M" or "F" picks the parity of the 17th digit, as GB 11643 has it. With a serial
    (0-999), that is the 3-digit sequence code, so the same serial gives the same number."""
    if serial is None:
        serial = next(_serials) % 500 * 2 + (
            1 if sex == "M" else 0 if sex == "F" else next(_serials) % 2
        )
    elif not 0 <= serial <= 999 or (sex and serial % 2 != (sex == "M")):
        raise ValueError(f"no sequence code {serial} for sex {sex!r}")
    body = f"{county}{birth_date:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")  # the function skips the last character


def make_worker(
    *,
    name: str = "张三丰",
    birth_date: datetime.date | None = None,
    sex: str = "",
    id_county: str = "450100",
    hukou: Region | None = None,
    education: str = "",
    user=None,
    groups=(),
) -> Worker:
    """A worker with a fresh mobile number; with a birth date, an ID number (encrypted, masked,
    with the birth date, sex and issuing county derived from it, as the services store it)."""
    worker = Worker(
        name=name,
        phone=mobile(),
        hukou_region=hukou,
        education=education,
        user=user,
    )
    if birth_date is not None:
        apply_id_number(worker, id_number_for(birth_date, county=id_county, sex=sex))
    worker.save()
    for group in groups:
        WorkerSpecialGroup.objects.create(worker=worker, group=group)
    return worker


def village(code: str, name: str = "") -> Region:
    """A township or village under 兴宁区 with the given 12-digit code (its township too, named
    测试镇<its three digits> unless it exists)."""
    level = RegionLevel.TOWNSHIP if code.endswith("000") else RegionLevel.VILLAGE
    parent = (
        county(code[:6] + "000000") if level == RegionLevel.TOWNSHIP else village(code[:9] + "000")
    )
    default = f"测试镇{code[6:9]}" if level == RegionLevel.TOWNSHIP else code
    return RegionFactory(code=code, level=level, name=name or default, parent=parent)


def staff_member(username: str, *groups: str, event=None, role: str = ""):
    """A staff account in the named groups; with an event, also its organiser or scanner."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from events.models import EventStaff

    user = get_user_model().objects.create_user(username=username, password="password")
    user.groups.add(*(Group.objects.get(name=name) for name in groups))  # a typo fails here
    if event is not None:
        EventStaff.objects.create(event=event, user=user, role=role)
    return user


def open_event(**fields):
    """A live training class next week, open for registration now (2 seats unless told)."""
    fields.setdefault("capacity", 2)
    return EventFactory(training=True, **fields)
