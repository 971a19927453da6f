"""CDK entry point: `npx cdk synth` runs `.venv/bin/python -m infra.app` (see cdk.json)."""

from __future__ import annotations

import sys

from aws_cdk import App

from infra.config import SettingsError
from infra.stack import build


def main() -> int:
    app = App()
    try:
        build(app)
    except SettingsError as wrong:
        sys.stderr.write(f"{wrong}\n")
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
