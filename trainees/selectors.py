"""Reads for the trainees app."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet

from trainees.models import (
    Consent,
    ConsentKind,
    PersonalDataAccess,
    Region,
    RegionLevel,
    Worker,
    WorkerSpecialGroup,
    code_prefix,
)
from trainees.services.identity import PRIVACY_NOTICE_VERSION

COUNTY_CHOICES_CACHE_KEY = "trainees:county-choices"


def county_choices() -> list[tuple[str, str]]:
    """(code, name) of every county-level division; cached because every filter form needs it."""
    choices = cache.get(COUNTY_CHOICES_CACHE_KEY)
    if choices is None:
        choices = list(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name"))
        cache.set(COUNTY_CHOICES_CACHE_KEY, choices, 60 * 10)
    return choices


DIVISION_NAMES_CACHE_KEY = "trainees:division-names"


def division_names() -> dict[str, str]:
    """Name by code of every county and township: what statistics group people by. Cached like
    county_choices (regions change a few times a year, through import_regions)."""
    names = cache.get(DIVISION_NAMES_CACHE_KEY)
    if names is None:
        names = dict(
            Region.objects.filter(level__in=[RegionLevel.COUNTY, RegionLevel.TOWNSHIP]).values_list(
                "code", "name"
            )
        )
        cache.set(DIVISION_NAMES_CACHE_KEY, names, 60 * 10)
    return names


# Sign-in, profile and data rights (worker side).


def region_children(*, parent_code: str = "") -> list[dict[str, str]]:
    """Code and name of the divisions directly under `parent_code`; counties when it is empty.

    Feeds the cascading household-registration picker (three selects and its JSON endpoint).
    """
    if not parent_code:
        return [{"code": code, "name": name} for code, name in county_choices()]
    return list(
        Region.objects.filter(parent__code=parent_code).order_by("code").values("code", "name")
    )


def region_path(*, region: Region | None) -> list[Region]:
    """County, township and village down to `region` (the city level left out)."""
    path: list[Region] = []
    while region is not None and region.level != RegionLevel.CITY:
        path.append(region)
        region = region.parent
    return list(reversed(path))


def worker_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Worker | None:
    if not user.is_authenticated:
        return None
    return Worker.objects.select_related("hukou_region").filter(user=user).first()


def has_current_privacy_consent(*, worker: Worker) -> bool:
    """Whether the worker accepted the privacy notice as it reads now (its current version)."""
    return worker.consents.filter(
        kind=ConsentKind.PRIVACY_NOTICE,
        text_version=PRIVACY_NOTICE_VERSION,
        withdrawn_at__isnull=True,
    ).exists()


def active_special_groups_consent(*, worker: Worker) -> Consent | None:
    return (
        worker.consents.filter(kind=ConsentKind.SPECIAL_GROUPS, withdrawn_at__isnull=True)
        .order_by("-given_at")
        .first()
    )


@dataclass(frozen=True)
class OwnData:
    """Everything the worker's "my data" page shows; the ID number only as stored masked."""

    worker: Worker
    hukou_path: list[Region]
    origin_county: Region | None
    special_groups: list[WorkerSpecialGroup]
    special_groups_consent: Consent | None
    consents: list[Consent]
    accesses: list[PersonalDataAccess]


def own_data(*, worker: Worker) -> OwnData:
    return OwnData(
        worker=worker,
        hukou_path=region_path(region=worker.hukou_region),
        origin_county=Region.objects.filter(code=worker.origin_county_code).first()
        if worker.origin_county_code
        else None,
        special_groups=list(worker.special_groups.order_by("group")),
        special_groups_consent=active_special_groups_consent(worker=worker),
        consents=list(worker.consents.order_by("-given_at")),
        accesses=list(PersonalDataAccess.objects.filter(worker=worker).order_by("-created_at")),
    )


# Coordinators and coverage
# A coordinator works in villages or whole townships. A region's subdivisions share the start of
# its code (township 450102001000 covers villages 450102001xxx), so the scope is a list of code
# prefixes. Superusers and holders of VIEW_ALL_WORKERS (subsidy officers) have no scope.

