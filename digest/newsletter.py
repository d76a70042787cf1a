"""An edition as an email: its HTML and plain-text parts, and the message file that is sent.

Both parts come from templates (email.html, email.txt and their email_ parts), overridable
like the pages', fed with the same edition as its page. The HTML's stylesheet is inlined
into style attributes by css-inline, since mail clients drop or trim <style> blocks; only
the @media rules (narrow screens, dark mode) stay in one, for the clients that honour them.

The message is a pure function of the edition and the settings: the same edition gives the
same bytes. Its Date is the edition's date, never the clock; its Message-ID is derived from
the edition's number and the site, so that it is the same at every run (a rare second copy,
after a send killed between the server's "accepted" and the ledger's write, has the same id,
which mail clients fold into one); its MIME boundary is a digest of the parts, which quoted-
printable encoding keeps out of them ("=_" cannot appear in quoted-printable text). The
message has no To header: `digest send` puts one before it for each recipient, so that the
file holds no subscriber's address.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

import css_inline
from jinja2 import Environment

from .config import Newsletter, SiteConfig, mailbox_address
from .dates import long_date
from .markup import to_html
from .model import Edition, Site
from .problems import Problem, warning
from .render import TemplateErrors, compile_templates, template_problem
from .urls import EDITIONS, RSS, absolute, path_of

HTML_TEMPLATE, TEXT_TEMPLATE = "email.html", "email.txt"
# Gmail clips a message whose HTML is larger than about 102 KB (hiding the rest, and with
# it the unsubscribe link) behind "View entire message": stay under 100 KB.
SIZE_LIMIT = 100_000
POLICY = policy.SMTP.clone(max_line_length=78)  # CRLF line ends, as sent
LINK = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.DOTALL)
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Email:
    html: str  # the HTML part, its CSS inlined
    text: str  # the plain-text part


def links(site: Site, edition: Edition, newsletter: Newsletter | None) -> dict[str, object]:
    """Every link the email shows, absolute (from base_url): mail has no page to be relative to."""
    base = site.base_url
    items = {item.id: absolute(base, path_of(item)) for item in edition.items}
    items |= {r.first.id: absolute(base, path_of(r.first)) for r in edition.repeats}
    return {
        "home": base,
        "view": absolute(base, path_of(edition)),
        "feed": absolute(base, RSS),
        "edition_feed": absolute(base, EDITIONS + RSS),
        "unsubscribe": newsletter.unsubscribe_link if newsletter else None,
        "item": items,  # item id -> its page
    }


def plain_with_links(text: str) -> str:
    """Item text as plain text, its Markdown links kept as "text <URL>" (mail has no anchors)."""
    marked = LINK.sub(
        lambda m: m[2] if html.unescape(m[1]) == TAG.sub("", m[2]) else f"{m[2]} <{m[1]}>",
        to_html(text),
    )
    return " ".join(html.unescape(TAG.sub("", marked)).split())


def render_email(
    site: Site,
    edition: Edition,
    env: Environment,
    newsletter: Newsletter | None = None,
    compiled: bool = False,
) -> Email:
    """The edition's email; TemplateErrors for templates that cannot be compiled or rendered.
    `compiled`: every template of `env` has been compiled (by a build) without a problem."""
    problems = [] if compiled else compile_templates(env)
    if problems:
        raise TemplateErrors(problems)
    context = {
        "site": site,
        "edition": edition,
        "links": links(site, edition, newsletter),
        "plain": {
            item.id: (plain_with_links(item.summary), plain_with_links(item.analysis or ""))
            for item in edition.items
        },
    }
    try:
        page = env.get_template(HTML_TEMPLATE).render(context)
        text = env.get_template(TEXT_TEMPLATE).render(context)
    except Exception as exc:
        problem = template_problem(env, exc)
        if problem is None:  # not the editor's templates: a bug in digest
            raise
        raise TemplateErrors([problem]) from None
    return Email(inline(page), _tidy(text))


def inline(page: str) -> str:
    """The page with its <style> rules moved into style attributes (@media rules kept)."""
    inliner = css_inline.CSSInliner(
        keep_at_rules=True, load_remote_stylesheets=False, minify_css=True
    )
    return inliner.inline(page)


def _tidy(text: str) -> str:
    # Templates leave stray spaces and runs of blank lines; a mail reader shows them all.
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n") + "\n"


def subject(site: Site, edition: Edition, newsletter: Newsletter | None) -> str:
    pattern = newsletter.subject if newsletter else "{title}"
    return pattern.format(
        title=edition.title,
        number=edition.number,
        date=long_date(edition.date, site.language),
        site=site.title,
    )


def message_id(site: Site, edition: Edition, newsletter: Newsletter) -> str:
    """Stable for the edition: its number and the site's address, at the sender's domain."""
    key = hashlib.sha256(f"{site.base_url}\0edition\0{edition.number}".encode()).hexdigest()
    domain = mailbox_address(newsletter.sender).rpartition("@")[2]
    return f"<digest.edition-{edition.number}.{key[:16]}@{domain}>"


def message(email: Email, site: Site, edition: Edition, newsletter: Newsletter) -> bytes:
    """The RFC 5322 message (MIME multipart/alternative, UTF-8, CRLF), without To."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = newsletter.sender
    if newsletter.reply_to:
        msg["Reply-To"] = newsletter.reply_to
    msg["Subject"] = subject(site, edition, newsletter)
    msg["Date"] = format_datetime(edition.date)
    msg["Message-ID"] = message_id(site, edition, newsletter)
    if newsletter.unsubscribe:
        msg["List-Unsubscribe"] = ", ".join(f"<{link}>" for link in newsletter.unsubscribe)
        if newsletter.one_click:  # RFC 8058: one click, by an HTTPS POST
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    parts = f"{email.text}\0{email.html}".encode("utf-8", "surrogatepass")
    msg.set_boundary(f"=_digest_{hashlib.sha256(parts).hexdigest()[:32]}")
    return msg.as_bytes(policy=POLICY)


