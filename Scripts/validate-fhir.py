#!/usr/bin/env python3
"""Validates FHIR resources with the `fhir.resources` models (R4B, the R4 models' successor with the
same Patient, Bundle, Parameters, OperationOutcome and CapabilityStatement), a client we did not write.
The FHIR tests (Tests/MPIServiceTests/FHIRTests.swift) save every response body and run this on them.

Usage:  $(Scripts/clients-env.sh) Scripts/validate-fhir.py FILE...

Prints one line per file that does not validate (the file, then the models' first complaint) and exits
1 when there is any; prints "N resources valid" and exits 0 otherwise.
"""
import json
import sys

from fhir.resources.R4B import get_fhir_model_class


def main():
    failures = 0
    for path in sys.argv[1:]:
        try:
            with open(path) as handle:
                resource = json.load(handle)
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        except Exception as error:  # a JSON, lookup or validation error: each is a failure
            failures += 1
            print(f"{path}: {str(error).splitlines()[0]} {' '.join(str(error).splitlines()[1:3])}")
    if failures:
        sys.exit(1)
    print(f"{len(sys.argv) - 1} resources valid")


if __name__ == "__main__":
    main()
