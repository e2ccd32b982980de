from tenants.scoping import TenantOwnedQuerySet


class VersionQuerySet(TenantOwnedQuerySet):
    def live(self):
        """Live versions of published offerings: what the public catalog shows."""
        return self.filter(state="live", offering__status="published")
