"""Forms of the jobs pages. The template's own inputs come from `jobs.schema_forms`; these are the
run options around them (pool, size, deadline, name) and the webhook settings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from jobs.models import WebhookEndpoint
from jobs.schema_forms import (
    ItemListField,
    JsonTextField,
    SchemaForm,
    TextFileField,
    TextUpload,
    build_form_class,
    choice_key,
)
from jobs.selectors import PoolOption
from jobs.services import webhooks

INPUTS_PREFIX = "in"  # keeps a schema property called e.g. "name" apart from the run options


class LaunchOptionsForm(forms.Form):
    """Where and how big to run, by when, and under what name."""

    pool = forms.TypedChoiceField(
        label=_("Pool"), coerce=int, error_messages={"invalid_choice": _("Choose one of the usable pools.")}
    )
    cards = forms.TypedChoiceField(
        label=_("Cards"), coerce=int, error_messages={"invalid_choice": _("Choose one of the sizes this pool sells.")}
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"),
        required=False,
        help_text=_("Optional. The job is stopped if it has not finished by then."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    name = forms.CharField(
        label=_("Name"), required=False, max_length=120, help_text=_("Optional, to find the job again in the list.")
    )
    # Made when the page is shown: a double-clicked "Launch" gives one job, not two.
    launch_key = forms.RegexField(regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, options: list[PoolOption], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        usable = [o for o in options if o.usable]
        self.fields["pool"].choices = [(o.pool.pk, o.pool.name) for o in usable]
        sizes = sorted({size for o in usable for size in o.sizes})
        self.fields["cards"].choices = [(size, size) for size in sizes]


def schema_form_class(version) -> type[SchemaForm]:
    return build_form_class(version.launch_schema, language=get_language() or "en")


def example_initial(form_class: type[SchemaForm], example: Any) -> dict[str, Any]:
    """The template's example inputs as a form's initial values, so a first-time user can launch
    the example as is (data files go into the paste box, lists one item per line or paragraph)."""
    if not isinstance(example, dict):
        return {}
    initial: dict[str, Any] = {}
    for name, value in example.items():
        field = form_class.base_fields.get(name)
        if field is None or value is None:
            continue
        if isinstance(field, ItemListField) and isinstance(value, list):
            initial[name] = field.separator.join(map(str, value))
        elif isinstance(field, forms.TypedMultipleChoiceField) and isinstance(value, list):
            initial[name] = [choice_key(v) for v in value]
        elif isinstance(field, forms.TypedChoiceField):
            initial[name] = choice_key(value)
        elif isinstance(field, TextFileField | JsonTextField) or not isinstance(value, dict | list):
            initial[name] = value
    return initial


def split_file_inputs(form_class: type[SchemaForm], params: dict) -> tuple[dict, dict[str, UploadedFile]]:
    """API inputs carry data files as text; the launch service takes them as uploads, like the page."""
    params = dict(params)
    files: dict[str, UploadedFile] = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, TextFileField) and isinstance(params.get(name), str):
            files[name] = TextUpload(field.default_name, params.pop(name), field.media_type).as_file()
    return params, files


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Webhook URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("We POST every change of a job's state here, signed with your secret."),
    )

    @transaction.atomic
    def save(self, *, tenant, actor) -> tuple[WebhookEndpoint, str]:
        """Set the URL; returns the endpoint and its secret when one was just made (else "")."""
        url = self.cleaned_data["url"]
        endpoint, created = WebhookEndpoint.objects.get_or_create(
            tenant=tenant, defaults={"url": url, "secret": webhooks.new_secret()}
        )
        secret = endpoint.secret if created else ""
        if not created:
            endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
            # Switching events back on after a clear makes a new secret: the old one may be long lost.
            secret = "" if endpoint.is_active else webhooks.new_secret()
            endpoint.url, endpoint.is_active, endpoint.secret = url, True, secret or endpoint.secret
            endpoint.save(update_fields=["url", "is_active", "secret"])
        audit_record(action="webhook.set", tenant=tenant, actor=actor, obj=endpoint, after={"url": endpoint.url})
        return endpoint, secret


@transaction.atomic
def webhook_rotate_secret(*, endpoint: WebhookEndpoint, tenant, actor) -> str:
    """A new secret; the old one stops signing at once."""
    endpoint.secret = webhooks.new_secret()
    endpoint.save(update_fields=["secret"])
    audit_record(action="webhook.rotate", tenant=tenant, actor=actor, obj=endpoint, after={})
    return endpoint.secret


@transaction.atomic
def webhook_clear(*, endpoint: WebhookEndpoint, tenant, actor) -> None:
    """Stop sending events. Kept (inactive) rather than deleted, so deliveries in flight still find it."""
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    audit_record(action="webhook.clear", tenant=tenant, actor=actor, obj=endpoint, before={"url": endpoint.url})
