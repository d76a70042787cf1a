"""`digest send` against a real SMTP server (aiosmtpd on 127.0.0.1, started by each test):
what arrives, once per recipient, whatever is killed, refused or delayed on the way."""

from __future__ import annotations

import asyncio
import email
import html
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import pytest
from conftest import ROOT

from digest.cli import main
from digest.config import load_config
from digest.markup import to_plain
from digest.send import Options, run

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd import controller as aiosmtpd_controller
from aiosmtpd.smtp import AuthResult, LoginPassword

EDITION = """---
title: Week 48 « spéciale » 🤖
date: 2026-11-26T08:00:00+01:00
---
Mistral's « Le Chat » now answers in Breton & Occitan, says the café owner 🥐 "5 < 6".
Analysis — Regional languages get their due: « enfin », say the Télévisions régionales 🇫🇷.

The CNIL has fined a start-up €50,000 for scraping public profiles without consent.
Analysis — A warning shot at firms that treat public data as free for the taking.

Kyutai has released an open speech model that translates French into English in real time.
Analysis — A Paris lab shows again that openness and quality can go together.
"""
PEOPLE = "# subscribers\nada@example.org\ngrace@example.org  # joined in May\n\nlinus@example.org\n"
CHECKOUT = {**os.environ, "PYTHONPATH": str(ROOT)}


@dataclass
class Mailbox:
    """What the server received, and how it answers: the test's hands on the server."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> 5xx answer to RCPT
    defer: dict[str, int] = field(default_factory=dict)  # address -> 4xx answers left
    hold_at: int | None = None  # the RCPT (counted from 1) the server stops at
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    rcpts: int = 0

    def delivered(self) -> Counter[str]:
        return Counter(rcpt for _, rcpts, _ in self.messages for rcpt in rcpts)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.rcpts == self.hold_at:
            self.reached.set()  # the sender has recorded every earlier recipient by now
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait)
            return "451 4.3.0 held by the test"
        if address in self.refuse:
            return self.refuse[address]
        if self.defer.get(address, 0) > 0:
            self.defer[address] -= 1
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 queued"


class Controller(aiosmtpd_controller.Controller):
    """aiosmtpd's, on a port the system picks (port 0): its readiness check needs the real one."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=0)
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    box.release.set()
    controller.stop()


def project(tmp_path: Path, port: int, **newsletter: str) -> Path:
    content = tmp_path / "content"
    content.mkdir()
    (content / "001_week.txt").write_text(EDITION, encoding="utf-8")
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    (tmp_path / "people.txt").write_text(PEOPLE, encoding="utf-8")
    settings = {
        "from": '"La Rédaction <news@example.org>"',
        "reply_to": "editor@example.org",
        "host": "127.0.0.1",
        "port": str(port),
        "security": "none",
        "recipients_file": "people.txt",
        "unsubscribe": '["https://example.org/unsubscribe", "mailto:leave@example.org"]',
        **newsletter,
    }
    lines = "".join(f"  {key}: {value}\n" for key, value in settings.items())
    (tmp_path / "site.yaml").write_text(
        "title: AI, read from France\nbase_url: https://example.org/digest/\ntimezone: Europe/Paris\n"
        f"output: site\nnewsletter:\n{lines}",
        encoding="utf-8",
    )
    return tmp_path / "site.yaml"


