"""Synthesize the CDK app the way the CDK CLI does, without the CLI: run cdk.json's `app` command with
the cloud assembly protocol's environment (CDK_OUTDIR, CDK_CONTEXT_JSON) and read the stack's template.

Bundling is switched off (`aws:cdk:bundling-stacks` = []): the local stack never runs the packaged
layers or functions, it imports the same modules from the source tree.

The resources of the stack's nested stacks (monitoring, the upstream relay) are merged into its
template (`local.template.flatten_nested`): locally it is one stack.

Synthesis takes 10–30 s, so the template is kept under .local/synth/, keyed by a digest of everything
it is made from (and of the context given beside cdk.json's); any change synthesizes again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.config import GovrateConfig
from local.locks import exclusive
from local.template import flatten_nested

BUNDLING_STACKS = "aws:cdk:bundling-stacks"
STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_STACK = "AWS::CloudFormation::Stack"


# What the template is made from: the CDK app reads the domain package (table keys, settings names)
# and the functions (route tables, asset directories); the layers' pins come from the lock file.
INPUTS = ("cdk.json", "pyproject.toml", "uv.lock", "infra", "functions", "layers")
NOT_INPUTS = frozenset({"__pycache__", "node_modules", ".build", "cdk.out"})
CACHE_DIR = Path(".local") / "synth"


class SynthError(RuntimeError):
    """The CDK app did not synthesize, or has no stack of the expected name."""


def cached_template(
    root: Path, stack_name: str, *, account: str, region: str, context: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], bool]:
    """The stack's template and whether it came from the cache (its inputs are unchanged). `context`:
    CDK context beside cdk.json's (`govrate:*` settings), which wins over it."""
    given = dict(context or {})
    key = _inputs_digest(root, f"{stack_name} {account} {region} {json.dumps(given, sort_keys=True)}")
    path = root / CACHE_DIR / f"{stack_name}-{key[:20]}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Stacks of one name started at once (the e2e tests' two) synthesize once: the others wait for the
    # first and read its template.
    with exclusive(path.parent / f"{stack_name}.lock"):
        if path.is_file():
            document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return document, True
        template = synthesize(root, stack_name, account=account, region=region, context=given)
        for stale in path.parent.glob(f"{stack_name}-*.json"):
            stale.unlink()
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(template), encoding="utf-8")
        partial.replace(path)  # atomic: a start that does not lock (an older checkout) never reads half of it
        return template, False


def _inputs_digest(root: Path, salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for name in INPUTS:
        top = root / name
        files = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in files:
            relative = path.relative_to(root)
            if NOT_INPUTS.isdisjoint(relative.parts) and path.suffix != ".pyc":
                digest.update(relative.as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def stack_name_of(root: Path, context: Mapping[str, Any] | None = None) -> str:
    """The name of the stack cdk.json's context (and `context` over it) describes (`Govrate-<province>-<stage>`,
    or its stackName)."""
    defaults = json.loads((root / "cdk.json").read_text(encoding="utf-8")).get("context", {})
    return GovrateConfig.from_mapping({**defaults, **(context or {})}).stack_name


def synthesize(
    root: Path, stack_name: str, *, account: str, region: str, context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The CloudFormation template of `stack_name`, synthesized from the CDK app under `root`, its nested
    stacks' resources merged into it."""
    cdk_json = root / "cdk.json"
    if not cdk_json.is_file():
        raise SynthError(f"{cdk_json} not found: the local stack is created from the CDK app")
    config = json.loads(cdk_json.read_text(encoding="utf-8"))
    context = {**config.get("context", {}), **(context or {}), BUNDLING_STACKS: []}
    with tempfile.TemporaryDirectory(prefix="govrate-synth-") as outdir:
        env = {
            **os.environ,
            "CDK_OUTDIR": outdir,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "CDK_DEFAULT_ACCOUNT": account,
            "CDK_DEFAULT_REGION": region,
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
        }
        result = subprocess.run(  # noqa: S603 - the command is the project's own cdk.json
            _app_command(config["app"]), cwd=root, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise SynthError(f"`{config['app']}` failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return _stack_template(Path(outdir), stack_name)


def _app_command(app: str) -> list[str]:
    """cdk.json's app command; a bare `python` is this interpreter, so it sees this environment's packages."""
    argv = shlex.split(app)
    if argv and argv[0] in {"python", "python3"}:
        argv[0] = sys.executable
    return argv


def _stack_template(outdir: Path, stack_name: str) -> dict[str, Any]:
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        # The manifest names the stack only when its name differs from the artifact id.
        if artifact.get("type") == STACK_ARTIFACT and properties.get("stackName", artifact_id) == stack_name:
            document: dict[str, Any] = json.loads((outdir / properties["templateFile"]).read_text(encoding="utf-8"))
            return flatten_nested(document, _nested_templates(outdir, document))
    raise SynthError(f"the CDK app has no stack named {stack_name}")


def _nested_templates(outdir: Path, document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The template of each nested stack, by the logical id of its resource: its TemplateURL ends in the
    asset's hash, which the asset manifests map to the file."""
    files: dict[str, str] = {}
    for manifest in outdir.glob("*.assets.json"):
        for asset_hash, asset in json.loads(manifest.read_text(encoding="utf-8")).get("files", {}).items():
            files[asset_hash] = asset["source"]["path"]
    nested = {}
    for logical_id, resource in document.get("Resources", {}).items():
        if resource["Type"] != NESTED_STACK:
            continue
        url = json.dumps(resource["Properties"]["TemplateURL"])
        (asset_hash,) = [h for h in files if f"/{h}.json" in url]
        nested[logical_id] = json.loads((outdir / files[asset_hash]).read_text(encoding="utf-8"))
    return nested
