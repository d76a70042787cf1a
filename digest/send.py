"""`digest send`: email an edition to its recipients through SMTP, once each.

Everything that can be checked is checked before the first message leaves: the settings,
the content, the templates, every address of the recipients file (each bad one at its
FILE:LINE), the send ledger, the password's variable and the connection. Then one message
goes to each recipient not yet in the ledger (each in a transaction of its own, with its
own To header), and each address the server accepts is recorded at once. A temporary
refusal (4xx, or a dropped connection) is tried again after a pause, a few times, after
the others; a permanent one (5xx) is reported for that address and the others still go.

Exit codes: 0 sent to everyone (or nobody was left to send to), 1 some recipients refused
or not reached (run again to retry those: the others are in the ledger), or content
errors (nothing sent), 2 a usage or configuration error (nothing sent).
"""

from __future__ import annotations

import fcntl
import os
import smtplib
import ssl
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import newsletter as mail
from .cache import BuildCache
from .config import Newsletter, Recipient, SiteConfig, check_address, mailbox_address
from .model import Edition
from .problems import ConfigErrors, Problem, UsageError, count_line, display, error, warning
from .reading import NotRead, read_file
from .render import make_env
from .sendledger import SENT_NAME, SendLedger, replace_durably

EXIT_SENT, EXIT_NOT_ALL, EXIT_USAGE = 0, 1, 2
# How often a temporary refusal is tried again, and the pause before each round of tries.
RETRY_PAUSES = (30.0, 120.0, 300.0)
TIMEOUT = 60.0  # seconds the server may take to answer


class SendError(Exception):
    """The server cannot be used at all: unreachable, TLS or login refused, sender refused."""


@dataclass
class Report:
    accepted: list[Recipient] = field(default_factory=list)
    refused: list[tuple[Recipient, str]] = field(default_factory=list)  # permanently (5xx)
    unreached: list[tuple[Recipient, str]] = field(default_factory=list)  # still 4xx, or cut off


@dataclass(frozen=True)
class Options:
    edition: int | None = None  # the newest when None
    to: str | None = None  # a test send to this one address
    dry_run: bool = False
    again: bool = False
    verbose: bool = False
    quiet: bool = False
    strict: bool = False


def say(line: str) -> None:
    print(line, flush=True)


