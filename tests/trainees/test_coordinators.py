"""Coordinators: roles, the village scope, the worker screens, the audited full-ID view, coverage."""

import io

import openpyxl
import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.support.coordinators import (
    TOWNSHIP,
    id_number,
    login,
    make_coordinator,
    make_township,
    make_villages,
    phone,
    recorded_worker,
    refused,
)
from trainees.models import (
    Consent,
    ConsentMethod,
    Education,
    PersonalDataAccess,
    Provenance,
    Region,
    Worker,
    code_prefix,
)
from trainees.selectors import (
    coordinator_scope_q,
    regions_in_scope,
    village_coverage,
    workers_in_scope,
)

# Roles


@pytest.mark.django_db
def test_migration_creates_the_two_roles_with_their_permissions():
    def codenames(group: str) -> set[str]:
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert codenames("Coordinators") == {
        "access_admin",
        "add_worker",
        "change_worker",
        "view_worker",
    }
    assert codenames("Subsidy officers") == {
        "access_admin",
        "view_worker",
        "view_all_workers",
        "view_full_id_number",
        "view_special_groups",
        # events.0012_statistics_roles: officers also read statistics and file subsidy claims.
        "view_statistics",
        "add_subsidyclaim",
        "view_subsidyclaim",
    }
    assert Permission.objects.get(codename="view_all_workers").content_type.model == "worker"


# Scope


@pytest.mark.parametrize(
    ("code", "prefix"),
    [
        ("450102001000", "450102001"),
        ("450102001010", "450102001010"),
        ("450102100000", "450102100"),
        ("450102000000", "450102"),
    ],
)
def test_code_prefix_cuts_the_zero_tail_of_the_level_not_every_zero(code, prefix):
    assert code_prefix(code) == prefix


@pytest.mark.django_db
def test_a_township_coordinator_sees_its_villages_and_nothing_else(coordinator, area, workers):
    assert list(workers_in_scope(user=coordinator)) == [workers["inside"]]
    assert not Worker.objects.filter(
        coordinator_scope_q(user=coordinator), pk=workers["outside"].pk
    ).exists()
    assert set(regions_in_scope(user=coordinator)) == {area["township"], *area["villages"]}


@pytest.mark.django_db
def test_a_village_coordinator_does_not_see_the_rest_of_the_township(django_user_model, area):
    village_one, village_two, _ = area["villages"]
    in_one = recorded_worker(1, village_one)
    recorded_worker(2, village_two)
    user = make_coordinator(django_user_model, "village", [village_one])

    assert list(workers_in_scope(user=user)) == [in_one]
    assert list(regions_in_scope(user=user)) == [village_one]


@pytest.mark.django_db
def test_nobody_without_regions_and_everybody_for_superusers_and_officers(
    django_user_model, superuser, subsidy_officer, workers
):
    no_regions = make_coordinator(django_user_model, "unassigned", [])

    assert not workers_in_scope(user=no_regions).exists()
    assert workers_in_scope(user=superuser).count() == 2
    assert workers_in_scope(user=subsidy_officer).count() == 2


# Worker listing


@pytest.mark.django_db
def test_listing_shows_only_masked_details_of_workers_in_scope(client, coordinator, workers):
    inside, outside = workers["inside"], workers["outside"]

    response = login(client, coordinator).get(reverse("workers:index"))

    assert response.status_code == 200
    html = response.content.decode()
    assert inside.masked_name in html  # 王*明
    assert inside.id_number_masked in html
    assert inside.masked_phone in html
    assert id_number(1) not in html
    assert inside.phone not in html
    assert inside.name not in html
    assert outside.masked_name not in html
    assert outside.id_number_masked not in html


