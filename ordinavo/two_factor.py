"""Two-factor sign-in for staff: TOTP devices of django-otp, and who must use one."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

PENDING_DEVICE_NAME = "Authenticator app"


def user_is_verified(*, user: AbstractBaseUser) -> bool:
    """Whether this session's user signed in with a code (set by django-otp's middleware)."""
    return getattr(user, "otp_device", None) is not None


def user_needs_device(*, user: AbstractBaseUser) -> bool:
    """A superuser without a confirmed device while two-factor sign-in is required for them."""
    return (
        settings.OTP_REQUIRED_FOR_SUPERUSERS
        and user.is_superuser
        and not user_has_device(user, confirmed=True)
    )


def user_may_use_admin(*, user: AbstractBaseUser) -> bool:
    """The second factor's part of admin access: signed in with a code whenever one is due."""
    if user_is_verified(user=user):
        return True
    return not user_needs_device(user=user) and not user_has_device(user, confirmed=True)


def totp_device_pending(*, user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed device to enroll (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=PENDING_DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, device: TOTPDevice, token: str) -> TOTPDevice | None:
    """Confirm an enrolled device with a code it shows; None (device unconfirmed) when wrong.

    A wrong code counts against the device's throttle like one at sign-in.
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(token):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device
