"""The admin site: Django's own, with a second factor (TOTP) at sign-in and a lockout page."""

import math
from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.forms import OTPAuthenticationFormMixin

from .two_factor import (
    totp_device_confirm,
    totp_device_pending,
    user_is_verified,
    user_may_use_admin,
    user_needs_device,
)

TOKEN_WIDGET_ATTRS = {"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}


class TwoFactorAuthenticationForm(AdminAuthenticationForm, OTPAuthenticationFormMixin):
    """The admin's sign-in: password, and the authenticator's code for users who have a device."""

    otp_device = forms.CharField(required=False, widget=forms.Select)
    otp_token = forms.CharField(
        required=False,
        max_length=16,
        label="Authentication code",
        help_text="Only if two-factor sign-in is on for your account.",
        widget=forms.TextInput(attrs=TOKEN_WIDGET_ATTRS),
    )
    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": "Enter the current code from your authenticator app.",
        "invalid_token": "That code is not valid. Enter the code your authenticator app shows now.",
        "device_required": "Choose the device your code comes from.",
    }

    def clean(self):
        cleaned_data = super().clean()
        user = self.get_user()
        if user is not None and user_has_device(user, confirmed=True):
            try:
                self.clean_otp(user)
            except ValidationError as error:
                if error.code == "invalid_token":
                    # Counted like a wrong password, so codes cannot be guessed endlessly either.
                    user_login_failed.send(
                        sender=type(self),
                        credentials={"username": self.cleaned_data.get("username")},
                        request=self.request,
                    )
                raise
        return cleaned_data

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            # One device (the usual case) needs no choice; with several the form offers a list.
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device


class TwoFactorEnrollForm(forms.Form):
    token = forms.CharField(
        max_length=16,
        label="Code from the app",
        widget=forms.TextInput(attrs=TOKEN_WIDGET_ATTRS),
    )


class OrdinavoAdminSite(admin.AdminSite):
    """Admin access needs a code from users with a device, and a device from superusers when
    OTP_REQUIRED_FOR_SUPERUSERS is on; those are sent to set one up, never to a dead end."""

    login_form = TwoFactorAuthenticationForm
    login_template = "admin/two_factor_login.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and user_may_use_admin(user=request.user)

    def get_urls(self):
        return [
            path("two-factor/", never_cache(self.two_factor_enroll), name="two_factor"),
            *super().get_urls(),
        ]

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        if request.method == "GET" and self._must_enroll(request.user):
            return self._redirect_to_enroll(request)
        response = super().login(request, extra_context)
        if (
            request.method == "POST"
            and isinstance(response, HttpResponseRedirect)
            and self._must_enroll(request.user)
        ):
            return self._redirect_to_enroll(request)
        return response

    @staticmethod
    def _must_enroll(user) -> bool:
        return (
            user.is_authenticated
            and user.is_active
            and user.is_staff
            and not user_is_verified(user=user)
            and user_needs_device(user=user)
        )

    def _redirect_to_enroll(self, request: HttpRequest) -> HttpResponseRedirect:
        url = reverse("admin:two_factor", current_app=self.name)
        next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        if next_url:
            url = f"{url}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"
        return HttpResponseRedirect(url)

    def two_factor_enroll(self, request: HttpRequest) -> HttpResponse:
        """Set up an authenticator app: scan the QR code, confirm with a code, signed in with it."""
        user = request.user
        login_url = reverse("admin:login", current_app=self.name)
        if not (user.is_active and user.is_staff):
            return redirect_to_login(request.get_full_path(), login_url)
        index_url = reverse("admin:index", current_app=self.name)
        next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME)
        if not next_url or not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = index_url
        if user_has_device(user, confirmed=True):
            if user_is_verified(user=user):
                messages.info(request, "Two-factor sign-in is already on for your account.")
                return HttpResponseRedirect(next_url)
            # A device exists but this session did not give its code: sign in again with it.
            return redirect_to_login(next_url, login_url)

        if request.method == "POST" and request.POST.get("sign_out"):
            # The admin's own log-out needs admin access, which this user may not have yet.
            logout(request)
            return HttpResponseRedirect(login_url)

        device = totp_device_pending(user=user)
        form = TwoFactorEnrollForm(request.POST or None)
        if form.is_valid():
            confirmed = totp_device_confirm(device=device, token=form.cleaned_data["token"])
            if confirmed is not None:
                request.session.cycle_key()  # a new session for the stronger sign-in
                otp_login(request, confirmed)
                messages.success(
                    request,
                    "Two-factor sign-in is on: from now on, sign in with your password and "
                    "the code from your authenticator app.",
                )
                return HttpResponseRedirect(next_url)
            form.add_error(
                "token",
                "That code does not match. Enter the code the app shows now for this account.",
            )
        context = {
            **self.each_context(request),
            "title": "Set up two-factor sign-in",
            "form": form,
            "required": user_needs_device(user=user),
            "qr_code": segno.make(device.config_url, error="m").png_data_uri(scale=5),
            "secret": _grouped(b32encode(device.bin_key).decode()),
            "next": next_url,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/two_factor_enroll.html", context)


def _grouped(secret: str) -> str:
    """A base32 secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer to a locked-out sign-in: 429 with a page that says how long to wait."""
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    context = {
        "title": "Too many failed sign-in attempts",
        "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    response = render(request, "admin/lockout.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
