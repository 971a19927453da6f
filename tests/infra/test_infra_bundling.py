"""The local (no Docker) layer bundler, on a tiny requirement set; and the locked layer contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.bundling import (
    NO_DOCKER,
    RUNTIME_PROVIDED,
    PythonLayerBundler,
    domain_layer_requirements,
    extra_layer_requirements,
    locked_requirements,
)


def _names(pins: list[str]) -> set[str]:
    return {pin.split("==")[0].lower() for pin in pins}


def test_domain_layer_is_the_locked_runtime_closure_without_boto_or_chalice_cli() -> None:
    pins = domain_layer_requirements()
    assert all("==" in pin for pin in pins)
    names = _names(pins)
    assert {"pydantic", "pynamodb", "aws-lambda-powertools", "chalice"} <= names
    assert not names & set(RUNTIME_PROVIDED)
    # Chalice comes without the dependencies of its CLI and deployer.
    assert not names & {"click", "pyyaml", "inquirer", "pip", "wheel"}


def test_analytics_layer_is_duckdb_without_arrow_and_nothing_the_domain_layer_has() -> None:
    pins = extra_layer_requirements("analytics")
    assert _names(pins) == {"duckdb"}
    assert not _names(pins) & _names(domain_layer_requirements())


def test_fingerprint_follows_requirements_and_package_sources(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 1\n")
    first = PythonLayerBundler(["wrapt==1"], [package]).fingerprint()
    assert PythonLayerBundler(["wrapt==1"], [package]).fingerprint() == first
    assert PythonLayerBundler(["wrapt==2"], [package]).fingerprint() != first
    (package / "__init__.py").write_text("VALUE = 2\n")
    assert PythonLayerBundler(["wrapt==1"], [package]).fingerprint() != first


@pytest.mark.timeout(180)
def test_bundler_installs_lambda_wheels_and_copies_packages(tmp_path: Path) -> None:
    """Reaches PyPI: one small wheel with a C extension shows the platform and Python version used."""
    package = tmp_path / "src" / "mypkg"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"")
    output = tmp_path / "out"
    output.mkdir()
    bundler = PythonLayerBundler([locked_requirements()["wrapt"]], [package], strip=["wrapt-stubs", "wrapt/*.c"])

    assert bundler.try_bundle(str(output), image=NO_DOCKER) is True

    layer = output / "python"
    extensions = [path.name for path in (layer / "wrapt").glob("*.so")]
    assert extensions
    assert all("cpython-312-aarch64-linux-gnu" in name for name in extensions), extensions
    assert (layer / "mypkg" / "__init__.py").is_file()
    assert not (layer / "mypkg" / "__pycache__").exists()
    assert not (layer / "wrapt-stubs").exists()
    assert not list((layer / "wrapt").glob("*.c"))
    assert not list(layer.rglob("*.pyc"))
