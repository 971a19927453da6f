"""CDK entry point: `npx cdk synth` runs `uv run python -m infra.app` (see cdk.json)."""

from __future__ import annotations

from aws_cdk import App

from infra.stack import build


def main() -> None:
    app = App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
