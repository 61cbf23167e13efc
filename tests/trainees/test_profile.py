"""The worker's own profile: consent first, ID-derived facts, region picker, duplicates,
corrections and special groups under their separate consent."""

import html

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext

from tests.factories import XINGNING, RegionFactory, county
from tests.trainees.signin_helpers import (
    OTHER_PHONE,
    PHONE,
    make_id_number,
    profile_data,
    sign_in,
    wrong_check_digit,
)
from trainees import crypto
from trainees.models import (
    Consent,
    ConsentKind,
    ConsentMethod,
    Provenance,
    Region,
    RegionLevel,
    Sex,
    SpecialGroup,
    Worker,
    WorkerSpecialGroup,
)
from trainees.services import profile as profile_service
from trainees.services.identity import (
    PRIVACY_NOTICE_VERSION,
    SPECIAL_GROUPS_NOTICE_VERSION,
    DuplicateWorker,
    WorkerDetails,
    create_worker,
)

pytestmark = pytest.mark.django_db

PROFILE = reverse("trainees:profile")
ID_NUMBER = make_id_number()  # 450102 19900307 123 + check digit: a man born 1990-03-07


def text(message: str) -> str:
    """A message as it appears in the page, in the active language, HTML-escaped."""
    return html.escape(gettext(message))


@pytest.fixture
def signed_in(client):
    sign_in(client)
    return client


@pytest.fixture
def villages():
    township = RegionFactory(code="450102001000", name="民生街道")
    village = Region.objects.create(
        code="450102001001", name="民生社区", level=RegionLevel.VILLAGE, parent=township
    )
    other_county_township = RegionFactory(
        code="450103001000", name="新竹街道", parent=county("450103000000")
    )
    return township, village, other_county_township


def test_the_profile_cannot_be_saved_without_agreeing_to_the_privacy_notice(signed_in):
    response = signed_in.post(PROFILE, profile_data(privacy_consent=None, id_number=ID_NUMBER))

    assert response.status_code == 400
    assert not Worker.objects.exists()
    page = response.content.decode()
    assert (
        text("Tick the box to agree to the privacy notice. Without it we cannot save your details.")
        in page
    )
    # Nothing typed is lost.
    for value in ("韦小宝", "南宁市兴宁区民生街道", "焊工四级", "5000"):
        assert value in page


def test_a_profile_is_saved_with_consent_and_facts_read_from_the_id_number(signed_in):
    response = signed_in.post(PROFILE, profile_data(id_number=ID_NUMBER))

    assert response.status_code == 302
    assert response["Location"] == reverse("trainees:my_data")
    worker = Worker.objects.get()
    assert worker.phone == PHONE
    assert worker.user.username == f"w{PHONE}"
    assert worker.name == "韦小宝"
    assert worker.provenance == Provenance.SELF
    assert worker.birth_date.isoformat() == "1990-03-07"
    assert worker.sex == Sex.MALE
    assert worker.origin_county_code == XINGNING
    assert worker.id_number_masked == "450102********" + ID_NUMBER[-4:]
    assert crypto.decrypt(worker.id_number_encrypted) == ID_NUMBER
    assert worker.id_number_hmac == crypto.lookup_hmac(ID_NUMBER)
    assert (worker.education, worker.employment_status) == ("junior", "unemployed")
    assert (worker.intended_trade, worker.expected_pay) == ("电焊工", 5000)
    consent = Consent.objects.get(worker=worker)
    assert consent.kind == ConsentKind.PRIVACY_NOTICE
    assert consent.text_version == PRIVACY_NOTICE_VERSION
    assert consent.method == ConsentMethod.ONLINE
    assert consent.given_at is not None


def test_the_form_asks_for_consent_only_until_it_is_given(signed_in):
    assert 'name="privacy_consent"' in signed_in.get(PROFILE).content.decode()
    signed_in.post(PROFILE, profile_data())

    page = signed_in.get(PROFILE).content.decode()

    assert 'name="privacy_consent"' not in page
    assert (
        signed_in.post(PROFILE, profile_data(privacy_consent=None, name="韦大宝")).status_code
        == 302
    )
    assert Worker.objects.get().name == "韦大宝"
    assert Consent.objects.count() == 1


