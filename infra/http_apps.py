"""The HTTP functions the REST API serves, as Chalice apps. No CDK here: the OpenAPI document and the
tests that serve the apps read this without loading the CDK."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govrate.web.chalice_edge import declared_operations
from govrate.web.operations import Operation

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"


@dataclass(frozen=True)
class HttpApp:
    """An HTTP function: a Chalice app whose routes the API serves."""

    construct_id: str
    code: str
    """Directory under functions/ holding the module; it is also the function's code asset."""
    module: str
    """The module that defines `app`; the Lambda handler is `<module>.app`."""
    description: str

    def chalice_app(self) -> Any:
        # The function directory is what Lambda puts on sys.path; the modules build their repositories
        # lazily, so importing them needs no configuration.
        code_dir = str(FUNCTIONS_DIR / self.code)
        if code_dir not in sys.path:
            sys.path.insert(0, code_dir)
        return importlib.import_module(self.module).app

    def operations(self) -> list[tuple[str, str, Operation]]:
        """What the app's routes declare (those of every ApiBlueprint registered in it)."""
        return declared_operations(self.chalice_app())


INTAKE = HttpApp("Intake", "intake", "intake_api", "Evaluations from every channel")
QR = HttpApp("Qr", "qr", "qr_api", "Windows, QR codes, kiosks, the web module and the pages citizens rate on")
CASES = HttpApp("Cases", "verify", "case_api", "Bad-review cases: the staff API and console, the evaluator's follow-up")
# Every app the REST API serves; the OpenAPI document describes exactly these.
HTTP_APPS = (INTAKE, QR, CASES)
