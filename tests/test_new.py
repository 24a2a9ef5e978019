"""``svcforge new`` checks its answers before copier runs (one line each, exit
2, nothing written) and says where its template comes from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from generator import templatesrc
from generator.cli import main
from generator.scaffold import FLAGS, QUESTIONS, check_answers
from generator.templatesrc import template_source

REPO = Path(__file__).resolve().parent.parent
RULE = "lowercase letters, digits and single dashes, starting with a letter"


def new(
    capsys: pytest.CaptureFixture[str], cwd: Path, *argv: str
) -> tuple[int, str, str]:
    capsys.readouterr()
    before = sorted(cwd.rglob("*"))
    code = main(["new", *argv])
    out, err = capsys.readouterr()
    if code != 0:
        assert sorted(cwd.rglob("*")) == before, "a refused new wrote files"
    return code, out, err


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_folder_name_must_be_a_service_name(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``svcforge new order_router`` used to make a service named my-service."""
    code, out, err = new(capsys, empty, "order_router")
    assert (code, out) == (2, "")
    assert err == (
        f"svcforge: service name 'order_router': {RULE} (the service is named "
        "after its folder)\n"
        "  hint: svcforge new order-router, or keep the folder and name the "
        "service: svcforge new order_router -d service_name=order-router\n"
    )


def test_bad_name_exits_2_with_the_rule(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = new(capsys, empty, "Bad_Name")
    assert code == 2
    assert err.startswith(f"svcforge: service name 'Bad_Name': {RULE}")
    code, _, err = new(capsys, empty, "x", "-d", "service_name=Bad_Name")
    assert code == 2
    assert err == (
        f"svcforge: service name 'Bad_Name': {RULE}\n  hint: -d service_name=bad-name\n"
    )
    code, _, err = new(capsys, empty, "9lives")
    assert code == 2 and "hint: svcforge new lives," in err


def test_every_bad_answer_is_reported_at_once(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = new(
        capsys,
        empty,
        "svc",
        "-d",
        "use_kafak=true",
        "-d",
        "use_redis=maybe",
        "-d",
        "package_name=class",
    )
    assert code == 2
    assert err == (
        "svcforge: use_kafak: no such question; did you mean 'use_kafka'? the "
        "questions are service_name, package_name, description, use_kafka, "
        "use_redis, use_postgres\n"
        "svcforge: use_redis='maybe': expected true or false\n"
        "svcforge: package name 'class': a Python identifier in lowercase, not a "
        "keyword\n"
    )


def test_a_keyword_service_gets_a_package_hint(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = new(capsys, empty, "import")
    assert code == 2
    assert err == (
        "svcforge: package name 'import': a Python identifier in lowercase, not a "
        "keyword\n  hint: -d package_name=import_svc\n"
    )


def test_answers_become_copier_data() -> None:
    assert check_answers(
        Path("pricing"), {"use_kafka": "No", "use_redis": "1", "description": "x"}
    ) == {
        "use_kafka": False,
        "use_redis": True,
        "description": "x",
        "service_name": "pricing",
    }


def test_the_questions_are_copier_yml_s() -> None:
    spec = yaml.safe_load((REPO / "copier.yml").read_text())
    asked = [k for k in spec if not k.startswith("_")]
    assert asked == [*QUESTIONS, *FLAGS]
    assert {k for k in FLAGS if spec[k]["type"] == "bool"} == set(FLAGS)


def test_a_template_that_makes_no_service_is_refused(
    empty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (empty / "tpl").mkdir()
    code, out, err = new(capsys, empty, "svc", "--template", str(empty / "tpl"))
    assert (code, out) == (2, "")
    assert err == f"svcforge: {empty / 'tpl'}: no svcforge service template there\n"
    assert not (empty / "svc").exists()
    code, _, err = new(capsys, empty, "svc", "--template", str(empty / "nowhere"))
    assert code == 2 and err.startswith("svcforge: copier failed: ")
    assert not (empty / "svc").exists()


def test_template_source_of_a_checkout_is_the_checkout() -> None:
    """The test suite runs from a git checkout: services made from it can
    ``copier update``."""
    assert template_source() == templatesrc.TemplateSource(str(REPO))


def test_template_source_of_a_git_install_is_the_url_and_commit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    packaged = tmp_path / "_data"
    packaged.mkdir()
    monkeypatch.setattr(templatesrc, "data_root", lambda: packaged)
    origin: dict[str, object] = {
        "url": REPO.as_uri(),
        "vcs_info": {"vcs": "git", "commit_id": "0" * 40},
    }
    monkeypatch.setattr(templatesrc, "_direct_url", lambda: origin)
    assert template_source() == templatesrc.TemplateSource(
        f"git+{REPO.as_uri()}", ref="0" * 40
    )
    origin["url"] = (tmp_path / "gone").as_uri()
    assert template_source().problem == (
        f"svcforge's git repository {origin['url']} cannot be reached"
    )
    origin.pop("vcs_info")
    origin["archive_info"] = {}
    origin["url"] = "file:///wheels/svcforge-0.1.0-py3-none-any.whl"
    source = template_source()
    assert source.path == str(packaged)
    assert source.problem == (
        "svcforge was installed from an archive "
        "(file:///wheels/svcforge-0.1.0-py3-none-any.whl), not from git"
    )
    monkeypatch.setattr(templatesrc, "_direct_url", lambda: json.loads("{}"))
    assert template_source().problem == (
        "svcforge was installed from a package index, not from git"
    )
    plain = tmp_path / "plain"
    plain.mkdir()
    assert template_source(str(plain)).problem == f"{plain} is no git repository"