def test_a_new_notice_version_asks_for_consent_again(signed_in, monkeypatch):
    signed_in.post(PROFILE, profile_data())
    monkeypatch.setattr("trainees.selectors.PRIVACY_NOTICE_VERSION", "2099-01")
    monkeypatch.setattr("trainees.services.profile.PRIVACY_NOTICE_VERSION", "2099-01")

    refused = signed_in.post(PROFILE, profile_data(privacy_consent=None))
    accepted = signed_in.post(PROFILE, profile_data())

    assert refused.status_code == 400
    assert accepted.status_code == 302
    versions = set(Consent.objects.values_list("text_version", flat=True))
    assert versions == {PRIVACY_NOTICE_VERSION, "2099-01"}


def test_an_id_number_with_a_wrong_check_digit_is_refused_and_the_form_kept(signed_in):
    bad = wrong_check_digit(ID_NUMBER)

    response = signed_in.post(PROFILE, profile_data(id_number=bad))

    assert response.status_code == 400
    assert not Worker.objects.exists()
    page = response.content.decode()
    assert (
        text("This is not a valid ID number: check the 18 characters and the last digit.") in page
    )
    assert "韦小宝" in page


def test_the_profile_phone_is_the_signed_in_phone_whatever_is_posted(signed_in):
    signed_in.post(PROFILE, profile_data(phone=OTHER_PHONE))
    assert Worker.objects.get().phone == PHONE


def test_a_worker_recorded_by_a_coordinator_is_completed_not_duplicated(client, superuser):
    worker = create_worker(
        details=WorkerDetails(name="黄大妹", phone=PHONE),
        provenance=Provenance.ASSISTED,
        created_by=superuser,
        consent_method=ConsentMethod.VERBAL,
    )
    sign_in(client)

    page = client.get(PROFILE).content.decode()
    response = client.post(PROFILE, profile_data(name="黄大妹", privacy_consent=None))

    assert "黄大妹" in page
    assert response.status_code == 302
    assert Worker.objects.count() == 1
    worker.refresh_from_db()
    assert worker.skills == "电焊"


class TestRegionPicker:
    def test_the_endpoint_lists_counties_then_children(self, client, villages):
        township, village, _other = villages

        counties = client.get(reverse("trainees:regions")).json()["regions"]
        townships = client.get(reverse("trainees:regions"), {"parent": XINGNING}).json()
        village_list = client.get(reverse("trainees:regions"), {"parent": township.code}).json()

        assert {"code": XINGNING, "name": "兴宁区"} in counties
        assert {"code": township.code, "name": "民生街道"} in townships["regions"]
        assert "新竹街道" not in str(townships)
        assert village_list["regions"] == [{"code": village.code, "name": "民生社区"}]

    def test_the_endpoint_refuses_a_malformed_code(self, client):
        response = client.get(reverse("trainees:regions"), {"parent": "45' OR 1=1"})
        assert response.status_code == 400

    def test_without_javascript_each_step_shows_the_next_list_and_saves_nothing(
        self, signed_in, villages
    ):
        township, village, _other = villages

        step_one = signed_in.post(
            PROFILE, profile_data(county=XINGNING, step="county", privacy_consent=None)
        )
        step_two = signed_in.post(
            PROFILE,
            profile_data(county=XINGNING, township=township.code, step="township"),
        )

        assert step_one.status_code == 200
        assert f'<option value="{township.code}">民生街道</option>' in step_one.content.decode()
        # A step is not a submit: no error about the missing consent, nothing stored.
        assert 'role="alert"' not in step_one.content.decode()
        assert f'<option value="{village.code}">民生社区</option>' in step_two.content.decode()
        assert not Worker.objects.exists()

    def test_the_most_specific_choice_is_stored(self, signed_in, villages):
        township, village, _other = villages

        signed_in.post(
            PROFILE,
            profile_data(county=XINGNING, township=township.code, village=village.code),
        )

        assert Worker.objects.get().hukou_region == village
        page = signed_in.get(PROFILE).content.decode()
        assert f'<option value="{village.code}" selected>民生社区</option>' in page

    def test_a_township_of_another_county_is_refused(self, signed_in, villages):
        _township, _village, other = villages

        response = signed_in.post(PROFILE, profile_data(county=XINGNING, township=other.code))

        assert response.status_code == 400
        assert text("This township is not in the county you chose. Choose it again.") in (
            response.content.decode()
        )
        assert not Worker.objects.exists()


