"""Favourites through the API: a signed-in person saves and unsaves live offerings, sees their own."""

import pytest
from django.urls import reverse

from catalog.models import Favourite
from tests.catalog.world import build
from tests.conftest import member_client
from tests.factories import MembershipFactory


@pytest.fixture
def world(db):
    return build()


def test_save_list_and_unsave_own_favourites(world, anon):
    me, other = MembershipFactory(), MembershipFactory()
    slug = world.model.offering.slug
    url = reverse("api:catalog-favourite-detail", args=[slug])
    client = member_client(me)
    for _ in range(2):  # saving twice changes nothing
        response = client.put(url)
        assert response.status_code == 200 and response.json() == {"slug": slug, "saved": True}
    assert Favourite.objects.filter(user=me.user).count() == 1
    listed = client.get(reverse("api:catalog-favourite-list")).json()["results"]
    assert [o["slug"] for o in listed] == [slug]
    assert member_client(other).get(reverse("api:catalog-favourite-list")).json()["results"] == []
    # Another person's DELETE removes only their own (none): mine stays.
    assert member_client(other).delete(url).status_code == 204
    assert Favourite.objects.filter(user=me.user).count() == 1
    assert client.delete(url).status_code == 204
    assert not Favourite.objects.exists()
    # A draft or unknown offering is a 404; anonymous callers get 401.
    assert client.put(reverse("api:catalog-favourite-detail", args=["secret-draft"])).status_code == 404
    assert client.put(reverse("api:catalog-favourite-detail", args=["no-such-offering"])).status_code == 404
    assert anon.put(url).status_code == 401
    assert anon.get(reverse("api:catalog-favourite-list")).status_code == 401
