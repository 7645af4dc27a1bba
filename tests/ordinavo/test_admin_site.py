"""Admin sign-in: lockout after repeated failures (django-axes) and two-factor sign-in (TOTP)."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from ordinavo.client_ip import client_ip_address
from tests.api import BASE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests"
ATTACKER = "203.0.113.7"
ELSEWHERE = "198.51.100.9"
LOGIN = "/admin/login/"


def _sign_in(client: Client, username: str, password: str, ip: str = ATTACKER, **fields):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/", **fields},
        REMOTE_ADDR=ip,
    )


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _lock_out(username: str, ip: str = ATTACKER) -> None:
    client = Client()
    for _ in range(5):
        _sign_in(client, username, "wrong-password", ip)
    assert not _signed_in(client)


def _code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _device(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


# --- login protection ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_out_the_right_one_with_a_clear_message():
    user = UserFactory()
    _lock_out(user.username)
    client = Client()

    response = _sign_in(client, user.username, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "15 minutes" in response.content.decode()
    assert response["Retry-After"] == "900"
    assert not _signed_in(client)


def test_four_wrong_passwords_do_not_lock_out():
    user = UserFactory()
    client = Client()
    for _ in range(4):
        assert _sign_in(client, user.username, "wrong-password").status_code == 200

    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_after_the_cool_off_the_right_password_works_again():
    user = UserFactory()
    _lock_out(user.username)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    client = Client()

    response = _sign_in(client, user.username, PASSWORD)

    assert response.status_code == 302
    assert _signed_in(client)


def test_the_lockout_is_for_the_user_name_from_that_address_only():
    user, other = UserFactory(), UserFactory()
    _lock_out(user.username, ATTACKER)

    same_user_elsewhere, other_user_same_address = Client(), Client()
    _sign_in(same_user_elsewhere, user.username, PASSWORD, ELSEWHERE)
    _sign_in(other_user_same_address, other.username, PASSWORD, ATTACKER)

    assert _signed_in(same_user_elsewhere)
    assert _signed_in(other_user_same_address)


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout():
    user = UserFactory()
    _lock_out(user.username, ATTACKER)
    client = Client()

    response = client.post(
        LOGIN,
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR=ELSEWHERE,
    )

    assert response.status_code == 429
    assert not _signed_in(client)


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "198.51.100.9", "192.0.2.1"),  # no trusted proxy: the header is ignored
        (1, "198.51.100.9", "198.51.100.9"),
        (1, "10.9.9.9, 198.51.100.9", "198.51.100.9"),  # the client wrote the left entry
        (2, "10.9.9.9, 198.51.100.9, 192.0.2.50", "198.51.100.9"),
        (2, "198.51.100.9", "192.0.2.1"),  # fewer entries than proxies: not through them
        (1, "not-an-address", "192.0.2.1"),
        (1, "", "192.0.2.1"),
    ],
)
def test_the_client_address_comes_from_x_forwarded_for_only_behind_trusted_proxies(
    proxies, forwarded_for, expected
):
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip_address(request) == expected


def test_api_keys_are_not_logins_and_are_never_locked_out(caller):
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Bearer wrong.key")
    for _ in range(10):
        assert wrong.get(BASE + "inbound/import-jobs").status_code == 401

    assert caller.get("inbound/import-jobs").status_code == 200
    assert not AccessAttempt.objects.exists()


# --- two-factor sign-in -------------------------------------------------------------------------


def test_a_user_with_a_device_must_give_a_valid_code():
    user = UserFactory()
    device = _device(user)
    client = Client()

    without_code = _sign_in(client, user.username, PASSWORD)
    wrong_code = _sign_in(client, user.username, PASSWORD, otp_token="000000")
    device.refresh_from_db()
    device.throttle_reset()  # a wrong code makes the device wait a second before the next
    right_code = _sign_in(client, user.username, PASSWORD, otp_token=_code(device))

    assert without_code.status_code == 200
    assert "Enter the current code from your authenticator app." in without_code.content.decode()
    assert wrong_code.status_code == 200
    assert "That code is not valid." in wrong_code.content.decode()
    assert right_code.status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get("/admin/").status_code == 200


def test_a_code_is_not_accepted_twice():
    user = UserFactory()
    device = _device(user)
    code = _code(device)
    _sign_in(Client(), user.username, PASSWORD, otp_token=code)

    replay = _sign_in(Client(), user.username, PASSWORD, otp_token=code)

    assert replay.status_code == 200
    assert "That code is not valid." in replay.content.decode()


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_wrong_codes_count_towards_the_lockout():
    user = UserFactory()
    device = _device(user)
    client = Client()
    for _ in range(5):
        _sign_in(client, user.username, PASSWORD, otp_token="000000")

    response = _sign_in(client, user.username, PASSWORD, otp_token=_code(device))

    assert response.status_code == 429
    assert not _signed_in(client)


def test_a_session_without_the_code_of_an_existing_device_cannot_use_the_admin(client):
    user = UserFactory(is_superuser=True)
    _device(user)
    client.force_login(user)  # e.g. a session from before the device was added

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_an_unconfirmed_device_does_not_ask_for_a_code():
    user = UserFactory()
    _device(user, confirmed=False)
    client = Client()

    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


@override_settings(OTP_REQUIRED_FOR_SUPERUSERS=True)
def test_a_superuser_without_a_device_is_refused_and_sent_to_set_one_up():
    user = UserFactory(is_superuser=True)
    client = Client()
    enroll = reverse("admin:two_factor")

    signed_in = _sign_in(client, user.username, PASSWORD)
    index = client.get("/admin/")
    changelist = client.get(reverse("admin:auth_user_changelist"))
    login_page = client.get(LOGIN)
    page = client.get(enroll)

    assert signed_in.status_code == 302
    assert signed_in["Location"].startswith(enroll)
    assert index.status_code == 302
    assert index["Location"].startswith(LOGIN)
    assert changelist.status_code == 302
    assert login_page.status_code == 302
    assert login_page["Location"].startswith(enroll)
    assert page.status_code == 200
    assert "Superusers must use two-factor sign-in" in page.content.decode()
    assert 'src="data:image/png;base64,' in page.content.decode()


@override_settings(OTP_REQUIRED_FOR_SUPERUSERS=True)
def test_a_superuser_sets_up_a_device_and_then_uses_the_admin():
    user = UserFactory(is_superuser=True)
    client = Client()
    _sign_in(client, user.username, PASSWORD)
    enroll = reverse("admin:two_factor")
    client.get(enroll)
    device = TOTPDevice.objects.get(user=user, confirmed=False)

    wrong = client.post(enroll, {"token": "000000"})
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(enroll, {"token": _code(device)})

    assert wrong.status_code == 200
    assert "That code does not match." in wrong.content.decode()
    assert right.status_code == 302
    assert right["Location"] == "/admin/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_enrolling_keeps_the_next_page_on_this_site_only(client):
    user = UserFactory()
    client.force_login(user)
    enroll = reverse("admin:two_factor")
    client.get(enroll)
    device = TOTPDevice.objects.get(user=user)

    response = client.post(enroll, {"token": _code(device), "next": "https://evil.example/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_without_the_requirement_a_superuser_signs_in_with_the_password_alone():
    # ordinavo.settings.local (make run, seed_demo) and test leave OTP_REQUIRED_FOR_SUPERUSERS off.
    user = UserFactory(is_superuser=True)
    client = Client()

    assert _sign_in(client, user.username, PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_enrollment_page_needs_a_signed_in_staff_user(client):
    response = client.get(reverse("admin:two_factor"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_staff_find_the_set_up_page_from_every_admin_page(client):
    client.force_login(UserFactory())

    page = client.get("/admin/").content.decode()

    assert reverse("admin:two_factor") in page


def test_the_device_admin_never_shows_a_secret(client):
    superuser = UserFactory(is_superuser=True)
    device = _device(UserFactory())
    client.force_login(superuser)

    listed = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    config = client.get(reverse("admin:otp_totp_totpdevice_config", args=[device.pk]))
    missing = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk + 1000]))
    change = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))

    assert listed.status_code == 200
    assert config.status_code == 403
    assert missing.status_code == 403
    assert change.status_code == 200
    assert device.key not in change.content.decode()
