"""Commands and options. Problems are printed one per line as FILE:LINE: severity: message.

Exit codes: 0 done (warnings allowed), 1 content errors (or warnings with --strict),
2 usage errors (bad flag, missing folder, bad configuration, unwritable output),
70 an internal error (a bug in digest: please report it), 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from dataclasses import replace
from datetime import UTC, date, datetime
from gettext import NullTranslations
from pathlib import Path

from . import __version__, pipeline
from .config import DEFAULT_CONFIG, SiteConfig, load_config
from .headline import rules_for
from .model import Item, Site
from .problems import (
    ConfigErrors,
    Problem,
    UsageError,
    count_line,
    display,
    has_errors,
    printable,
)
from .progress import StageDisplay
from .reading import NotRead, read_file
from .translation import catalog, decimal
from .write import WriteError

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 70, 130
EXIT_BROKEN_PIPE = 141  # what a shell reports for a process stopped by SIGPIPE
# `digest init --publish`: init.PUBLISHERS, written out here so that every other command
# does without importing init (tests/test_startup.py holds the two equal).
PUBLISHERS = ("github", "gitlab", "none")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="digest",
        description="Build a news-digest website and feeds from item files.",
        epilog="Run 'digest COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"digest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content",
        type=Path,
        metavar="DIR",
        help="folder of item files (default: 'content' from site.yaml)",
    )
    common.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="site configuration (default: ./site.yaml if present)",
    )
    common.add_argument(
        "--taxonomy",
        type=Path,
        metavar="FILE",
        help="topics file (default: 'taxonomy' from site.yaml, else topics.yaml in the content folder)",
    )
    common.add_argument("--strict", action="store_true", help="treat warnings as errors")
    loudness = common.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also list ignored files (with eval: every disagreement)",
    )
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="print problems only, no summary line"
    )

    def command(name: str, summary: str, description: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[common], help=summary, description=description)
        sub.set_defaults(command_parser=sub)  # so that unknown options get this command's usage
        return sub

    build = command(
        "build",
        "build the site into the output folder",
        "Read the item files and write the site and its feeds.",
    )
    build.add_argument(
        "--output",
        type=Path,
        metavar="DIR",
        help="folder to write the site to (default: 'output' from site.yaml)",
    )
    _held_back_flags(build)
    check = command(
        "check",
        "read and report problems; write nothing",
        "Parse every item file and report problems without writing anything.",
    )
    check.add_argument(
        "--explain",
        action="store_true",
        help="show each item's topics with the terms and scores that gave them",
    )
    _held_back_flags(check)
    evaluate = command(
        "eval",
        "measure topic tagging against an editor's labels",
        "Tag the items and compare their topics with LABELS, a YAML file of "
        "item id: [topics]; print precision, recall and F1 per topic and overall.",
    )
    evaluate.add_argument("labels", type=Path, metavar="LABELS", help="the labels file")
    evaluate.add_argument(
        "--headlines",
        action="store_true",
        help="measure derived headlines instead: LABELS maps item id: [acceptable headlines]; "
        "print how many have the right form, how many are faithful, and the mean F1",
    )
    evaluate.add_argument(
        "--min-f1",
        type=float,
        metavar="F1",
        help="exit 1 when the overall F1 (with --headlines: the mean F1) is below this (for CI)",
    )
    serve = command(
        "serve",
        "build, serve on 127.0.0.1 and rebuild on every change",
        "Build the site into a temporary folder, serve it, watch the content, "
        "templates, site.yaml and the taxonomy, rebuild on every change and reload open pages. "
        "A build with problems shows them in the terminal and over the page, and the last good "
        "site keeps being served.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on (default: 8000; 0 picks a free one)",
    )
    serve.add_argument(
        "--future",
        action="store_true",
        help="also show editions dated later than now (drafts are always shown, marked)",
    )
    starting = commands.add_parser(
        "init",
        help="start a new digest: settings, taxonomy, an example edition",
        description="Make a project in DIR that builds as it is: a commented site.yaml with "
        "every setting, content/ with the shipped topics.yaml and an example edition, a static/ "
        "folder, a .gitignore and, with --publish, a workflow that publishes the site. An "
        "existing file is never replaced.",
    )
    starting.set_defaults(command_parser=starting)
    starting.add_argument(
        "folder", nargs="?", type=Path, default=Path("."), metavar="DIR", help="default: ."
    )
    starting.add_argument(
        "--language",
        default="en",
        metavar="TAG",
        help="the site's language (e.g. fr): written in site.yaml, with the taxonomy and "
        "example edition digest ships in it, if any (default: en)",
    )
    starting.add_argument(
        "--publish",
        choices=PUBLISHERS,
        default="none",
        help="also write a CI workflow that builds and publishes the site on GitHub Pages "
        "(.github/workflows/publish.yml) or GitLab Pages (.gitlab-ci.yml) (default: none)",
    )
    starting.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that is not empty (files already there are kept)",
    )
    starting.add_argument("-q", "--quiet", action="store_true", help="print only what was kept")
    send = command(
        "send",
        "email an edition to the newsletter's recipients, once each",
        "Email EDITION (default: the newest) through the SMTP server of site.yaml's "
        "'newsletter' to every recipient not yet in the send ledger (sent.yaml in the content "
        "folder), recording each one the server accepts. Exit 0: sent to everyone; 1: some "
        "recipients refused or not reached (run again to retry them), or content errors; "
        "2: a usage or configuration error, nothing sent.",
    )
    send.add_argument(
        "edition", nargs="?", type=int, metavar="EDITION", help="the edition's number"
    )
    send.add_argument(
        "--to", metavar="ADDRESS", help="send a test to this address only (not recorded)"
    )
    send.add_argument(
        "--dry-run",
        action="store_true",
        help="write the message file and show who would get it; send nothing",
    )
    send.add_argument(
        "--again",
        action="store_true",
        help="send even to the recipients who already received the edition",
    )
    return parser


def _held_back_flags(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--drafts",
        action="store_true",
        help="include the editions marked 'draft: true', each marked as a draft",
    )
    command.add_argument(
        "--future",
        action="store_true",
        help="include the editions dated later than now (held back until then otherwise)",
    )


def _showing(args: argparse.Namespace, now: datetime, drafts: bool = False) -> pipeline.Showing:
    return pipeline.Showing(
        now, drafts or getattr(args, "drafts", False), getattr(args, "future", False)
    )


def _port(text: str) -> int:
    # Checked here so that a bad port is a usage error (exit 2) with argparse's message.
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 0 to 65535, got {text!r}")
    return port


def _config_file(args: argparse.Namespace) -> Path | None:
    """The site configuration in use: --config, else ./site.yaml when it exists."""
    if args.config is not None:
        return Path(args.config)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def main(argv: list[str] | None = None) -> int:
    try:
        args, extra = make_parser().parse_known_args(argv)
        if extra:  # reported by the command's own parser, so its usage line is shown
            args.command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exit_:  # argparse has printed its message
        return int(exit_.code or 0)
    try:
        return _run(args)
    except KeyboardInterrupt:
        print("digest: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `digest check | head`: the reader left; not a bug
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the exit's flush does not fail again
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # a bug: one line for the editor, the traceback on request
        if os.environ.get("DIGEST_DEBUG"):
            traceback.print_exc()
        print(
            f"digest: internal error: {type(exc).__name__}: {exc} "
            "(a bug in digest; set DIGEST_DEBUG=1 to see where)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


def _run(args: argparse.Namespace) -> int:
    if args.command == "init":  # before site.yaml is looked for: there is none yet
        return _run_init(args)
    started = time.perf_counter()
    config, problems = load_config(args.config, _overridden(args))
    if problems:
        _print_problems(problems)
        return EXIT_USAGE
    config = _with_flags(config, args)
    if args.command == "serve":
        return _run_serve(args, config)
    if args.command == "send":
        return _run_send(args, config)
    try:
        if args.command == "build":
            with StageDisplay(enabled=not args.quiet and sys.stderr.isatty()) as display_stage:
                result = pipeline.build(
                    config,
                    strict=args.strict,
                    stage=display_stage,
                    config_file=_config_file(args),
                    showing=_showing(args, datetime.now(UTC)),
                )
        else:
            result = pipeline.check(config, _showing(args, datetime.now(UTC)))
        if args.command == "eval":
            return _run_eval(args, result)
    except ConfigErrors as exc:
        _print_problems(exc.problems)
        return EXIT_USAGE
    except (UsageError, WriteError) as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    if args.verbose:
        for line in result.ignored:
            print(line)
        for held in result.held:
            print(held.describe())
    if getattr(args, "explain", False):
        print("\n".join(_explain(result.site, result.tagging)))
    if args.command == "check" or (args.command == "build" and args.verbose):
        for line in _repeat_notes(result, config.content, config.language):
            print(line, file=sys.stderr)
    if args.command == "check" and result.tagging:
        for item in _in_file_order(result.site):
            if not item.topics and item.duplicate_of is None:
                where = f"{display(config.content / item.source.file)}:{item.source.line}"
                note = catalog(config.language).gettext("no topic fits this item")
                print(f"{where}: note: {note}", file=sys.stderr)
    _print_problems(result.problems)
    if has_errors(result.problems, args.strict):
        if args.command == "build":
            unchanged = catalog(config.language).gettext(
                "nothing was written; the previous site is unchanged"
            )
            print(f"digest: {unchanged}", file=sys.stderr)
        return EXIT_CONTENT
    if not args.quiet:
        for note in result.notes:
            print(f"digest: {note}")
        if args.verbose and result.timings:
            steps = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in result.timings.items())
            print(f"{result.rendered} of {len(result.site.pages)} pages rendered; {steps}")
        print(_summary(args.command, result, config, time.perf_counter() - started))
    return EXIT_OK


def _run_serve(args: argparse.Namespace, config: SiteConfig) -> int:
    if not config.content.is_dir():  # there would be nothing to watch
        what = "is not a folder" if config.content.exists() else "does not exist"
        print(f"digest: error: content folder '{display(config.content)}' {what}", file=sys.stderr)
        return EXIT_USAGE
    config_file = _config_file(args)

    def build(preview: SiteConfig) -> list[str]:
        """One preview build: the problem lines that stopped it, or none. site.yaml is read
        again, so that an edit to it counts; a bug is left to serve.run to show."""
        started = time.perf_counter()
        fresh, problems = load_config(args.config, _overridden(args))
        if problems:
            _print_problems(problems)
            return [str(p) for p in problems]
        fresh = replace(
            _with_flags(fresh, args),
            output=preview.output,
            base_url=preview.base_url,
            cache=preview.cache,
        )
        try:
            # A preview shows the drafts, marked, so that the editor sees them as published.
            showing = _showing(args, datetime.now(UTC), drafts=True)
            result = pipeline.build(
                fresh, strict=args.strict, config_file=config_file, showing=showing
            )
        except ConfigErrors as exc:
            _print_problems(exc.problems)
            return [str(p) for p in exc.problems]
        except (UsageError, WriteError) as exc:
            print(f"digest: error: {exc}", file=sys.stderr)
            return [f"error: {exc}"]
        _print_problems(result.problems)
        if has_errors(result.problems, args.strict):
            return [str(p) for p in result.problems]
        if not args.quiet:
            if args.verbose:
                for held in result.held:
                    print(held.describe())
            print(_summary("build", result, fresh, time.perf_counter() - started), flush=True)
        return []

    def say(line: str) -> None:
        print(line, flush=True)

    from . import serve  # here, not at the top: a build does not pay for the HTTP server

    try:
        serve.run(config, config_file, args.host, args.port, build, say)
    except UsageError as exc:  # the address cannot be served on
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the temporary folder or the watcher could not be set up
        print(f"digest: error: cannot serve: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _run_init(args: argparse.Namespace) -> int:
    from . import init  # here, not at the top: only init needs it

    try:
        made = init.init(args.folder, args.publish, args.force, date.today(), args.language)
    except UsageError as exc:
        print(f"digest: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for path in made.kept:
        print(f"digest: kept {display(path)} (already there)")
    if not args.quiet:
        for path in made.written:
            print(f"wrote {display(path)}")
        where = "" if args.folder == Path(".") else f"cd {display(args.folder)} && "
        print(f"Started a digest: {where}digest serve to preview it, digest build to build it")
    return EXIT_OK


def _run_send(args: argparse.Namespace, config: SiteConfig) -> int:
    from . import send

    options = send.Options(
        edition=args.edition,
        to=args.to,
        dry_run=args.dry_run,
        again=args.again,
        verbose=args.verbose,
        quiet=args.quiet,
        strict=args.strict,
    )
    return send.run(config, options)


def _run_eval(args: argparse.Namespace, result: pipeline.Result) -> int:
    from . import evaluate  # here, not at the top: only eval needs it

    if args.headlines:
        return _run_headline_eval(args, result)
    topics = list(result.site.topic_names)
    if not topics:
        print("digest: error: no topics file, so nothing to evaluate", file=sys.stderr)
        return EXIT_USAGE
    text = _labels_text(args.labels)
    if text is None:
        return EXIT_USAGE
    labels, problems = evaluate.parse_labels(text, display(args.labels), topics)
    if problems:
        _print_problems(problems)
        return EXIT_USAGE
    report = evaluate.evaluate(_in_file_order(result.site), labels, topics)
    print("\n".join(evaluate.format_report(report, details=args.verbose)))
    if args.min_f1 is not None and report.overall.f1 < args.min_f1:
        print(f"digest: overall F1 {report.overall.f1:.3f} is below {args.min_f1}", file=sys.stderr)
        return EXIT_CONTENT
    return EXIT_OK


def _labels_text(path: Path) -> str | None:
    """The labels file's text, or None after saying why it cannot be read."""
    try:
        return read_file(path).decode("utf-8-sig")
    except (OSError, NotRead, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        print(f"digest: error: cannot read '{display(path)}': {reason}", file=sys.stderr)
        return None


def _run_headline_eval(args: argparse.Namespace, result: pipeline.Result) -> int:
    from . import evaluate

    text = _labels_text(args.labels)
    if text is None:
        return EXIT_USAGE
    labels, problems = evaluate.parse_headline_labels(text, display(args.labels))
    if problems:
        _print_problems(problems)
        return EXIT_USAGE
    report = evaluate.evaluate_headlines(
        _in_file_order(result.site),
        labels,
        *rules_for(result.site.language),
        language=result.site.language,
    )
    print("\n".join(evaluate.format_headline_report(report, details=args.verbose)))
    if args.min_f1 is not None and report.mean_f1 < args.min_f1:
        print(f"digest: mean F1 {report.mean_f1:.3f} is below {args.min_f1}", file=sys.stderr)
        return EXIT_CONTENT
    return EXIT_OK


def _overridden(args: argparse.Namespace) -> set[str]:
    """The settings the command line gives, so that site.yaml's are not looked for."""
    flags = {"content": args.content, "taxonomy": args.taxonomy}
    flags["output"] = getattr(args, "output", None)
    return {name for name, value in flags.items() if value is not None}


def _with_flags(config: SiteConfig, args: argparse.Namespace) -> SiteConfig:
    if args.content is not None:
        config = replace(config, content=args.content)
    if getattr(args, "output", None) is not None:
        config = replace(config, output=args.output)
    if args.taxonomy is not None:
        config = replace(config, taxonomy=args.taxonomy)
    return config


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"digest: {count_line(problems)}", file=sys.stderr)


