"""factory_boy factories. Tenant-owned rows are written through `unscoped` (test set-up is
system code); everything under test goes through the services and the scoped managers."""

import itertools

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP

from accounts.models import User
from tenants.choices import Industry, Province, SizeClass
from tenants.models import Membership, Tenant
from tenants.roles import OWNER_ROLE, TenantKind
from tenants.validators import uscc_check_char

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"
_codes = itertools.count(1)


def credit_code() -> str:
    first17 = f"91510100MA{next(_codes):07d}"
    return first17 + uscc_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def mfa(self, create, extracted, **kwargs):
        if create and extracted:
            TOTP.activate(self, TOTP_SECRET)


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    kind = TenantKind.COMPANY
    name_zh = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    name_en = factory.Sequence(lambda n: f"Test Company {n}")
    credit_code = factory.LazyFunction(credit_code)
    province = Province.SICHUAN
    city = "成都"
    industry = Industry.RETAIL
    size_class = SizeClass.SMALL


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership
        skip_postgeneration_save = True

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = factory.LazyAttribute(lambda o: OWNER_ROLE[o.tenant.kind])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.unscoped.create(*args, **kwargs)

    @factory.post_generation
    def staff_mfa(self, create, extracted, **kwargs):
        """Government and operator staff have MFA unless a test says `staff_mfa=False`."""
        from allauth.mfa.models import Authenticator

        wanted = extracted if extracted is not None else self.tenant.kind in ("government", "operator")
        if create and wanted and not Authenticator.objects.filter(user=self.user, type="totp").exists():
            TOTP.activate(self.user, TOTP_SECRET)
