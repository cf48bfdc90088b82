"""The terminal chat's rendering of Telegram HTML."""

from __future__ import annotations

from botsim.terminal import html_to_text


def test_links_keep_their_address_and_entities_are_unescaped() -> None:
    html = (
        'x (<a href="https://a.b/c?d=1&amp;e=2">Fergana</a>) <b>y</b> &lt;z&gt; <i>(in English)</i>'
    )
    assert html_to_text(html) == "x (Fergana [https://a.b/c?d=1&e=2]) y <z> (in English)"
