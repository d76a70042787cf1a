"""`digest init`: a new project that builds, serves and checks cleanly as it is."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path

import yaml

from . import __version__
from .config import NEWSLETTER_OPTIONS, OPTIONS, SiteConfig
from .problems import UsageError, display
from .words import primary

# The registry's name for digest ("digest" there is an unrelated project); the import
# package and the command are still `digest`.
DISTRIBUTION = "digest-ssg"
PUBLISHERS = ("github", "gitlab", "none")
EXAMPLE_EDITION = "content/001_example.txt"
WORKFLOWS = {
    "github": (".github/workflows/publish.yml", "github_publish.yml"),
    "gitlab": (".gitlab-ci.yml", "gitlab-ci.yml"),
}

# Only these two are set: everything else is shown commented out at its default, so the
# file says what the defaults are without pinning them.
WRITTEN = ("title", "base_url")
# What the commented-out line shows for a setting whose default is "none": an example
# that the setting accepts (tests/test_init.py checks each one).
EXAMPLES: dict[str, object] = {
    "taxonomy": "content/topics.yaml",
    "feed_icon": "icon.png",
    "templates": "templates",
    "signup": "https://example.org/subscribe",
    "share_image": "images/share.png",
}
NEWSLETTER_EXAMPLES: dict[str, object] = {
    "from": "Digest <digest@example.org>",
    "host": "smtp.example.org",
    "port": 587,
    "security": "starttls",
    "user": "digest@example.org",
    "password_env": "DIGEST_SMTP_PASSWORD",
    "reply_to": "editor@example.org",
    "subject": "{title}",
    "recipients": ["readers@lists.example.org"],
    "recipients_file": "recipients.txt",
    "unsubscribe": ["https://example.org/unsubscribe"],
    "pace": 30,
    "messages": "mail",
}
WIDTH = 88


@dataclass(frozen=True)
class Made:
    """What `digest init` did: the files it wrote, and those it found and left alone."""

    written: tuple[Path, ...]
    kept: tuple[Path, ...]


def site_yaml(language: str = "en") -> str:
    """site.yaml with every setting, its meaning and its default, from config.OPTIONS;
    `language` is written as set when it is not the default."""
    defaults = {f.name: f.default for f in fields(SiteConfig)}
    defaults["language"] = language
    written = WRITTEN + (("language",) if language != SiteConfig.language else ())
    lines = [
        "# The settings of this digest. Every setting is listed with its meaning; those",
        "# commented out (#) are at their default: remove the # to change one.",
    ]
    for key, option in OPTIONS.items():
        lines.append("")
        lines += _comment(option.doc)
        if key == "newsletter":
            lines += _newsletter_lines()
            continue
        value = defaults[key]
        if value is None:  # no default value to show: an example, said to be one
            lines.append("# (not set by default; for example:)")
            value = EXAMPLES[key]
        shown = _setting(key, value)
        lines.append(shown if key in written else "# " + shown)
    return "\n".join(lines) + "\n"


def _newsletter_lines() -> list[str]:
    lines = ["# newsletter:"]
    for key, option in NEWSLETTER_OPTIONS.items():
        lines += ["#   # " + line for line in _wrap(option.doc, WIDTH - 6)]
        lines.append("#   " + _setting(key, NEWSLETTER_EXAMPLES[key]))
    return lines


def _comment(text: str) -> list[str]:
    return ["# " + line for line in _wrap(text, WIDTH - 2)]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)


def _setting(key: str, value: object) -> str:
    plain = str(value) if isinstance(value, Path) else value
    dumped = yaml.safe_dump({key: plain}, default_flow_style=True, allow_unicode=True, width=1000)
    return dumped.strip().removeprefix("{").removesuffix("}")


def project_files(publish: str, today: date, language: str = "en") -> dict[str, bytes]:
    """Each file of a new project (path relative to its folder, '/'-separated) and its bytes:
    the taxonomy and the example edition in the site's language when digest has them, in
    English otherwise."""
    requirement = f"{DISTRIBUTION}=={__version__}"
    example = f"example_edition.{primary(language)}.txt"
    if not (skeleton_folder() / example).is_file():
        example = "example_edition.txt"
    files = {
        "site.yaml": site_yaml(language),
        "content/topics.yaml": shipped_taxonomy(language).read_text("utf-8"),
        EXAMPLE_EDITION: _skeleton(example).replace("{date}", today.isoformat()),
        # An empty folder is not kept by git: this file keeps static/ in the repository.
        "static/.gitkeep": "",
        ".gitignore": _skeleton("gitignore.txt"),
    }
    if publish in WORKFLOWS:
        path, source = WORKFLOWS[publish]
        files[path] = _skeleton(source).replace("{requirement}", requirement)
    return {path: text.encode("utf-8") for path, text in files.items()}


def skeleton_folder() -> Path:
    return Path(__file__).resolve().parent / "skeleton"


def _skeleton(name: str) -> str:
    return (skeleton_folder() / name).read_text("utf-8")


def shipped_taxonomy(language: str = "en") -> Path:
    """The topics file digest ships for a language (English when it has none for it): the
    installed copy, or the checkout's."""
    package = Path(__file__).resolve().parent
    # pyproject.toml installs the checkout's taxonomies/ as digest/taxonomies/ ...
    name = f"{primary(language)}.yaml"
    for folder in (package / "taxonomies", package.parent / "taxonomies"):
        if primary(language) != "en" and (folder / name).is_file():
            return folder / name
    # ... and the checkout's content/topics.yaml, the sample's, as digest/shipped/.
    installed = package / "shipped" / "topics.yaml"
    return installed if installed.is_file() else package.parent / "content" / "topics.yaml"


def init(folder: Path, publish: str, force: bool, today: date, language: str = "en") -> Made:
    """Write a new project into `folder`: refused if it holds anything, unless `force`;
    even then, a file already there is never replaced."""
    if publish not in PUBLISHERS:
        raise UsageError(f"--publish takes {', '.join(PUBLISHERS)}, not {publish!r}")
    try:
        language = str(OPTIONS["language"].check(language))
    except ValueError as exc:
        raise UsageError(f"--language: {exc}") from None
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"'{display(folder)}' is a file, not a folder")
    if not force and folder.is_dir() and any(folder.iterdir()):
        raise UsageError(
            f"'{display(folder)}' is not empty; use --force to add the project's files to "
            "it (no file already there is replaced)"
        )
    written: list[Path] = []
    kept: list[Path] = []
    for relative, data in project_files(publish, today, language).items():
        path = folder / relative
        if os.path.lexists(path):
            kept.append(path)
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # a file where a folder should be, or no permission
            raise UsageError(
                f"cannot make the folder {display(path.parent)}: {exc.strerror or exc}"
            ) from None
        try:
            # "x": created here or not at all, so a file that appeared meanwhile is kept.
            with path.open("xb") as out:
                out.write(data)
        except FileExistsError:
            kept.append(path)
            continue
        except OSError as exc:
            raise UsageError(f"cannot write {display(path)}: {exc.strerror or exc}") from None
        written.append(path)
    return Made(tuple(written), tuple(kept))
