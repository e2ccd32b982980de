"""Every URL pattern of the site, found by walking the resolver."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str  # namespaced, e.g. "tenants:members"
    route: str  # the pattern text, for messages
    converters: tuple[str, ...]  # names of the URL parameters


def walk(patterns=None, prefix: str = "", namespace: str = ""):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else f"<unnamed {prefix}{p.pattern}>"
            params = tuple(getattr(p.pattern, "converters", {}).keys()) or tuple(p.pattern.regex.groupindex.keys())
            yield Route(name=name, route=prefix + str(p.pattern), converters=params)


def all_routes() -> list[Route]:
    return list(walk())
