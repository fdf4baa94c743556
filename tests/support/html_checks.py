"""What a browser would act on in a piece of HTML: the check every XSS test uses."""

from __future__ import annotations

from html.parser import HTMLParser

DANGEROUS_TAGS = {"script", "img", "iframe", "svg", "object", "embed", "link", "meta", "style", "base", "form"}


class _ActiveMarkup(HTMLParser):
    """Collects what a browser would act on: dangerous elements, event-handler attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def active_markup(markup: str) -> list[str]:
    parser = _ActiveMarkup()
    parser.feed(markup)
    parser.close()
    return parser.found