VIEW_ALL_WORKERS = "trainees.view_all_workers"
WORKER_REGION_LEVELS = (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)


def scope_prefixes(*, user: AbstractBaseUser | AnonymousUser) -> list[str] | None:
    """Code prefixes of the regions the user works in; None when no scope applies. An empty list
    (a user with no regions) matches nobody."""
    if not user.is_authenticated:
        return []
    if user.has_perm(VIEW_ALL_WORKERS):
        return None
    codes = Region.objects.filter(coordinators__user=user).values_list("code", flat=True)
    prefixes = {code_prefix(code) for code in codes}
    # A village inside an assigned township adds nothing.
    return sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))


def code_in_scope(code: str, *, prefixes: list[str] | None) -> bool:
    return prefixes is None or any(code.startswith(prefix) for prefix in prefixes)


def _prefix_q(prefixes: list[str] | None, *, field: str) -> Q:
    if prefixes is None:
        return Q()
    query = Q(pk__in=[])  # matches nothing, so that no regions means no workers
    for prefix in prefixes:
        query |= Q(**{f"{field}__startswith": prefix})
    return query


def coordinator_scope_q(*, user: AbstractBaseUser | AnonymousUser) -> Q:
    """Filter on Worker: the workers whose household registration lies in the user's regions."""
    return _prefix_q(scope_prefixes(user=user), field="hukou_region__code")


def regions_in_scope(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Region]:
    """The townships and villages of the user's scope: where the user may place a worker."""
    return regions_within(prefixes=scope_prefixes(user=user))


def regions_within(*, prefixes: list[str] | None) -> QuerySet[Region]:
    """Townships and villages under these code prefixes (None: all of them)."""
    return Region.objects.filter(_prefix_q(prefixes, field="code"), level__in=WORKER_REGION_LEVELS)


def workers_in_scope(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Worker]:
    return Worker.objects.filter(coordinator_scope_q(user=user))


@dataclass(frozen=True)
class VillageCount:
    code: str
    name: str
    workers: int


@dataclass
class TownshipCoverage:
    code: str
    name: str
    villages: list[VillageCount]
    township_only: int = 0  # workers whose registration is known only down to the township

    @property
    def total(self) -> int:
        return self.township_only + sum(village.workers for village in self.villages)


def village_coverage(*, user: AbstractBaseUser | AnonymousUser) -> list[TownshipCoverage]:
    """Registered workers per village of the user's scope, villages without workers included,
    grouped by township in code order. One query besides the scope: the count is a subquery."""
    return coverage_within(prefixes=scope_prefixes(user=user))


def coverage_within(*, prefixes: list[str] | None) -> list[TownshipCoverage]:
    """village_coverage for the regions under these code prefixes (None: every region). Two
    queries: the regions, then one count per region over the workers' index, so a city of
    100,000 workers costs one index scan rather than a subquery per village."""
    regions = list(
        regions_within(prefixes=prefixes)
        .order_by("code")
        .values_list("pk", "code", "name", "level", "parent__name")
    )
    workers = Worker.objects.exclude(hukou_region=None)
    if prefixes is not None:
        workers = workers.filter(hukou_region_id__in=[pk for pk, *_rest in regions])
    counts = dict(
        workers.order_by()
        .values_list("hukou_region_id")
        .annotate(n=Count("pk"))
        .values_list("hukou_region_id", "n")
    )
    townships: dict[str, TownshipCoverage] = {}
    for pk, code, name, level, parent_name in regions:
        key = code[:9]
        if level == RegionLevel.TOWNSHIP:
            township = townships.setdefault(
                key, TownshipCoverage(code=code, name=name, villages=[])
            )
            township.township_only = counts.get(pk, 0)
            continue
        if key not in townships:
            # A coordinator of single villages has no township in scope: name it from the parent.
            townships[key] = TownshipCoverage(
                code=key + "000", name=parent_name or key + "000", villages=[]
            )
        townships[key].villages.append(
            VillageCount(code=code, name=name, workers=counts.get(pk, 0))
        )
    return list(townships.values())