@pytest.mark.django_db
def test_listing_search_by_last_four_phone_digits_and_by_name(client, area, superuser):
    first = recorded_worker(1, area["villages"][0], name="王小明")
    second = recorded_worker(22, area["villages"][1], name="赵小红")
    login(client, superuser)

    def found(query: str) -> set[int]:
        response = client.get(reverse("workers:index"), {"q": query})
        return {worker.pk for worker in response.context["object_list"]}

    assert found(phone(22)[-4:]) == {second.pk}
    assert found("小明") == {first.pk}
    assert found("9999") == set()


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["workers:edit", "workers:delete", "workers:history"])
def test_a_worker_outside_the_villages_is_not_found(client, coordinator, workers, view):
    response = login(client, coordinator).get(reverse(view, args=[workers["outside"].pk]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_a_coordinator_cannot_edit_a_worker_outside_by_posting(client, coordinator, workers, area):
    outside = workers["outside"]

    response = login(client, coordinator).post(
        reverse("workers:edit", args=[outside.pk]),
        {"name": "改名", "phone": outside.phone, "hukou_region": area["villages"][0].pk},
    )

    assert response.status_code == 404
    outside.refresh_from_db()
    assert outside.name == "李大壮"


@pytest.mark.django_db
def test_officers_see_every_worker_but_may_not_edit(client, subsidy_officer, workers):
    login(client, subsidy_officer)

    listing = client.get(reverse("workers:index"))
    edit = client.get(reverse("workers:edit", args=[workers["inside"].pk]))

    assert {w.pk for w in listing.context["object_list"]} == {w.pk for w in workers.values()}
    assert refused(edit)


# Creating and editing on the worker's behalf


def worker_form(village: Region, **overrides) -> dict:
    data = {
        "name": "陈小燕",
        "phone": "+86 139-0000-0101",
        "id_number": id_number(101),
        "hukou_region": village.pk,
        "education": Education.JUNIOR,
        "employment_status": "",
        "consent_method": ConsentMethod.VERBAL,
        "privacy_agreed": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_a_coordinator_registers_a_worker_with_consent_and_provenance(client, coordinator, area):
    village = area["villages"][1]

    response = login(client, coordinator).post(reverse("workers:add"), worker_form(village))

    assert response.status_code == 302
    worker = Worker.objects.get(phone="13900000101")
    assert (worker.name, worker.hukou_region, worker.education) == ("陈小燕", village, "junior")
    assert (worker.provenance, worker.created_by) == (Provenance.ASSISTED, coordinator)
    assert worker.id_number_masked == id_number(101)[:6] + "********" + id_number(101)[-4:]
    consent = Consent.objects.get(worker=worker)
    assert (consent.method, consent.recorded_by) == (ConsentMethod.VERBAL, coordinator)


@pytest.mark.django_db
def test_the_privacy_tick_is_required(client, coordinator, area):
    data = worker_form(area["villages"][0])
    del data["privacy_agreed"]

    response = login(client, coordinator).post(reverse("workers:add"), data)

    assert response.status_code == 200
    assert "privacy_agreed" in response.context["form"].errors
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_villages_outside_the_scope_are_neither_offered_nor_accepted(client, coordinator, area):
    login(client, coordinator)
    offered = client.get(reverse("workers:add")).context["form"].fields["hukou_region"].queryset

    response = client.post(reverse("workers:add"), worker_form(area["other_village"]))

    assert area["other_village"] not in offered
    assert area["villages"][0] in offered
    assert "hukou_region" in response.context["form"].errors
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_links_to_the_existing_worker_when_in_scope(client, coordinator, workers, area):
    inside = workers["inside"]
    login(client, coordinator)

    response = client.post(
        reverse("workers:add"), worker_form(area["villages"][0], id_number=id_number(1))
    )

    assert response.status_code == 200
    assert "id_number" in response.context["form"].errors
    assert reverse("workers:edit", args=[inside.pk]) in response.content.decode()
    assert Worker.objects.count() == 2


@pytest.mark.django_db
def test_a_duplicate_outside_the_scope_is_reported_without_a_link(
    client, coordinator, workers, area
):
    outside = workers["outside"]

    response = login(client, coordinator).post(
        reverse("workers:add"), worker_form(area["villages"][0], phone=outside.phone, id_number="")
    )

    assert "phone" in response.context["form"].errors
    assert reverse("workers:edit", args=[outside.pk]) not in response.content.decode()
    assert Worker.objects.count() == 2


@pytest.mark.django_db
def test_the_edit_form_shows_the_id_number_masked_and_keeps_it_when_left_empty(
    client, coordinator, workers, area
):
    inside = workers["inside"]
    url = reverse("workers:edit", args=[inside.pk])
    login(client, coordinator)

    page = client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "王晓明",
            "phone": "13900000077",
            "id_number": "",
            "hukou_region": area["villages"][2].pk,
            "employment_status": "farming",
        },
    )

    assert id_number(1) not in page
    assert inside.id_number_masked in page
    assert response.status_code == 302
    before_hmac = inside.id_number_hmac
    inside.refresh_from_db()
    assert (inside.name, inside.phone, inside.hukou_region) == (
        "王晓明",
        "13900000077",
        area["villages"][2],
    )
    assert inside.employment_status == "farming"
    assert inside.id_number_hmac == before_hmac


@pytest.mark.django_db
def test_a_new_id_number_replaces_the_stored_one(client, coordinator, workers):
    inside = workers["inside"]

    response = login(client, coordinator).post(
        reverse("workers:edit", args=[inside.pk]),
        {
            "name": inside.name,
            "phone": inside.phone,
            "id_number": id_number(55).lower(),
            "hukou_region": inside.hukou_region_id,
        },
    )

    assert response.status_code == 302
    inside.refresh_from_db()
    assert inside.id_number_masked == id_number(55)[:6] + "********" + id_number(55)[-4:]


@pytest.mark.django_db
def test_editing_to_another_workers_phone_is_refused(client, superuser, workers):
    inside, outside = workers["inside"], workers["outside"]

    response = login(client, superuser).post(
        reverse("workers:edit", args=[inside.pk]),
        {"name": inside.name, "phone": outside.phone, "hukou_region": inside.hukou_region_id},
    )

    assert "phone" in response.context["form"].errors
    inside.refresh_from_db()
    assert inside.phone == phone(1)


# The full ID number


@pytest.mark.django_db
def test_the_full_id_number_is_refused_without_the_permission(client, coordinator, workers):
    url = reverse("workers:reveal", args=[workers["inside"].pk])
    login(client, coordinator)

    shown = client.get(url)
    posted = client.post(url, {"reason": "查看"})

    assert refused(shown)
    assert refused(posted)
    assert id_number(1) not in posted.content.decode()
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_the_full_id_number_is_shown_once_with_a_reason_and_audited(
    client, subsidy_officer, workers
):
    inside = workers["inside"]
    url = reverse("workers:reveal", args=[inside.pk])
    login(client, subsidy_officer)

    form_page = client.get(url)
    without_reason = client.post(url, {"reason": ""})
    response = client.post(url, {"reason": "2026年3月焊工培训补贴申报"})

    assert id_number(1) not in form_page.content.decode()
    assert id_number(1) not in without_reason.content.decode()
    assert id_number(1) in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    access = PersonalDataAccess.objects.get()
    assert (access.actor, access.worker, access.action, access.detail) == (
        subsidy_officer,
        inside,
        PersonalDataAccess.Action.VIEW_FULL_ID,
        "2026年3月焊工培训补贴申报",
    )


@pytest.mark.django_db
def test_the_listing_offers_the_full_id_only_to_those_allowed(
    client, coordinator, subsidy_officer, workers
):
    reveal_url = reverse("workers:reveal", args=[workers["inside"].pk])

    as_coordinator = login(client, coordinator).get(reverse("workers:index"))
    as_officer = login(client, subsidy_officer).get(reverse("workers:index"))

    assert reveal_url not in as_coordinator.content.decode()
    assert reveal_url in as_officer.content.decode()


@pytest.mark.django_db
def test_the_permission_does_not_reach_outside_the_villages(client, coordinator, workers):
    coordinator.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))

    response = login(client, coordinator).post(
        reverse("workers:reveal", args=[workers["outside"].pk]), {"reason": "查看"}
    )

    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


