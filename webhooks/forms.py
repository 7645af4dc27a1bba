"""Admin forms of the webhooks app: an endpoint, and the time range of a replay."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from ordinavo.events import EventType
from tenants.admin import TenantScopedForm

from .models import WebhookEndpoint
from .services import webhook_url_check
from .ssrf import WebhookUrlRefused


class WebhookEndpointForm(TenantScopedForm):
    """The fields an admin sets; the secret and the enabled state have their own buttons. The
    URL passes the SSRF guard here already, so a refusal is shown beside the field."""

    event_types = forms.MultipleChoiceField(
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every event type, including those added later.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "client",
            "url",
            "description",
            "event_types",
            "include_contact_details",
            "include_summary_preview",
            "include_billing_details",
        ]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            return webhook_url_check(url)
        except WebhookUrlRefused as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        cleaned_data = super().clean()
        # The unique URL per client: its constraint leads with the tenant, which is no field
        # of this form, so the model's own validation skips it.
        client = cleaned_data.get("client") or getattr(self.instance, "client", None)
        url = cleaned_data.get("url")
        if client is not None and url:
            duplicate = (
                WebhookEndpoint.objects.for_tenant(client.tenant_id)
                .filter(client=client, url=url)
                .exclude(pk=self.instance.pk)
                .exists()
            )
            if duplicate:
                self.add_error("url", "This client already has an endpoint with this URL.")
        return cleaned_data


class ReplayForm(forms.Form):
    """A time range of events to send again (start included, end excluded)."""

    since = forms.DateTimeField(
        label="From", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    until = forms.DateTimeField(
        label="Until", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    @classmethod
    def initial_range(cls) -> dict:
        now = timezone.localtime().replace(second=0, microsecond=0)
        fmt = "%Y-%m-%dT%H:%M"
        return {
            "since": (now - timedelta(days=1)).strftime(fmt),
            "until": (now + timedelta(minutes=1)).strftime(fmt),
        }

    def clean(self):
        cleaned_data = super().clean()
        since, until = cleaned_data.get("since"), cleaned_data.get("until")
        if since and until and since >= until:
            self.add_error("until", "The end must be after the start.")
        return cleaned_data