class TestDuplicates:
    def test_an_id_number_already_registered_is_refused_with_a_way_forward(
        self, signed_in, superuser
    ):
        create_worker(
            details=WorkerDetails(name="韦小宝", phone=OTHER_PHONE, id_number=ID_NUMBER),
            provenance=Provenance.ASSISTED,
            created_by=superuser,
            consent_method=ConsentMethod.VERBAL,
        )

        response = signed_in.post(PROFILE, profile_data(id_number=ID_NUMBER))

        assert response.status_code == 409
        assert Worker.objects.count() == 1
        page = response.content.decode()
        assert (
            text(
                "This ID number is already registered. Sign in with the phone number used then, "
                "or ask your village coordinator for help."
            )
            in page
        )
        assert f'action="{reverse("trainees:signout")}"' in page
        assert 'href="tel:12333"' in page
        # The refused number is not carried along: the worker may save without it.
        assert '<input type="hidden" name="id_number_token" id="id_id_number_token">' in page
        assert signed_in.post(PROFILE, profile_data(id_number="")).status_code == 302
        # The other record's phone is not disclosed, not even masked.
        assert OTHER_PHONE not in page
        assert f"****{OTHER_PHONE[-4:]}" not in page

    def test_a_phone_already_registered_is_refused(self, client, django_user_model):
        other_account = django_user_model.objects.create_user(username="someone", password=None)
        Worker.objects.create(name="别人", phone=PHONE, user=other_account)
        user = django_user_model.objects.create_user(username="newcomer", password=None)
        client.force_login(user)
        session = client.session
        session["chunfeng_signin_phone"] = PHONE
        session.save()

        response = client.post(PROFILE, profile_data())

        assert response.status_code == 409
        assert Worker.objects.count() == 1
        assert text("This phone number is already registered. Sign in with it instead.") in (
            response.content.decode()
        )

    def test_the_service_never_creates_a_second_worker(self, django_user_model):
        first = django_user_model.objects.create_user(username="first", password=None)
        second = django_user_model.objects.create_user(username="second", password=None)
        details = profile_service.ProfileDetails(name="韦小宝")
        profile_service.create_own_profile(
            user=first, phone=PHONE, details=details, id_number=ID_NUMBER, privacy_consent=True
        )

        with pytest.raises(DuplicateWorker) as by_id:
            profile_service.create_own_profile(
                user=second,
                phone=OTHER_PHONE,
                details=details,
                id_number=ID_NUMBER.lower(),
                privacy_consent=True,
            )
        with pytest.raises(DuplicateWorker) as by_phone:
            profile_service.create_own_profile(
                user=second, phone=PHONE, details=details, privacy_consent=True
            )

        assert "id_number" in by_id.value.message_dict
        assert "phone" in by_phone.value.message_dict
        assert Worker.objects.count() == 1


class TestCorrectingTheIdNumber:
    def test_a_corrected_number_is_re_encrypted_and_its_facts_re_read(self, signed_in):
        signed_in.post(PROFILE, profile_data(id_number=ID_NUMBER))
        corrected = make_id_number(county="450103", birth="19920815", serial="124")

        response = signed_in.post(PROFILE, profile_data(id_number=corrected, privacy_consent=None))

        assert response.status_code == 302
        worker = Worker.objects.get()
        assert crypto.decrypt(worker.id_number_encrypted) == corrected
        assert worker.id_number_hmac == crypto.lookup_hmac(corrected)
        assert worker.id_number_masked == "450103********" + corrected[-4:]
        assert worker.birth_date.isoformat() == "1992-08-15"
        assert worker.sex == Sex.FEMALE
        assert worker.origin_county_code == "450103000000"

    def test_leaving_the_box_empty_keeps_the_stored_number(self, signed_in):
        signed_in.post(PROFILE, profile_data(id_number=ID_NUMBER))

        signed_in.post(PROFILE, profile_data(id_number="", privacy_consent=None))

        assert crypto.decrypt(Worker.objects.get().id_number_encrypted) == ID_NUMBER

    def test_a_number_of_another_worker_is_refused(self, signed_in, superuser):
        signed_in.post(PROFILE, profile_data(id_number=ID_NUMBER))
        taken = make_id_number(serial="555")
        create_worker(
            details=WorkerDetails(name="别人", phone=OTHER_PHONE, id_number=taken),
            provenance=Provenance.ASSISTED,
            created_by=superuser,
            consent_method=ConsentMethod.VERBAL,
        )

        response = signed_in.post(PROFILE, profile_data(id_number=taken, privacy_consent=None))

        assert response.status_code == 409
        mine = Worker.objects.get(phone=PHONE)
        assert crypto.decrypt(mine.id_number_encrypted) == ID_NUMBER
        # The page shows this worker's stored number masked, not the one just refused.
        assert mine.id_number_masked in response.content.decode()