# Coverage


@pytest.mark.django_db
def test_coverage_counts_every_village_including_empty_ones(client, coordinator, area):
    first, second, _third = area["villages"]
    recorded_worker(1, first)
    recorded_worker(2, first)
    recorded_worker(3, second)
    recorded_worker(4, area["township"])  # registered down to the township only
    recorded_worker(5, area["other_village"])

    (township,) = village_coverage(user=coordinator)

    assert (township.code, township.name) == (TOWNSHIP, "民生街道")
    assert [(v.code, v.workers) for v in township.villages] == [
        ("450102001001", 2),
        ("450102001002", 1),
        ("450102001003", 0),
    ]
    assert (township.township_only, township.total) == (1, 4)

    response = login(client, coordinator).get(reverse("coverage:report"))
    assert response.status_code == 200
    assert response.content.decode().count("data-empty-village") == 1


@pytest.mark.django_db
def test_coverage_names_the_township_of_a_village_coordinator(django_user_model, area):
    user = make_coordinator(django_user_model, "village", [area["villages"][1]])

    (township,) = village_coverage(user=user)

    assert (township.code, township.name) == (TOWNSHIP, "民生街道")
    assert [v.code for v in township.villages] == ["450102001002"]


@pytest.mark.django_db
def test_coverage_runs_the_same_queries_for_5_and_50_villages(client, django_user_model, area):
    big = make_township("450102003000", "新竹街道")
    villages = make_villages(big, range(1, 6))
    for serial, village in enumerate(villages, start=10):
        recorded_worker(serial, village)
    user = make_coordinator(django_user_model, "big", [big])
    login(client, user)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("coverage:report"))
        assert response.status_code == 200
        return len(captured)

    five = queries()
    more = make_villages(big, range(6, 51))
    for serial, village in enumerate(more, start=100):
        recorded_worker(serial, village)
    fifty = queries()

    assert len(village_coverage(user=user)[0].villages) == 50
    assert five == fifty


