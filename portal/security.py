"""Views whose Content-Security-Policy differs from the site's (`CONTENT_SECURITY_POLICY` in settings).

Only the API docs: Swagger UI (drf-spectacular-sidecar, served from our static files) runs its
scripts from files — the split view serves its start-up script from the same URL instead of inline —
but its page has an inline <style> element, and Swagger UI writes style attributes, both of which the
site's policy refuses. `style-src 'unsafe-inline'` covers both (without a `style-src-attr` directive,
style attributes fall under `style-src`). Scripts stay 'self' only.
With Django 6, swap `csp_update` for `django.views.decorators.csp.csp_override` with the whole policy.
"""

from csp.decorators import csp_update
from drf_spectacular.views import SpectacularSwaggerSplitView

API_DOCS_CSP = {"style-src": ["'unsafe-inline'"]}


def api_docs_view(**initkwargs):
    return csp_update(API_DOCS_CSP)(SpectacularSwaggerSplitView.as_view(**initkwargs))
