"""Lambda layers built on this machine, never in Docker.

A layer is a `python/` directory: pinned wheels for Lambda's platform (Python 3.12 on arm64) plus, for
the domain layer, the govrate package itself. The pins come from `uv.lock`, so a layer holds exactly
the versions the tests ran against.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

REPO_ROOT = Path(__file__).resolve().parent.parent

# What `pip install --target` needs to pick wheels for Lambda instead of for the build host. Lambda's
# Python 3.12 runs on Amazon Linux 2023 (glibc 2.34), so manylinux_2_28 wheels are fine as well.
LAMBDA_WHEEL_ARGS: tuple[str, ...] = (
    "--platform=manylinux2014_aarch64",
    "--platform=manylinux_2_28_aarch64",
    "--implementation=cp",
    "--python-version=3.12",
    "--only-binary=:all:",
)

# The Lambda Python runtime ships these. A copy in the layer would shadow the runtime's (and freeze it
# at our pin, without the runtime's updates) for some 20 MB; the AWS SDK is the runtime's to provide.
RUNTIME_PROVIDED: tuple[str, ...] = ("boto3", "botocore", "s3transfer")

# Lambda imports only `chalice.app`; the rest of Chalice (its CLI and deployer) and the dependencies
# those need stay out of the layer.
WITHOUT_DEPENDENCIES: tuple[str, ...] = ("chalice",)

# Never Docker: if local bundling could not run, synthesis must fail, not pull this image.
NO_DOCKER = DockerImage.from_registry("govrate/local-bundling-only")


# Where `make install` puts uv on a machine that has none on its PATH.
PROJECT_UV = REPO_ROOT / ".tools" / "bin" / "uv"


def _uv() -> str:
    # `uv run` exports its own path as UV; else PATH, else the project's own (a plain `.venv/bin/python`).
    uv = os.environ.get("UV") or shutil.which("uv") or (str(PROJECT_UV) if PROJECT_UV.exists() else None)
    if not uv:
        raise RuntimeError("uv is needed to read the locked layer requirements: run `make install` first")
    return uv


def locked_requirements(*, extra: str | None = None, prune: Sequence[str] = ()) -> dict[str, str]:
    """The pinned runtime requirements from uv.lock, by package name: `{"pydantic": "pydantic==2.9.2"}`.

    `prune` drops a package and whatever only it needed.
    """
    command = [_uv(), "export", "--frozen", "--no-dev", "--no-hashes", "--no-header", "--no-annotate"]
    command += ["--no-emit-project", "--format=requirements.txt"]
    if extra:
        command.append(f"--extra={extra}")
    command += [f"--prune={name}" for name in prune]
    exported = subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True, text=True).stdout  # noqa: S603
    lines = (line.strip() for line in exported.splitlines())
    pins = [line for line in lines if line and not line.startswith(("#", "-"))]
    return {pin.split("==", 1)[0].strip().lower(): pin for pin in pins}


def domain_layer_requirements() -> list[str]:
    """[project].dependencies with their closure, minus what the runtime provides; Chalice without its deps."""
    pins = locked_requirements(prune=(*RUNTIME_PROVIDED, *WITHOUT_DEPENDENCIES))
    everything = locked_requirements()
    return sorted([*pins.values(), *(everything[name] for name in WITHOUT_DEPENDENCIES)])


def extra_layer_requirements(extra: str) -> list[str]:
    """What the optional-dependency group `extra` adds on top of the domain layer."""
    base = locked_requirements(prune=(*RUNTIME_PROVIDED, *WITHOUT_DEPENDENCIES))
    with_extra = locked_requirements(extra=extra, prune=(*RUNTIME_PROVIDED, *WITHOUT_DEPENDENCIES))
    return sorted(pin for name, pin in with_extra.items() if name not in base)


@jsii.implements(ILocalBundling)
class PythonLayerBundler:
    """Installs pinned wheels for Lambda's platform into `python/` and copies local packages next to them.

    Every requirement must be pinned with its whole closure (as `uv export` writes them), since pip
    runs with `--no-deps`: pip resolving for a foreign platform could otherwise pull a different set.
    """

    def __init__(
        self,
        requirements: Sequence[str],
        packages: Sequence[Path] = (),
        strip: Sequence[str] = (),
    ) -> None:
        self.requirements = tuple(requirements)
        self.packages = tuple(packages)
        # Glob patterns under python/ that the functions never import (tests, C headers, Cython sources).
        self.strip = tuple(strip)

    def fingerprint(self) -> str:
        """Changes whenever the layer's content would: the pins, the install flags, the package sources."""
        digest = hashlib.sha256()
        recipe = [self.requirements, LAMBDA_WHEEL_ARGS, self.strip, [p.name for p in self.packages]]
        digest.update(json.dumps(recipe).encode())
        for package in self.packages:
            for source in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                digest.update(source.relative_to(package).as_posix().encode())
                digest.update(source.read_bytes())
        return digest.hexdigest()

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        target = Path(output_dir) / "python"
        if self.requirements:
            self._pip_install(target)
        for package in self.packages:
            shutil.copytree(package, target / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        # What pip installs for a host, not for an import: console scripts (with the build host's
        # interpreter in their shebang) and data files such as man pages.
        for host_only in ("bin", "share"):
            shutil.rmtree(target / host_only, ignore_errors=True)
        for pattern in self.strip:
            for match in sorted(target.glob(pattern), reverse=True):
                if match.is_dir():
                    shutil.rmtree(match)
                else:
                    match.unlink(missing_ok=True)
        return True

    def _pip_install(self, target: Path) -> None:
        with tempfile.TemporaryDirectory() as scratch:
            requirements_file = Path(scratch) / "requirements.txt"
            requirements_file.write_text("\n".join(self.requirements) + "\n")
            command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            # --no-compile: the host's .pyc files would be for its own Python version, not Lambda's.
            command += ["--no-deps", "--no-compile", *LAMBDA_WHEEL_ARGS, f"--target={target}"]
            command += [f"--requirement={requirements_file}"]
            subprocess.run(command, check=True)  # noqa: S603

    def code(self) -> lambda_.Code:
        """The layer asset; its hash is the recipe's, so an unchanged layer is neither rebuilt nor redeployed."""
        return lambda_.Code.from_asset(
            # Only Docker would mount this; the local bundler reads its own inputs.
            str(REPO_ROOT / "layers"),
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=self.fingerprint(),
            bundling=BundlingOptions(image=NO_DOCKER, local=self),
        )