@pytest.mark.django_db
def test_the_coverage_selector_needs_two_queries_beyond_permissions(superuser, area):
    recorded_worker(1, area["villages"][0])

    with CaptureQueriesContext(connection) as captured:
        village_coverage(user=superuser)

    # A superuser has no scope to load: the regions, then the workers counted per region.
    assert len(captured) == 2


@pytest.mark.django_db
def test_coverage_exports_an_xlsx_with_township_totals(client, coordinator, area):
    recorded_worker(1, area["villages"][0])

    response = login(client, coordinator).get(reverse("coverage:report"), {"export": "xlsx"})

    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    rows = list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[1:] == [
        ("民生街道", "民生街道1村", "450102001001", 1),
        ("民生街道", "民生街道2村", "450102001002", 0),
        ("民生街道", "民生街道3村", "450102001003", 0),
        ("民生街道", rows[4][1], TOWNSHIP, 1),
    ]


# Assigning coordinators


@pytest.mark.django_db
def test_a_superuser_assigns_a_user_to_villages(client, superuser, django_user_model, area):
    user = django_user_model.objects.create_user(username="new-coordinator")
    login(client, superuser)

    response = client.post(
        reverse("coordinators:add"),
        {"user": user.pk, "regions": [area["villages"][0].pk, area["villages"][2].pk]},
    )
    listing = client.get(reverse("coordinators:index"))

    assert response.status_code == 302
    assert set(user.coordinator.regions.all()) == {area["villages"][0], area["villages"][2]}
    assert "民生街道1村、民生街道3村" in listing.content.decode()


@pytest.mark.django_db
def test_coordinators_cannot_assign_regions(client, coordinator):
    response = login(client, coordinator).get(reverse("coordinators:index"))

    assert refused(response)
