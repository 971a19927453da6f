"""Every function with its layers fits Lambda's limit of 250 MB unzipped (reaches PyPI for the wheels)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.bundling import NO_DOCKER, REPO_ROOT, PythonLayerBundler, domain_layer_requirements, extra_layer_requirements
from infra.http_apps import FUNCTIONS_DIR
from tests.infra.conftest import Synthesized

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


def _size(directory: Path) -> int:
    return sum(
        path.stat().st_size for path in directory.rglob("*") if path.is_file() and "__pycache__" not in path.parts
    )


@pytest.mark.timeout(900)
def test_every_function_and_its_layers_fit_250_mb_unzipped(synth: Synthesized, tmp_path: Path) -> None:
    layers = {
        "domain": PythonLayerBundler(
            domain_layer_requirements(), packages=[REPO_ROOT / "layers" / "govrate" / "src" / "govrate"]
        ),
        "analytics": PythonLayerBundler(extra_layer_requirements("analytics")),
    }
    sizes = {}
    for name, bundler in layers.items():
        output = tmp_path / name
        output.mkdir()
        assert bundler.try_bundle(str(output), image=NO_DOCKER)
        sizes[{"Ref": synth.logical_id(getattr(synth.stack.layers, name))}.__repr__()] = _size(output)
    totals = {}
    for function in synth.of_type("AWS::Lambda::Function").values():
        props = function["Properties"]
        module = props["Handler"].split(".")[0]
        (code,) = [path.parent for path in FUNCTIONS_DIR.glob(f"*/{module}.py")]
        totals[props["Handler"]] = _size(code) + sum(sizes[repr(layer)] for layer in props["Layers"])
    print({handler: f"{size / 1024**2:.0f} MB" for handler, size in totals.items()})
    assert totals, "no function found"
    assert all(size < LAMBDA_UNZIPPED_LIMIT for size in totals.values()), totals
    # DuckDB replaced Arrow: the analyze function, the largest, keeps well inside the limit.
    assert totals["analyze_job.handler"] < 150 * 1024 * 1024, totals
