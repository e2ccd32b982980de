"""allauth adapter: remember the language a person signed up in, so mail reaches them in it."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils import translation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request, user, form, commit=True):
        user.language = translation.get_language() or "en"
        return super().save_user(request, user, form, commit=commit)
