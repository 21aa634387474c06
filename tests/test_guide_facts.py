"""The shipped guide's facts and links: what a learner reads must be true and must open cleanly."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from bot.guide import Framework, Guide, ResourceKind, load_guide
from tests.conftest import REPO_ROOT, SHIPPED_GUIDE

TRACKING_PARAMETERS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "si", "igshid"}
"""Query parameters that only track who shared a link; `utm_*` ones are checked by prefix."""
REPOSITORY_HOSTS = {"github.com", "gitlab.com", "bitbucket.org", "codeberg.org"}
FACTS_REVIEWED = "2026-12-01"


@pytest.fixture(scope="module")
def guide() -> Guide:
    return load_guide(SHIPPED_GUIDE)


def framework(guide: Guide, key: str) -> Framework:
    found = guide.framework(key)
    assert found is not None, f"{key} is not in the shipped guide"
    return found


def urls(guide: Guide) -> list[str]:
    return [resource.url for fw in guide.frameworks for resource in fw.resources]


def test_every_resource_url_is_https(guide: Guide) -> None:
    assert [url for url in urls(guide) if urlsplit(url).scheme != "https"] == []


def test_no_resource_url_carries_tracking_parameters(guide: Guide) -> None:
    tracked = [
        url
        for url in urls(guide)
        for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        if name.lower() in TRACKING_PARAMETERS or name.lower().startswith("utm_")
    ]
    assert tracked == []


def test_every_resource_url_is_used_once_in_the_whole_guide(guide: Guide) -> None:
    def comparable(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.netloc.lower()}{parts.path.rstrip('/')}?{parts.query}"

    seen: dict[str, str] = {}
    repeats = [url for url in urls(guide) if seen.setdefault(comparable(url), url) is not url]
    assert repeats == []


def test_a_repository_or_home_page_is_labelled_for_what_it_is(guide: Guide) -> None:
    for fw in guide.frameworks:
        for resource in fw.resources:
            host = urlsplit(resource.url).netloc.lower().removeprefix("www.")
            if host in REPOSITORY_HOSTS:
                assert resource.kind is ResourceKind.REPOSITORY, resource
            if re.search(r"\b(website|project page|home page)\b", resource.title, re.I):
                assert resource.kind is ResourceKind.WEBSITE, resource
            if resource.kind is ResourceKind.DOCS:
                assert host not in REPOSITORY_HOSTS, resource


def test_every_framework_the_guide_started_with_keeps_three_resources(guide: Guide) -> None:
    for key in ("node", "django", "rubyonrails", "flask"):
        assert len(framework(guide, key).resources) >= 3, key


def test_spring_boot_names_only_the_embedded_servers_spring_boot_4_ships(guide: Guide) -> None:
    description = framework(guide, "springboot").description
    assert "Tomcat by default" in description
    assert "Jetty" in description
    assert "Undertow" not in description


def test_notable_users_are_current_ones(guide: Guide) -> None:
    assert framework(guide, "rubyonrails").used_by == ("GitHub", "Shopify")
    assert "Pinterest" not in framework(guide, "django").used_by
    assert "Instagram" in framework(guide, "django").used_by
    assert "LinkedIn" not in framework(guide, "node").used_by
    assert {"Netflix", "PayPal"} <= set(framework(guide, "node").used_by)


def test_node_links_its_learning_pages_and_api_reference_without_redirects(guide: Guide) -> None:
    links = {r.url: r.kind for r in framework(guide, "node").resources}
    assert links["https://nodejs.org/en/learn"] is ResourceKind.TUTORIAL
    assert links["https://nodejs.org/docs/latest/api/"] is ResourceKind.DOCS
    assert "https://nodejs.org/en/docs/" not in links


def test_no_video_title_is_given_that_the_guide_cannot_vouch_for(guide: Guide) -> None:
    rails_urls = [r.url for r in framework(guide, "rubyonrails").resources]
    assert "https://www.youtube.com/watch?v=fmyvWz5TUWg" not in rails_urls
    assert all("Crash Course" not in r.title for r in framework(guide, "rubyonrails").resources)


def test_claims_are_attributed_and_gin_defaults_are_stated_exactly(guide: Guide) -> None:
    fastapi = framework(guide, "fastapi").description
    assert "among the fastest" not in fastapi
    assert "the project describes it as one of the fastest" in fastapi
    gin = framework(guide, "gin").description
    assert "`gin.Default()` sets up a logger and panic recovery" in gin
    assert "`gin.New()` starts with none" in gin


def test_flask_offers_the_official_tutorial(guide: Guide) -> None:
    links = [r.url for r in framework(guide, "flask").resources]
    assert "https://flask.palletsprojects.com/en/stable/tutorial/" in links


def test_the_readme_says_when_the_guide_facts_were_last_reviewed() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"The facts in the bundled guide were last reviewed on {FACTS_REVIEWED}" in readme