def _summary(command: str, result: pipeline.Result, config: SiteConfig, seconds: float) -> str:
    """The last line of a build or a check, in the site's language. Counts are written
    as plain digits in every language, for the scripts that read them."""
    site = result.site
    messages = catalog(config.language)
    items = messages.ngettext("%(n)s item", "%(n)s items", len(site.all_items)) % {
        "n": len(site.all_items)
    }
    grouped = len(site.all_items) - len(site.items)
    if grouped:
        items = messages.ngettext(
            "%(items)s (%(n)s grouped with an earlier report)",
            "%(items)s (%(n)s grouped with an earlier report)",
            grouped,
        ) % {"items": items, "n": grouped}
    editions = (
        messages.ngettext("%(n)s edition", "%(n)s editions", len(site.editions))
        % {"n": len(site.editions)}
    ) + _held_back(result, messages)
    if command == "build":
        return messages.gettext(
            "Built %(items)s in %(editions)s into %(folder)s/ (%(files)s files, %(seconds)s s)"
        ) % {
            "items": items,
            "editions": editions,
            "folder": display(config.output.absolute()),
            "files": result.files,
            "seconds": decimal(seconds, config.language),
        }
    topics = messages.ngettext("%(n)s topic", "%(n)s topics", len(site.topics)) % {
        "n": len(site.topics)
    }
    errors = sum(p.severity == "error" for p in result.problems)
    warnings = len(result.problems) - errors
    problems = ", ".join(
        [
            messages.ngettext("%(n)s error", "%(n)s errors", errors) % {"n": errors},
            messages.ngettext("%(n)s warning", "%(n)s warnings", warnings) % {"n": warnings},
        ]
    )
    return messages.gettext("Checked %(items)s in %(editions)s, %(topics)s: %(problems)s") % {
        "items": items,
        "editions": editions,
        "topics": topics,
        "problems": problems,
    }


