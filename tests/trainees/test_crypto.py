"""ID numbers at rest: encrypted, looked up by keyed HMAC, re-encrypted on key rotation."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from stdnum.cn import ric

from trainees import crypto
from trainees.models import ConsentMethod, Provenance, Worker
from trainees.services.identity import WorkerDetails, create_worker, find_worker

pytestmark = pytest.mark.django_db


def valid_id(body17: str = "45010219900307123") -> str:
    # calc_check_digit expects a full-length number and ignores its last character.
    return body17 + ric.calc_check_digit(body17 + "0")


def test_the_id_number_is_stored_encrypted_and_found_by_hmac():
    number = valid_id()
    worker = create_worker(
        details=WorkerDetails(name="张三", phone="13800138000", id_number=number),
        provenance=Provenance.SELF,
        created_by=None,
        consent_method=ConsentMethod.ONLINE,
    )
    stored = Worker.objects.values().get(pk=worker.pk)
    assert number not in str(stored)
    assert stored["id_number_masked"] == number[:6] + "********" + number[-4:]
    assert crypto.decrypt(stored["id_number_encrypted"]) == number
    assert find_worker(id_number=number.lower()).pk == worker.pk
    assert str(stored["birth_date"]) == "1990-03-07"


def test_rotation_re_encrypts_with_the_new_key(settings):
    number = valid_id()
    worker = create_worker(
        details=WorkerDetails(name="李四", phone="13800138001", id_number=number),
        provenance=Provenance.SELF,
        created_by=None,
        consent_method=ConsentMethod.ONLINE,
    )
    old_keys = list(settings.CHUNFENG_ID_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.CHUNFENG_ID_ENCRYPTION_KEYS = [new_key, *old_keys]
    call_command("rotate_id_keys", stdout=io.StringIO())
    token = Worker.objects.get(pk=worker.pk).id_number_encrypted
    assert Fernet(new_key.encode()).decrypt(token.encode()).decode() == number
    settings.CHUNFENG_ID_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(token) == number
