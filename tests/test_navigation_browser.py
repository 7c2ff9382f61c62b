"""The menu fits every role: at 1280 and 1366 px and on a 375 px phone no page scrolls sideways,
every menu link can be reached (groups open as drop-downs), and the unread count shows in the header."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def _menu_links(page) -> list[str]:
    return page.locator(".mainnav a").evaluate_all("els => els.map(e => e.getAttribute('href'))")


@pytest.mark.parametrize("username", ["bpsdm", "admin"])
def test_staff_menu_fits_desktop_widths_and_every_link_is_reachable(page, browser_login, username):
    page.set_viewport_size({"width": 1280, "height": 800})
    browser_login(username)
    for width in (1280, 1366):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto("/")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        bar = page.locator(".topbar").bounding_box()
        assert bar["height"] < 90, f"the bar wraps onto several lines at {width}px"
        # the person's name, the header links and the language switch stay on screen
        for selector in (".usermenu .who", ".langs a[lang=en]"):
            box = page.locator(selector).bounding_box()
            assert box["x"] + box["width"] <= width
    links = _menu_links(page)
    assert len(links) >= 8
    for group in page.locator(".mainnav .navgroup").all():
        group.locator("summary").click()
        for link in group.locator(".navmenu a").all():
            assert link.is_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 1366
        group.locator("summary").click()
    for href in links:
        resp = page.goto(href)
        assert resp.status == 200, href


def test_phone_menu_has_no_sideways_scroll_and_groups_open(page, browser_login):
    page.set_viewport_size({"width": 375, "height": 812})
    browser_login("bpsdm")
    page.click(".nav-toggle-label")
    for group in page.locator(".mainnav .navgroup").all():
        group.locator("summary").click()
        assert group.locator(".navmenu a").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    page.locator(".navgroup[data-group=manage] .navmenu a", has_text="Pemantauan JP").click()
    page.wait_for_url("**/pemantauan**")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