def _held_back(result: pipeline.Result, messages: NullTranslations) -> str:
    """What the summary line says of drafts and scheduled editions, if any."""

    def drafts_of(n: int) -> str:
        return messages.ngettext("%(n)s draft", "%(n)s drafts", n) % {"n": n}

    parts = []
    if result.drafts:
        parts.append(messages.gettext("%(drafts)s included") % {"drafts": drafts_of(result.drafts)})
    if result.held:
        drafts = sum(1 for held in result.held if not held.scheduled)
        dates = sorted(held.edition.date for held in result.held if held.scheduled)
        kinds = [drafts_of(drafts)] if drafts else []
        if dates:
            kinds.append(
                messages.ngettext(
                    "%(n)s scheduled for %(date)s",
                    "%(n)s scheduled, the first for %(date)s",
                    len(dates),
                )
                % {"n": len(dates), "date": dates[0].date().isoformat()}
            )
        parts.append(
            messages.ngettext(
                "%(n)s edition held back: %(kinds)s",
                "%(n)s editions held back: %(kinds)s",
                len(result.held),
            )
            % {"n": len(result.held), "kinds": ", ".join(kinds)}
        )
    return f" ({'; '.join(parts)})" if parts else ""


def _repeat_notes(result: pipeline.Result, content: Path, language: str = "en") -> list[str]:
    """A note at each item grouped as a repeat: the report it repeats, and how alike."""
    by_id = {item.id: item for item in result.site.all_items}
    messages = catalog(language)

    def where(item: Item) -> str:
        return f"{display(content / item.source.file)}:{item.source.line}"

    lines = []
    for item in _in_file_order(result.site):
        grouped = result.repeats.get(item.id)
        if grouped is None or item.duplicate_of is None:
            continue
        first, match = by_id[grouped.first], by_id[grouped.match]
        alike = messages.gettext("similarity %(value)s") % {
            "value": decimal(grouped.similarity, language)
        }
        if match is not first:
            alike = messages.gettext("%(similarity)s with its repeat %(where)s") % {
                "similarity": alike,
                "where": where(match),
            }
        # The severity word stays "note" in every language: FILE:LINE: severity: is a format.
        note = messages.gettext(
            'grouped as a repeat of %(first)s "%(title)s" (%(alike)s); mark it "Not a repeat" '
            "to list it on its own"
        ) % {"first": where(first), "title": first.title, "alike": alike}
        lines.append(printable(f"{where(item)}: note: {note}"))
    return lines


def _in_file_order(site: Site) -> list[Item]:
    return sorted(site.all_items, key=lambda item: (item.edition, item.position))


def _explain(site: Site, tagging: bool) -> list[str]:
    """Per item: the topics it got, and every topic that scored, with the terms that did it."""
    lines = []
    for item in _in_file_order(site):  # as the editor reads them
        got = ", ".join(item.topics) or "no topic"
        lines.append(f"{item.source.file}:{item.source.line}: {item.title}")
        lines.append(
            f"    topics: {got}"
            + (f"; same story as {item.duplicate_of}" if item.duplicate_of else "")
        )
        for evidence in item.evidence:
            mark = "+" if evidence.topic in item.topics else "-"
            found = [f"summary: {', '.join(evidence.summary)}"] if evidence.summary else []
            found += [f"analysis: {', '.join(evidence.analysis)}"] if evidence.analysis else []
            found += [f"against: {', '.join(evidence.against)}"] if evidence.against else []
            lines.append(f"    {mark} {evidence.topic} {evidence.score:g} ({'; '.join(found)})")
    if not tagging:
        lines.append("(no topics file: items are not tagged)")
    return lines
