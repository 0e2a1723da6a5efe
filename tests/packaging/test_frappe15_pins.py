"""Every dependency of the medgrid app must install next to Frappe 15 and ERPNext 15 (issue 16).

The pins of both are kept in tests/data/frappe15_pins.json. A bench installs frappe, then erpnext,
then medgrid into one virtualenv: for each package that Frappe or ERPNext pins, MedGrid's own
requirement must accept the release family the pin starts from, or pip either refuses the install
(ResolutionImpossible) or moves the package away from what the framework was tested with.
"""

from __future__ import annotations

import json
import os
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PINS_FILE = os.path.join(ROOT, "tests", "data", "frappe15_pins.json")
FRAMEWORKS = ("frappe", "erpnext")


def load_pins() -> dict:
    with open(PINS_FILE, encoding="utf-8") as f:
        return json.load(f)


def load_app_project() -> dict:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def pin_floor(specifier: SpecifierSet) -> Version | None:
    """The lowest release a pin allows, when it names one (``~=22.3.5`` → 22.3.5)."""
    floors = [Version(spec.version) for spec in specifier
              if spec.operator in ("~=", "==", "===", ">=") and "*" not in spec.version]
    return max(floors) if floors else None


def conflicts(app_requirements: list[str], pins: list[str]) -> list[str]:
    """Each app requirement that does not accept the release a framework pin starts from."""
    pinned = {}
    for line in pins:
        requirement = Requirement(line)
        pinned[canonicalize_name(requirement.name)] = requirement
    found = []
    for line in app_requirements:
        requirement = Requirement(line)
        pin = pinned.get(canonicalize_name(requirement.name))
        if pin is None:
            continue
        floor = pin_floor(pin.specifier)
        if floor is None:
            continue  # the framework takes any release: nothing to agree on
        if not requirement.specifier.contains(floor, prereleases=True):
            found.append(f"{line} refuses {requirement.name} {floor}, which the framework pins ({pin})")
    return found


def test_the_pins_file_is_well_formed():
    pins = load_pins()
    for framework in FRAMEWORKS:
        entry = pins[framework]
        assert entry["version"].startswith("15."), entry["version"]
        assert entry["source"]
        assert entry["dependencies"], framework
        for line in entry["dependencies"]:
            requirement = Requirement(line)  # raises on a malformed line
            floor = pin_floor(requirement.specifier)
            if floor is not None:
                assert requirement.specifier.contains(floor, prereleases=True), line


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_app_dependency_accepts_the_framework_pins(framework):
    dependencies = load_app_project()["project"]["dependencies"]
    assert dependencies, "the app declares its dependencies in pyproject.toml"
    assert conflicts(dependencies, load_pins()[framework]["dependencies"]) == []


def test_pycountry_installs_next_to_erpnext_and_frappe():
    """The issue's conflict: ERPNext 15 pins pycountry~=22.3.5, Frappe 15 ~=24.6.1; both must resolve."""
    dependencies = load_app_project()["project"]["dependencies"]
    pycountry = next(Requirement(d) for d in dependencies if canonicalize_name(Requirement(d).name) == "pycountry")
    for version in ("22.3.5", "24.6.1"):
        assert pycountry.specifier.contains(version), f"{pycountry} must accept pycountry {version}"


def test_the_old_pin_is_reported():
    """The check itself finds the fault issue 16 saw on the bench."""
    found = conflicts(["pycountry>=24.6", "requests>=2.31"], load_pins()["erpnext"]["dependencies"])
    assert len(found) == 1 and "pycountry" in found[0], found
    assert conflicts(["tenacity>=9"], load_pins()["frappe"]["dependencies"]), "tenacity~=8.2.2 is refused by >=9"


def test_python_and_bench_constraints_match_frappe_15():
    project = load_app_project()
    app_python = SpecifierSet(project["project"]["requires-python"])
    frappe_floor = pin_floor(SpecifierSet(load_pins()["frappe"]["requires_python"]))
    assert app_python.contains(frappe_floor), f"the app must run on Python {frappe_floor}, as Frappe 15 does"
    bench = project["tool"]["bench"]["frappe-dependencies"]
    for framework in FRAMEWORKS:
        spec = SpecifierSet(bench[framework])
        assert spec.contains("15.0.0") and spec.contains(load_pins()[framework]["version"]), bench
        assert not spec.contains("16.0.0"), bench
