"""The statistics JSON API: who gets what, the answers match docs/statistics-openapi.json, the
figures are the statistics page's, and no personal data ever leaves."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from events.models import EventStaffRole
from events.reports import api_urls, services
from tests.factories import XINGNING, CampaignFactory, staff_member
from tests.support.scenarios import (
    attend,
    class_with_two_sessions,
    enrol,
    register,
    sign_in,
    training_class,
    two_day_fair,
)
from trainees.models import SpecialGroup

pytestmark = pytest.mark.django_db

DOCUMENT = json.loads(
    (Path(settings.BASE_DIR) / "docs" / "statistics-openapi.json").read_text(encoding="utf-8")
)


def schema(name: str) -> dict:
    """A component schema with its $refs resolvable: the whole document is the root."""
    return {**DOCUMENT, "$ref": f"#/components/schemas/{name}"}


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def statistics_client(superuser):
    return services.create_statistics_client(name="市就业监测平台", by=superuser)


@pytest.fixture
def token(statistics_client):
    return statistics_client[1]


def event_url(event) -> str:
    return reverse("statistics_api:event", args=[event.pk])


def test_a_token_reads_any_event_with_the_documented_answer(client, counted_fair, token):
    event, people = counted_fair

    response = client.get(event_url(event), **bearer(token))

    assert response.status_code == 200
    data = response.json()
    jsonschema.validate(data, schema("EventStatistics"))
    assert data["figures"]["registered"] == 7 and data["figures"]["entrants"] == 6
    assert data["figures"]["visits"] == 8
    assert data["figures"]["no_show_rate"] == pytest.approx(2 / 7)
    assert "special_groups" not in data["breakdowns"], "tokens never get special groups"
    text = response.content.decode()
    for registration in people:
        assert registration.worker.phone not in text and registration.worker.name not in text
    assert not re.search(r"\d{17}[\dX]", text), "nothing that looks like an ID number"
    assert "no-store" in response["Cache-Control"]


def test_revoked_unknown_and_missing_tokens_are_refused(
    client, counted_fair, statistics_client, token
):
    event, _people = counted_fair
    services.revoke_statistics_client(client_id=statistics_client[0].pk)

    answers = [
        client.get(event_url(event), **bearer(token)),
        client.get(event_url(event), **bearer("not-a-token")),
        client.get(event_url(event)),
    ]

    for answer in answers:
        assert answer.status_code == 401
        jsonschema.validate(answer.json(), schema("Error"))


def test_staff_sessions_see_their_events_and_special_groups_by_permission(client):
    event, day1, _day2 = two_day_fair()
    sign_in(register(event, groups=[SpecialGroup.VETERAN]), at=day1.starts_at)
    other = two_day_fair()[0]
    organiser = staff_member("organiser", "Organisers", event=event, role=EventStaffRole.ORGANISER)

    client.force_login(organiser)
    own = client.get(event_url(event))
    not_own = client.get(event_url(other))
    overview = client.get(reverse("statistics_api:overview"))
    client.force_login(staff_member("officer", "Subsidy officers"))
    officer = client.get(event_url(event))

    assert own.status_code == 200 and "special_groups" not in own.json()["breakdowns"]
    assert not_own.status_code == 404 and overview.status_code == 404
    groups = officer.json()["breakdowns"]["special_groups"]
    assert groups == [{"key": "veteran", "label": "退役军人", "registered": 1, "came": 1}]


def test_the_overview_by_campaign_with_the_documented_answer(client, counted_fair, token):
    event, _people = counted_fair
    campaign = CampaignFactory()
    type(event).objects.filter(pk=event.pk).update(campaign=campaign)

    response = client.get(
        reverse("statistics_api:overview"), {"campaign": campaign.pk}, **bearer(token)
    )

    by_path = client.get(reverse("statistics_api:campaign", args=[campaign.pk]), **bearer(token))
    unknown = client.get(
        reverse("statistics_api:campaign", args=[campaign.pk + 1]), **bearer(token)
    )

    data = response.json()
    jsonschema.validate(data, schema("Overview"))
    assert data["events"] == 0, "the fair is next week: nothing counted yet"
    assert data["filters"]["campaign"] == campaign.pk
    assert by_path.json() == data
    assert unknown.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"campaign": "x"},
        {"campaign": "999999"},
        {"from": "2026-13-01"},
        {"county": "4501"},
        {"county": "450102001001"},  # a village, not a county
        {"from": "2026-03-02", "to": "2026-03-01"},
    ],
)
def test_bad_overview_filters_say_what_is_wrong(client, token, query):
    response = client.get(reverse("statistics_api:overview"), query, **bearer(token))

    assert response.status_code == 400
    jsonschema.validate(response.json(), schema("Error"))
    assert response.json()["message"]


def test_the_event_endpoint_takes_a_fixed_number_of_queries(client, counted_fair, token):
    event, _people = counted_fair
    client.get(event_url(event), **bearer(token))
    with CaptureQueriesContext(connection) as small:
        client.get(event_url(event), **bearer(token))
    day1 = event.sessions.order_by("starts_at").first()
    for _ in range(10):
        sign_in(register(event), at=day1.starts_at)

    with CaptureQueriesContext(connection) as large:
        client.get(event_url(event), **bearer(token))

    assert len(large) == len(small)


def test_every_statistics_path_is_documented():
    documented = set(DOCUMENT["paths"])
    for pattern in api_urls.urlpatterns:
        path = re.sub(r"<int:(\w+)>", r"{\1}", str(pattern.pattern))
        assert f"/api/statistics/{path}" in documented
    jsonschema.Draft202012Validator.check_schema(schema("EventStatistics"))


def test_breakdown_keys_do_not_change_with_the_language(client, token):
    event, day1, _day2 = two_day_fair()
    sign_in(register(event, birth_date=day1.starts_at.date().replace(year=1980)), at=day1.starts_at)

    answers = {
        language: client.get(event_url(event), HTTP_ACCEPT_LANGUAGE=language, **bearer(token))
        for language in ("zh-hans", "en")
    }

    keys = {
        language: [row["key"] for row in answer.json()["breakdowns"]["age_band"]]
        for language, answer in answers.items()
    }
    labels = {
        language: answer.json()["breakdowns"]["age_band"][0]["label"]
        for language, answer in answers.items()
    }
    assert keys["zh-hans"] == keys["en"] == ["45-54"]
    assert labels == {"zh-hans": "45–54", "en": "45–54"}
    sexes = {
        language: answer.json()["breakdowns"]["sex"][0] for language, answer in answers.items()
    }
    assert sexes["zh-hans"]["key"] == sexes["en"]["key"]
    assert sexes["zh-hans"]["label"] != sexes["en"]["label"]


def test_overview_errors_name_the_parameter_and_counties_are_the_citys(client, token):
    overview = reverse("statistics_api:overview")

    def get(query: dict):
        return client.get(overview, query, HTTP_ACCEPT_LANGUAGE="en", **bearer(token))

    village = get({"county": "450102001001"})
    bad_date = get({"to": "2026-02-30"})
    backwards = get({"from": "2026-03-02", "to": "2026-03-01"})
    county = get({"county": XINGNING, "from": "2026-03-01"})

    assert village.status_code == bad_date.status_code == backwards.status_code == 400
    assert village.json()["message"].startswith("county: ")
    assert bad_date.json()["message"].startswith("to: ")
    assert backwards.json()["message"] == "The end date cannot be before the start date."
    assert county.status_code == 200
    assert county.json()["filters"] == {
        "campaign": None,
        "from": "2026-03-01",
        "to": None,
        "county": XINGNING,
    }


def test_a_campaign_path_with_a_bad_filter_is_a_400(client, token):
    campaign = CampaignFactory()

    response = client.get(
        reverse("statistics_api:campaign", args=[campaign.pk]), {"from": "x"}, **bearer(token)
    )

    assert response.status_code == 400
    jsonschema.validate(response.json(), schema("Error"))


def test_an_authorization_header_is_a_token_or_refused_whatever_the_session(
    client, counted_fair, token
):
    event, _people = counted_fair
    client.force_login(staff_member("officer", "Subsidy officers"))

    basic = client.get(event_url(event), HTTP_AUTHORIZATION="Basic b2ZmaWNlcjpzZWNyZXQ=")
    empty = client.get(event_url(event), HTTP_AUTHORIZATION="Bearer ")
    lower_case = client.get(event_url(event), HTTP_AUTHORIZATION=f"bearer {token}")
    session = client.get(event_url(event))

    assert basic.status_code == empty.status_code == 401
    jsonschema.validate(basic.json(), schema("Error"))
    assert lower_case.status_code == 200
    assert "special_groups" not in lower_case.json()["breakdowns"], (
        "the token's view, not the session's"
    )
    assert "special_groups" in session.json()["breakdowns"]


def test_classes_have_their_trainees_and_completions(client, token):
    ended, sessions, _now = training_class(sessions=2)
    came, _absent = enrol(ended), enrol(ended)
    for session in sessions:
        attend(came, session)
    ahead, _morning, _afternoon = class_with_two_sessions()
    register(ahead)

    over = client.get(event_url(ended), **bearer(token)).json()["figures"]
    coming = client.get(event_url(ahead), **bearer(token)).json()["figures"]

    assert (over["trainees"], over["completed"]) == (2, 1)
    assert (coming["trainees"], coming["completed"]) == (1, 0), "nobody completes a class ahead"
