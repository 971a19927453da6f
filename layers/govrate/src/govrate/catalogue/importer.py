"""Administrators' command: import a service-item catalogue file into the reference table.

    python -m govrate.catalogue.importer catalogue.csv          # or .json
    python -m govrate.catalogue.importer catalogue.csv --check  # validate only, write nothing

The table comes from GOVRATE_REFERENCE_TABLE (AWS credentials and region from the environment, as for
any AWS CLI). Exit status 1 when any row was rejected; the rows reported rejected were not imported.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from govrate import runtime
from govrate.catalogue.service import CatalogueFormat, import_catalogue, parse_items, read_catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m govrate.catalogue.importer", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a .csv (header line, `|` between list values) or .json file")
    parser.add_argument("--check", action="store_true", help="validate every row, write nothing")
    arguments = parser.parse_args(argv)
    file_format: CatalogueFormat = "json" if arguments.file.suffix.lower() == ".json" else "csv"
    rows = read_catalogue(arguments.file.read_text(encoding="utf-8-sig"), file_format)
    if arguments.check:
        outcomes = parse_items(rows)
        rejected = [(number, errors) for number, errors in outcomes if isinstance(errors, list)]
        for number, errors in rejected:
            print(f"row {number}: rejected: {errors}")
        print(f"{len(outcomes) - len(rejected)} valid, {len(rejected)} rejected")
        return 1 if rejected else 0
    report = import_catalogue(rows, runtime.catalogue_repository())
    for result in report.rows:
        if result.status == "rejected":
            print(f"row {result.row}: rejected: {result.errors}")
    print(f"{report.imported} imported, {report.rejected} rejected")
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
