"""Job listings go through the "Moderators approval" workflow: editors submit, moderators publish."""

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.models import WorkflowState

from events import selectors
from events.models import Benefit, JobCategory, JobListing
from tests.factories import EmployerFactory, JobListingFactory, county

JOB_ADD = "wagtailsnippets_events_joblisting:add"
JOB_EDIT = "wagtailsnippets_events_joblisting:edit"
TITLE = "电焊工（二保焊）"


def job_post_data(*, employer, action):
    today = timezone.localdate()
    data = {
        "employer": str(employer.pk),
        "title": TITLE,
        "category": JobCategory.WELDING,
        "headcount": "5",
        "employment_type": "full_time",
        "salary_min": "6000",
        "salary_max": "9000",
        "salary_unit": "month",
        "benefits": [
            str(pk)
            for pk in Benefit.objects.filter(code__in=["meals", "housing"]).values_list(
                "pk", flat=True
            )
        ],
        "requirements": "持有焊工证优先",
        "work_content": "钢结构焊接",
        "region": str(county().pk),
        "work_address": "南宁市兴宁区三塘镇",
        "valid_from": today.isoformat(),
        "valid_until": today.replace(year=today.year + 1).isoformat(),
        "contact_name": "黄师傅",
        "contact_phone": "13900000000",
        "source": "用人单位提供",
    }
    if action:
        data[action] = "1"
    return data


def public_job_status(client, job) -> int:
    client.logout()
    return client.get(f"/jobs/{job.pk}/").status_code


def publicly_listed(job) -> bool:
    return selectors.filter_job_listings(filters=selectors.JobFilters()).filter(pk=job.pk).exists()


@pytest.fixture
def submitted_listing(client, editor):
    """An editor creates a job listing and submits it for moderation in one POST."""
    employer = EmployerFactory()
    client.force_login(editor)
    response = client.post(
        reverse(JOB_ADD), job_post_data(employer=employer, action="action-submit")
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    return JobListing.objects.get(title=TITLE)


@pytest.mark.django_db
def test_job_listings_use_the_moderators_workflow():
    workflow = JobListingFactory.build().get_workflow()
    assert workflow is not None
    assert workflow.name == "Moderators approval"
    task = workflow.tasks.get().specific
    assert list(task.groups.values_list("name", flat=True)) == ["Moderators"]


@pytest.mark.django_db
def test_submitted_listing_is_in_moderation_and_not_public(client, submitted_listing):
    job = submitted_listing
    assert job.live is False
    assert job.workflow_in_progress
    assert job.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    assert job.current_workflow_task.specific.name == "Moderators approval"
    assert job.get_latest_revision_as_object().benefits.count() == 2
    assert not publicly_listed(job)
    assert public_job_status(client, job) == 404


@pytest.mark.django_db
def test_moderator_approves_with_the_workflow_api(client, submitted_listing, moderator):
    job = submitted_listing
    task_state = job.current_workflow_task_state
    task = task_state.task.specific
    assert task.user_can_access_editor(job, moderator)
    assert "approve" in [name for name, *_rest in task.get_actions(job, moderator)]

    task.on_action(task_state, moderator, "approve")

    job.refresh_from_db()
    assert job.live is True
    assert not job.workflow_in_progress
    assert job.current_workflow_state is None
    assert job.live_revision.user_id is not None
    assert set(job.benefits.values_list("code", flat=True)) == {"meals", "housing"}
    assert publicly_listed(job)
    assert public_job_status(client, job) == 200


@pytest.mark.django_db
def test_moderator_approves_through_the_admin(client, submitted_listing, moderator):
    job = submitted_listing
    task_state = job.current_workflow_task_state
    client.force_login(moderator)
    url = reverse(
        "wagtailsnippets_events_joblisting:workflow_action",
        args=[job.pk, "approve", task_state.pk],
    )

    response = client.post(url, {"comment": "同意发布"})

    assert response.status_code in (200, 302)
    job.refresh_from_db()
    assert job.live is True
    assert publicly_listed(job)


@pytest.mark.django_db
def test_moderator_rejection_keeps_listing_offline(client, submitted_listing, moderator):
    job = submitted_listing
    task_state = job.current_workflow_task_state
    task_state.task.specific.on_action(task_state, moderator, "reject")

    job.refresh_from_db()
    assert job.live is False
    assert job.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not publicly_listed(job)


@pytest.mark.django_db
def test_editor_cannot_approve_their_own_submission(submitted_listing, editor):
    job = submitted_listing
    task = job.current_workflow_task.specific
    assert task.get_actions(job, editor) == []


@pytest.mark.django_db
def test_editor_cannot_publish_directly(client, editor):
    employer = EmployerFactory()
    client.force_login(editor)

    response = client.post(
        reverse(JOB_ADD), job_post_data(employer=employer, action="action-publish")
    )

    assert response.status_code in (200, 302)
    job = JobListing.objects.get(title=TITLE)
    assert job.live is False
    assert job.live_revision is None
    assert not publicly_listed(job)

    # Nor by editing an existing draft.
    client.post(reverse(JOB_EDIT, args=[job.pk]), job_post_data(employer=employer, action=None))
    client.post(
        reverse(JOB_EDIT, args=[job.pk]),
        job_post_data(employer=employer, action="action-publish"),
    )
    job.refresh_from_db()
    assert job.live is False


@pytest.mark.django_db
def test_editor_lacks_publish_permission_but_moderator_has_it(editor, moderator):
    assert editor.has_perm("events.add_joblisting")
    assert editor.has_perm("events.change_joblisting")
    assert not editor.has_perm("events.publish_joblisting")
    assert moderator.has_perm("events.publish_joblisting")
    # Events are not moderated: editors publish them.
    assert editor.has_perm("events.publish_event")


@pytest.mark.django_db
def test_moderator_can_publish_directly(client, moderator):
    employer = EmployerFactory()
    client.force_login(moderator)
    response = client.post(
        reverse(JOB_ADD), job_post_data(employer=employer, action="action-publish")
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    job = JobListing.objects.get(title=TITLE)
    assert job.live is True
    assert publicly_listed(job)
