"""One distribution: the runtime by default, the generator behind the [gen] extra,
and a wheel that carries its templates."""

from __future__ import annotations

import email
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
    )
    (path,) = out.glob("svcforge-*.whl")
    return path


def test_runtime_install_pulls_only_runtime_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.message_from_bytes(zf.read(meta_name))
    requires = meta.get_all("Requires-Dist") or []
    base = sorted(
        r.split(">")[0].split("<")[0] for r in requires if "extra ==" not in r
    )
    # pydantic-settings: generated Settings; email-validator: JSON Schema "email";
    # jsonschema-rs: the exact validator of JSON Schema messages.
    assert base == [
        "email-validator",
        "fastavro",
        "jsonschema-rs",
        "pydantic",
        "pydantic-settings",
    ]
    gen = {
        r.split(">")[0]
        for r in requires
        if "extra == 'gen'" in r or 'extra == "gen"' in r
    }
    assert {"jinja2", "copier"} <= gen


def test_wheel_carries_templates_and_type_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "generator/_data/copier.yml" in names
    assert "generator/_data/templates/emit/models.py.j2" in names
    assert "generator/_data/templates/service/pyproject.toml.jinja" in names
    assert {"svcforge/py.typed", "generator/py.typed"} <= names
    assert not any(
        n.startswith(("tests/", "bench/", "generated-examples/")) for n in names
    )


@pytest.mark.slow
def test_installed_wheel_creates_a_service(wheel: Path, tmp_path: Path) -> None:
    """From a wheel (no source checkout), `svcforge new` uses the packaged template."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    # Borrow this environment's dependencies (copier, pydantic, ...) without its
    # editable svcforge: paths listed in a .pth file come after the venv's own.
    site = env_dir / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    parents = [p for p in sys.path if p.endswith("site-packages")]
    (site / "site-packages" / "_parent_env.pth").write_text("\n".join(parents) + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "--quiet",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        env=env,
    )
    made = subprocess.run(
        [str(env_dir / "bin" / "svcforge"), "new", "wheel-svc"],
        cwd=tmp_path,
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    svc = tmp_path / "wheel-svc"
    assert (svc / "src/wheel_svc/generated/codecs.py").is_file()
    # The wheel's template has no git history: the service cannot be
    # updated, and svcforge new says so and how to get a template that can.
    assert made.stderr.endswith(
        "svcforge new: warning: `copier update` cannot update this service: "
        f"svcforge was installed from an archive ({wheel.resolve().as_uri()}), "
        "not from git\n"
        "  hint: install svcforge from git (pip install 'svcforge[gen] @ "
        "git+<URL>') or from a clone in editable mode (pip install -e "
        "'<clone>[gen]'), or pass --template <git URL or clone of svcforge> to "
        "svcforge new\n"
    ), made.stderr
    assert "next steps:" in made.stdout
    where = subprocess.run(
        [str(py), "-c", "import generator; print(generator.__file__)"],
        cwd=tmp_path,
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    assert str(env_dir) in where.stdout