@dataclass(frozen=True)
class Sizes:
    html: int  # the HTML part as sent (quoted-printable), in bytes
    text: int  # the text part as sent
    message: int  # the whole message


def sizes(data: bytes) -> Sizes:
    """The sizes of a message's parts as sent, read from its bytes."""
    boundary = re.search(rb'boundary="([^"]+)"', data)
    assert boundary is not None, "not a message made by message()"
    chunks = data.split(b"--" + boundary[1])
    measured = {b"text/plain": 0, b"text/html": 0}
    for chunk in chunks[1:-1]:
        head, _, body = chunk.partition(b"\r\n\r\n")
        for kind in measured:
            if kind in head:
                measured[kind] = len(body)
    return Sizes(measured[b"text/html"], measured[b"text/plain"], len(data))


def oversize(data: bytes, edition: Edition) -> Problem | None:
    """A warning when the HTML part is past what Gmail shows without clipping."""
    size = sizes(data).html
    if size <= SIZE_LIMIT:
        return None
    return warning(
        edition.source,
        None,
        f"the email of edition {edition.number} is {size / 1000:.0f} KB of HTML, over "
        f"{SIZE_LIMIT // 1000} KB: Gmail will clip it (and hide its unsubscribe link); "
        "split the edition, shorten its items, or trim the email templates",
    )


def build_warnings(site: Site, env: Environment, config: SiteConfig) -> list[Problem]:
    """For `digest build`: the newest edition's email, when the site has a newsletter, if it
    is too large. Only the newest, since it is the one `digest send` sends next; a template
    problem here is left to `digest send` to report."""
    if config.newsletter is None or not site.editions:
        return []
    edition = site.editions[0]
    try:
        email = render_email(site, edition, env, config.newsletter, compiled=True)
    except TemplateErrors:
        return []
    problem = oversize(message(email, site, edition, config.newsletter), edition)
    return [problem] if problem is not None else []