def complain(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(
    config: SiteConfig,
    options: Options,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """The whole command; returns its exit code. `sleep` and `clock` pace and pause it."""
    settings = config.newsletter
    if settings is None:
        complain(
            "digest: error: no newsletter settings: add a 'newsletter:' key to site.yaml "
            "(from:, host:, recipients: …; see README.md, 'The newsletter')"
        )
        return EXIT_USAGE
    try:
        prepared = _prepare(config, settings, options)
        if isinstance(prepared, int):
            return prepared
        edition, data, recipients, ledger = prepared
        with _locked(ledger.path if ledger is not None else None):
            return _send(settings, options, edition, data, recipients, ledger, sleep, clock)
    except ConfigErrors as exc:
        _print_problems(exc.problems)
        return EXIT_USAGE
    except UsageError as exc:
        complain(f"digest: error: {exc}; nothing was sent")
        return EXIT_USAGE


def _prepare(
    config: SiteConfig, settings: Newsletter, options: Options
) -> int | tuple[Edition, bytes, list[Recipient], SendLedger | None]:
    from .pipeline import model  # the site as a build sees it, without writing anything

    built = model(config)
    loaded, site, problems = built.loaded, built.site, built.problems
    if any(p.severity == "error" for p in problems) or (options.strict and problems):
        _print_problems(problems)
        complain("digest: nothing was sent")
        return EXIT_NOT_ALL
    _print_problems(problems)
    if not site.editions:
        raise UsageError("there is no edition to send")
    edition = _edition(site.editions, options.edition)
    name = next((e.name for e in loaded.editions if e.number == edition.number), None)
    if name in loaded.new_dates:
        raise UsageError(
            f"the date of edition {edition.number} is not recorded yet: run 'digest build' "
            "first (and publish the site, so that the email's links lead somewhere)"
        )
    if options.to is not None:
        try:
            recipients = [Recipient(check_address(options.to), "--to", None)]
        except ValueError as exc:
            raise UsageError(f"--to: {exc}") from None
    else:
        recipients, found = read_recipients(settings)
        if any(p.severity == "error" for p in found) or (options.strict and found):
            raise ConfigErrors(found)
        _print_problems(found)
        if not recipients:
            raise UsageError("no recipients: set newsletter.recipients or recipients_file")
    compiled = BuildCache(config.cache).subfolder("templates") if config.cache else None
    env = make_env([config.templates] if config.templates else [], compiled)
    email = mail.render_email(site, edition, env, settings)
    data = mail.message(email, site, edition, settings)
    oversize = mail.oversize(data, edition)
    if oversize is not None:
        complain(str(oversize))
    _write_message(settings, config, edition, data)
    ledger = None
    if options.to is None:  # a test send is not a send: the ledger does not count it
        path = config.content / SENT_NAME
        ledger = SendLedger(path, display(path))
        found = ledger.read()
        if found:
            raise ConfigErrors(found)
    return edition, data, recipients, ledger


def _edition(editions: Sequence[Edition], number: int | None) -> Edition:
    if number is None:
        return editions[0]
    for edition in editions:
        if edition.number == number:
            return edition
    known = ", ".join(str(e.number) for e in sorted(editions, key=lambda e: e.number))
    raise UsageError(f"no edition {number} (the editions are: {known})")


def message_file(settings: Newsletter, edition: Edition) -> Path:
    return settings.messages / f"edition-{edition.number}.eml"


def _write_message(settings: Newsletter, config: SiteConfig, edition: Edition, data: bytes) -> None:
    folder = settings.messages
    if _inside(folder, config.output):
        # A build replaces the site whole: the files would go, and be published meanwhile.
        raise UsageError(
            f"newsletter.messages ('{display(folder)}') is inside the site's output folder; "
            "choose a folder beside it"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        replace_durably(message_file(settings, edition), data)
    except OSError as exc:
        raise UsageError(
            f"cannot write the message to '{display(folder)}': {exc.strerror or exc}"
        ) from None


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def read_recipients(settings: Newsletter) -> tuple[list[Recipient], list[Problem]]:
    """The addresses of site.yaml's list and of the recipients file, each once; every line of
    the file that is not an address (nor blank, nor a # comment) is an error at that line."""
    recipients = list(settings.recipients)
    problems: list[Problem] = []
    path = settings.recipients_file
    if path is not None:
        shown = display(path)
        try:
            text = read_file(path).decode("utf-8-sig")
        except (OSError, NotRead, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            where = settings.line
            return [], [
                error(settings.file, where, f"newsletter.recipients_file: {shown}: {reason}")
            ]
        for number, line in enumerate(text.splitlines(), start=1):
            written = line.partition("#")[0].strip()
            if not written:
                continue
            try:
                recipients.append(Recipient(check_address(written), shown, number))
            except ValueError as exc:
                problems.append(error(shown, number, str(exc)))
    unique: dict[str, Recipient] = {}
    for recipient in recipients:
        first = unique.get(recipient.address.lower())
        if first is None:
            unique[recipient.address.lower()] = recipient
            continue
        first_at = f"{first.file}:{first.line}" if first.line is not None else first.file
        problems.append(
            warning(
                recipient.file,
                recipient.line,
                f"{recipient.address} is listed twice (first at {first_at}): it gets one message",
            )
        )
    return list(unique.values()), problems


def _send(
    settings: Newsletter,
    options: Options,
    edition: Edition,
    data: bytes,
    recipients: list[Recipient],
    ledger: SendLedger | None,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> int:
    sizes = mail.sizes(data)
    where = display(message_file(settings, edition))
    about = (
        f"edition {edition.number}, '{edition.title}' ({where}: {_kb(sizes.message)}, "
        f"HTML {_kb(sizes.html)}, text {_kb(sizes.text)})"
    )
    todo = recipients
    if ledger is not None:
        ledger.read()  # again, under the lock: another send may have recorded since
        received = ledger.received(edition.number)
        done = [r for r in recipients if r.address.lower() in received]
        if options.again and done:
            complain(
                f"digest: warning: --again: sending edition {edition.number} once more to "
                f"the {len(done)} recipient(s) who already received it ({ledger.shown})"
            )
        elif done:
            todo = [r for r in recipients if r.address.lower() not in received]
            if not todo:
                say(
                    f"Edition {edition.number} was already sent to all {len(recipients)} "
                    f"recipient(s) (see {ledger.shown}): nothing was sent. "
                    "--again sends it to every one of them once more."
                )
                return EXIT_SENT
            say(
                f"{len(done)} of {len(recipients)} recipient(s) already have it: sending to the rest"
            )
    if options.dry_run:
        say(f"Would send {about} to {len(todo)} recipient(s):")
        for recipient in todo:
            say(f"  {recipient.address}")
        say(f"Nothing was sent (--dry-run); the message is in {where}.")
        return EXIT_SENT
    password = None
    if settings.user:
        password = _password(settings)
    if not options.quiet:
        say(
            f"Sending {about} to {len(todo)} recipient(s) through {settings.host}:{settings.smtp_port}"
        )

    def accepted(recipient: Recipient) -> None:
        if ledger is not None:
            ledger.record(edition.number, recipient.address)
        if options.verbose:
            say(f"  sent to {recipient.address}")

    try:
        report = deliver(
            data,
            mailbox_address(settings.sender),
            todo,
            lambda: connect(settings, password),
            accepted,
            sleep=sleep,
            clock=clock,
            pace=settings.pace,
            say=say if not options.quiet else lambda line: None,
        )
    except SendError as exc:  # before anything was sent
        complain(f"digest: error: {exc}; nothing was sent")
        return EXIT_USAGE
    problems = [
        error(r.file, r.line, f"{r.address}: refused by the server: {why}")
        for r, why in report.refused
    ]
    problems += [
        error(r.file, r.line, f"{r.address}: not sent: {why}") for r, why in report.unreached
    ]
    _print_problems(problems)
    recorded = f"; recorded in {ledger.shown}" if ledger is not None else " (a test: not recorded)"
    if not options.quiet:
        say(
            f"Sent edition {edition.number} to {len(report.accepted)} of {len(todo)} recipient(s){recorded}"
        )
    if report.unreached:
        complain(
            f"digest: {len(report.unreached)} recipient(s) not reached: run again to send to them"
        )
    return EXIT_SENT if not problems else EXIT_NOT_ALL


def _password(settings: Newsletter) -> str:
    password = os.environ.get(settings.password_env)
    if not password:
        raise UsageError(
            f"newsletter.user is set but the environment variable {settings.password_env} "
            "holds no password (digest reads it from there only, never from a file)"
        )
    return password


def connect(settings: Newsletter, password: str | None) -> smtplib.SMTP:
    """A session with the server, secured and logged in as the settings say; SendError if not."""
    where = f"{settings.host}:{settings.smtp_port}"
    try:
        context = ssl.create_default_context()
        session: smtplib.SMTP
        if settings.security == "tls":
            session = smtplib.SMTP_SSL(
                settings.host, settings.smtp_port, timeout=TIMEOUT, context=context
            )
        else:
            session = smtplib.SMTP(settings.host, settings.smtp_port, timeout=TIMEOUT)
            if settings.security == "starttls":
                session.starttls(context=context)
        if settings.user:
            session.login(settings.user, password or "")
        return session
    except smtplib.SMTPAuthenticationError as exc:
        raise SendError(f"{where} refused the login of {settings.user}: {_said(exc)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SendError(f"{where} does not offer {exc}: check newsletter.security") from None
    except smtplib.SMTPException as exc:
        raise SendError(f"cannot use {where}: {_said(exc)}") from None
    except OSError as exc:  # refused, unknown host, TLS failure, timeout
        raise SendError(f"cannot connect to {where}: {exc.strerror or exc}") from None


def _said(exc: smtplib.SMTPException) -> str:
    code = getattr(exc, "smtp_code", None)
    text = getattr(exc, "smtp_error", b"")
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}" if code else str(exc)


def deliver(
    data: bytes,
    sender: str,
    recipients: Sequence[Recipient],
    open_session: Callable[[], smtplib.SMTP],
    accepted: Callable[[Recipient], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    pace: float | None = None,
    say: Callable[[str], None] = say,
    pauses: Sequence[float] = RETRY_PAUSES,
) -> Report:
    """Send `data` to each recipient in a transaction of its own; `accepted(r)` is called as
    soon as the server has taken the message for r. Temporary refusals are tried again after
    the others, once per pause in `pauses`. SendError if the first connection fails."""
    report = Report()
    interval = 60.0 / pace if pace else 0.0
    next_at = clock()
    session: smtplib.SMTP | None = None
    pending: list[tuple[Recipient, str]] = [(r, "") for r in recipients]
    first = True
    try:
        for round_ in range(len(pauses) + 1):
            if round_:
                pause = pauses[round_ - 1]
                say(f"waiting {pause:g} s, then trying {len(pending)} recipient(s) again")
                sleep(pause)
            later: list[tuple[Recipient, str]] = []
            for index, (recipient, _) in enumerate(pending):
                if session is None:
                    try:
                        session = open_session()
                    except SendError as exc:
                        if first:
                            raise
                        rest = [
                            (r, f"the server could not be reached again ({exc})")
                            for r, _ in pending[index:]
                        ]
                        report.unreached += later + rest
                        return report
                first = False
                wait = next_at - clock()
                if wait > 0:
                    sleep(wait)
                next_at = clock() + interval
                outcome, why = _attempt(session, sender, recipient, data)
                if outcome == "sent":
                    report.accepted.append(recipient)
                    accepted(recipient)
                elif outcome == "refused":
                    report.refused.append((recipient, why))
                else:
                    later.append((recipient, why))
                    if outcome == "cut":
                        _close(session)
                        session = None
            pending = later
            if not pending:
                break
        report.unreached += [
            (r, f"still refused after {len(pauses)} more tries: {why}") for r, why in pending
        ]
        return report
    finally:
        if session is not None:
            _close(session)


def _attempt(
    session: smtplib.SMTP, sender: str, recipient: Recipient, data: bytes
) -> tuple[str, str]:
    """One transaction: ("sent", ""), ("refused", why) for 5xx, ("later", why) for 4xx, or
    ("cut", why) when the connection is gone."""
    message = b"To: " + recipient.address.encode("ascii") + b"\r\n" + data
    text: bytes | str  # the server's reply (smtplib declares it as either)
    try:
        session.sendmail(sender, [recipient.address], message)
        return "sent", ""
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
    except smtplib.SMTPSenderRefused as exc:
        code, text = exc.smtp_code, exc.smtp_error
        if code >= 500:
            raise SendError(
                f"the server refuses the sender {sender}: {code} {_text(text)}"
            ) from None
    except smtplib.SMTPResponseException as exc:  # DATA refused, and the like
        code, text = exc.smtp_code, exc.smtp_error
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        return "cut", f"the connection was lost ({exc})"
    why = f"{code} {_text(text)}"
    if 500 <= code < 600:
        return "refused", why
    if getattr(session, "sock", None) is None:  # 421: the server closed the session
        return "cut", why
    return "later", why


def _text(text: bytes | str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(decoded.split())


def _close(session: smtplib.SMTP) -> None:
    try:
        session.quit()
    except (smtplib.SMTPException, OSError):
        session.close()


@contextmanager
def _locked(ledger: Path | None) -> Iterator[None]:
    """One `digest send` at a time per content folder: two at once would both send."""
    if ledger is None:
        yield
        return
    lock_path = ledger.parent / f".{ledger.name}.lock"
    try:
        lock = open(lock_path, "a")  # noqa: SIM115 - held for the whole send
    except OSError as exc:
        raise UsageError(f"cannot lock {display(lock_path)}: {exc.strerror or exc}") from None
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError("another 'digest send' is running for this content folder") from None
        yield


def _kb(size: int) -> str:
    return f"{size / 1000:.1f} KB"


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        complain(str(problem))
    if problems:
        complain(f"digest: {count_line(problems)}")