class TestSpecialGroups:
    GROUPS = [SpecialGroup.MIGRANT_WORKER, SpecialGroup.VETERAN]

    def test_groups_without_their_separate_consent_are_refused(self, signed_in):
        response = signed_in.post(PROFILE, profile_data(special_groups=self.GROUPS))

        assert response.status_code == 400
        assert not Worker.objects.exists()
        assert not WorkerSpecialGroup.objects.exists()
        assert (
            text("Tick the box that allows us to keep this information, or untick the groups.")
            in response.content.decode()
        )

    def test_the_privacy_consent_alone_does_not_allow_groups(self, django_user_model):
        user = django_user_model.objects.create_user(username="w1", password=None)
        worker = profile_service.create_own_profile(
            user=user,
            phone=PHONE,
            details=profile_service.ProfileDetails(name="韦小宝"),
            privacy_consent=True,
        )
        with pytest.raises(ValidationError):
            profile_service.set_special_groups(worker=worker, consent=False, groups=self.GROUPS)
        assert not WorkerSpecialGroup.objects.exists()

    def test_with_consent_the_groups_and_the_consent_are_recorded(self, signed_in):
        signed_in.post(
            PROFILE,
            profile_data(special_groups_consent="on", special_groups=self.GROUPS),
        )

        worker = Worker.objects.get()
        assert set(worker.special_groups.values_list("group", flat=True)) == set(self.GROUPS)
        consent = Consent.objects.get(worker=worker, kind=ConsentKind.SPECIAL_GROUPS)
        assert consent.text_version == SPECIAL_GROUPS_NOTICE_VERSION
        assert consent.method == ConsentMethod.ONLINE
        assert consent.withdrawn_at is None

    def test_unticking_the_consent_deletes_the_groups_and_records_the_withdrawal(self, signed_in):
        signed_in.post(
            PROFILE,
            profile_data(special_groups_consent="on", special_groups=self.GROUPS),
        )

        response = signed_in.post(PROFILE, profile_data(privacy_consent=None))

        assert response.status_code == 302
        assert not WorkerSpecialGroup.objects.exists()
        consent = Consent.objects.get(kind=ConsentKind.SPECIAL_GROUPS)
        assert consent.withdrawn_at is not None
        # The privacy-notice consent is untouched.
        assert Consent.objects.get(kind=ConsentKind.PRIVACY_NOTICE).withdrawn_at is None

    def test_the_groups_sit_in_their_own_fieldset_after_the_consent_box(self, signed_in):
        page = signed_in.get(PROFILE).content.decode()
        fieldset = page.split('class="panel special-groups"')[1].split("</fieldset>\n\n")[0]
        assert fieldset.index('name="special_groups_consent"') < fieldset.index(
            'name="special_groups"'
        )
        assert 'class="special-groups-choices"' in fieldset


def test_a_staff_account_without_a_phone_gets_no_profile(client, superuser):
    client.force_login(superuser)
    response = client.get(PROFILE)
    assert response.status_code == 403
    assert not Worker.objects.exists()


def test_the_privacy_notice_is_public_and_complete(client):
    response = client.get(reverse("trainees:privacy"))

    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "Who handles your information",
        "Why we use it",
        "What we collect",
        "How long we keep it",
        "Your rights",
        "If you are not happy",
    ):
        assert text(message) in page
    assert PRIVACY_NOTICE_VERSION in page
    assert "12333" in page


def test_a_double_tap_on_save_keeps_one_record_and_one_consent(signed_in):
    """Both requests were built before either saved: the second updates the first's record."""
    user = get_user_model().objects.get(username=f"w{PHONE}")
    submission = profile_service.OwnProfileSubmission(
        details=profile_service.ProfileDetails(name="韦小宝"),
        id_number=ID_NUMBER,
        privacy_consent=True,
        special_groups_consent=False,
        special_groups=(),
    )
    first = profile_service.save_own_profile(
        user=user, phone=PHONE, worker=None, submission=submission
    )
    second = profile_service.save_own_profile(
        user=user, phone=PHONE, worker=None, submission=submission
    )

    assert first.pk == second.pk
    assert Worker.objects.count() == 1
    assert Consent.objects.count() == 1