def send(config: Path, *args: str) -> tuple[int, str, str]:
    """`digest send` run in this process (the kill test runs it in one of its own)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["send", "--config", str(config), *args])
    return code, out.getvalue(), err.getvalue()


def ledger(tmp_path: Path) -> str:
    return (tmp_path / "content" / "sent.yaml").read_text(encoding="utf-8")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def test_each_recipient_gets_the_whole_edition_in_both_parts(tmp_path: Path, mailbox) -> None:
    config = project(tmp_path, mailbox.port)
    code, out, err = send(config)
    assert code == 0, err
    assert "Sent edition 1 to 3 of 3 recipient(s)" in out
    assert mailbox.delivered() == {
        "ada@example.org": 1,
        "grace@example.org": 1,
        "linus@example.org": 1,
    }
    written = (tmp_path / "mail" / "edition-1.eml").read_bytes()
    ids = set()
    for sender, (rcpt,), data in mailbox.messages:
        assert sender == "news@example.org"
        # What was sent is the message file, byte for byte, after its recipient's To.
        assert data.replace(b"\r\n", b"\n") == (
            b"To: " + rcpt.encode() + b"\r\n" + written
        ).replace(b"\r\n", b"\n")
        message = email.message_from_bytes(data, policy=policy.default)
        assert message.get_content_type() == "multipart/alternative"
        text_part, html_part = message.iter_parts()
        assert (
            text_part.get_content_type() == "text/plain"
            and html_part.get_content_type() == "text/html"
        )
        assert text_part.get_content_charset() == html_part.get_content_charset() == "utf-8"
        assert message["To"] == rcpt
        assert message["From"] == "La Rédaction <news@example.org>"
        assert message["Reply-To"] == "editor@example.org"
        assert message["Subject"] == "Week 48 « spéciale » 🤖"
        assert message["Date"] == "Thu, 26 Nov 2026 08:00:00 +0100"
        assert (
            message["List-Unsubscribe"].strip()
            == "<https://example.org/unsubscribe>, <mailto:leave@example.org>"
        )
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        ids.add(message["Message-ID"])
        text = text_part.get_content()
        page = html_part.get_content()
        shown = squeeze(html.unescape(re.sub(r"<[^>]+>", " ", page)))
        items = json_items(tmp_path)
        assert len(items) == 3
        for item in items:
            for part in (squeeze(text), shown):
                assert squeeze(item["title"]) in part
                assert squeeze(to_plain(item["summary"])) in part
                assert squeeze(to_plain(item["analysis"])) in part
            assert item["url"] in text and f'href="{item["url"]}"' in page
        assert "« enfin »" in text and "🇫🇷" in text and "🥐" in shown and '"5 < 6"' in shown
        assert all(len(line) <= 72 or " " not in line for line in text.splitlines())
    assert len(ids) == 1 and re.fullmatch(
        r"<digest\.edition-1\.[0-9a-f]{16}@example\.org>", ids.pop()
    )
    assert ledger(tmp_path).endswith(
        "1:\n- ada@example.org\n- grace@example.org\n- linus@example.org\n"
    )


def json_items(tmp_path: Path) -> list[dict]:
    """The edition's items as the site's items.json has them (built for the test)."""
    from digest import pipeline

    config, problems = load_config(tmp_path / "site.yaml")
    assert problems == []
    result = pipeline.check(config)
    edition = result.site.editions[0]
    return [
        {"title": i.title, "summary": i.summary, "analysis": i.analysis,
         "url": f"https://example.org/digest/items/{i.slug}/"}
        for i in edition.items
    ]  # fmt: skip


def test_a_second_send_sends_nothing_and_again_sends_loudly(tmp_path: Path, mailbox) -> None:
    config = project(tmp_path, mailbox.port)
    assert send(config)[0] == 0
    code, out, err = send(config)
    assert code == 0 and len(mailbox.messages) == 3
    assert "already sent to all 3 recipient(s)" in out and "nothing was sent" in out
    code, out, err = send(config, "--again")
    assert code == 0 and len(mailbox.messages) == 6
    assert "warning: --again" in err and "3 recipient(s) who already received it" in err


def test_killed_after_the_second_recipient_the_next_run_sends_the_rest(
    tmp_path: Path, mailbox
) -> None:
    config = project(tmp_path, mailbox.port)
    mailbox.hold_at = 3  # the third recipient's RCPT: the first two are delivered
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "send", "--config", str(config)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=CHECKOUT,
    )  # fmt: skip
    try:
        assert mailbox.reached.wait(60), process.communicate(timeout=5)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        mailbox.release.set()
    assert process.returncode == -signal.SIGKILL
    assert mailbox.delivered() == {"ada@example.org": 1, "grace@example.org": 1}
    assert ledger(tmp_path).endswith("1:\n- ada@example.org\n- grace@example.org\n")
    mailbox.hold_at = None
    code, out, err = send(config)
    assert code == 0, err
    assert "2 of 3 recipient(s) already have it" in out
    assert mailbox.delivered() == {
        "ada@example.org": 1,
        "grace@example.org": 1,
        "linus@example.org": 1,
    }


def test_a_permanent_refusal_is_reported_at_its_line_and_the_rest_still_go(
    tmp_path: Path, mailbox
) -> None:
    config = project(tmp_path, mailbox.port)
    mailbox.refuse["grace@example.org"] = "550 5.1.1 <grace@example.org>: no such user"
    code, _out, err = send(config)
    assert code == 1
    assert (
        "people.txt:3: error: grace@example.org: refused by the server: 550 5.1.1 <grace@example.org>: no such user"
        in err
    )
    assert mailbox.delivered() == {"ada@example.org": 1, "linus@example.org": 1}
    assert ledger(tmp_path).endswith("1:\n- ada@example.org\n- linus@example.org\n")


def test_a_temporary_refusal_is_tried_again_and_delivered_once(
    tmp_path: Path, mailbox, capsys
) -> None:
    project(tmp_path, mailbox.port)
    mailbox.defer["ada@example.org"] = 2
    config, problems = load_config(tmp_path / "site.yaml")
    assert problems == []
    pauses: list[float] = []
    assert run(config, Options(), sleep=pauses.append) == 0
    assert pauses == [30.0, 120.0]  # two rounds of tries, after the others were sent
    assert mailbox.delivered() == {
        "ada@example.org": 1,
        "grace@example.org": 1,
        "linus@example.org": 1,
    }
    assert [rcpts for _, rcpts, _ in mailbox.messages][-1] == ["ada@example.org"]
    assert "waiting 30 s, then trying 1 recipient(s) again" in capsys.readouterr().out


def test_a_refusal_that_does_not_end_is_reported_and_retried_by_the_next_run(
    tmp_path: Path, mailbox, capsys
) -> None:
    project(tmp_path, mailbox.port)
    mailbox.defer["ada@example.org"] = 10
    config, _ = load_config(tmp_path / "site.yaml")
    assert run(config, Options(), sleep=lambda s: None) == 1
    err = capsys.readouterr().err
    assert (
        "people.txt:2: error: ada@example.org: not sent: still refused after 3 more tries: 451 4.7.1"
        in err
    )
    assert "ada@" not in ledger(tmp_path)
    mailbox.defer.clear()
    assert run(config, Options(), sleep=lambda s: None) == 0
    assert mailbox.delivered() == {
        "ada@example.org": 1,
        "grace@example.org": 1,
        "linus@example.org": 1,
    }


def test_a_bad_address_stops_everything_before_the_first_message(tmp_path: Path, mailbox) -> None:
    config = project(tmp_path, mailbox.port)
    (tmp_path / "people.txt").write_text(
        "ada@example.org\ngrace at example.org\nlinus@exa mple.org\n"
    )
    code, _out, err = send(config)
    assert code == 2 and mailbox.messages == [] and mailbox.rcpts == 0
    assert "people.txt:2: error: 'grace at example.org' is not an email address" in err
    assert "people.txt:3: error:" in err
    assert not (tmp_path / "content" / "sent.yaml").exists()


def test_dry_run_and_a_test_send_change_no_ledger(tmp_path: Path, mailbox) -> None:
    config = project(tmp_path, mailbox.port)
    code, out, _ = send(config, "--dry-run")
    assert code == 0 and mailbox.messages == []
    assert "Would send edition 1" in out and "  grace@example.org" in out
    first = (tmp_path / "mail" / "edition-1.eml").read_bytes()
    code, out, _err = send(config, "--to", "me@example.org")
    assert code == 0 and mailbox.delivered() == {"me@example.org": 1}
    assert not (tmp_path / "content" / "sent.yaml").exists()
    assert (tmp_path / "mail" / "edition-1.eml").read_bytes() == first  # the same bytes


def test_the_password_comes_from_the_environment_only(tmp_path: Path, mailbox) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret")

    controller = Controller(
        Mailbox(), hostname="127.0.0.1", port=0, authenticator=authenticator,
        auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    try:
        config = project(tmp_path, controller.port, user="editor", password_env="NEWS_PASSWORD")
        code, _, err = send(config)
        assert code == 2 and "NEWS_PASSWORD holds no password" in err and logins == []
        os.environ["NEWS_PASSWORD"] = "s3cret"
        try:
            code, _, err = send(config)
        finally:
            del os.environ["NEWS_PASSWORD"]
        assert code == 0, err
        assert logins == [(b"editor", b"s3cret")]
        assert controller.handler.delivered() == {
            "ada@example.org": 1, "grace@example.org": 1, "linus@example.org": 1,
        }  # fmt: skip
    finally:
        controller.stop()


def test_the_pace_spaces_the_messages(tmp_path: Path, mailbox) -> None:
    project(tmp_path, mailbox.port, pace="30")
    config, _ = load_config(tmp_path / "site.yaml")
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    assert run(config, Options(), sleep=sleep, clock=lambda: now[0]) == 0
    assert waits == [2.0, 2.0] and len(mailbox.messages) == 3


def test_no_server_no_settings_no_edition_are_usage_errors(tmp_path: Path, cli) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "1_a.txt").write_text("One story.\nAnalysis — Why.\n")
    result = cli("send")
    assert result.code == 2 and "no newsletter settings" in result.err
    (tmp_path / "p").mkdir()
    with socket.socket() as probe:  # a port that nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = project(tmp_path / "p", port)
    result = cli("send", "--config", config, "7")
    assert result.code == 2 and "no edition 7 (the editions are: 1)" in result.err
    result = cli("send", "--config", config)
    assert result.code == 2 and f"cannot connect to 127.0.0.1:{port}" in result.err
    assert "nothing was sent" in result.err


def test_a_new_editions_date_must_be_recorded_first(tmp_path: Path, mailbox) -> None:
    config = project(tmp_path, mailbox.port)
    (tmp_path / "content" / "002_next.txt").write_text("A new story.\nAnalysis — Why.\n")
    code, _, err = send(config)
    assert code == 2 and "run 'digest build' first" in err and mailbox.messages == []
    assert main(["build", "--config", str(config), "-q"]) == 0
    code, out, _ = send(config)
    assert code == 0 and "edition 2" in out
