"""The locks still say what requirements*.txt say (offline: no resolver, no network).

Fails, naming the package, when a requirement in requirements.txt / requirements-dev.txt /
.ci/tools.in is missing from its lock or pinned outside the range it allows (someone edited a
requirements file without `make lock`), or when the two locks pin a shared package differently.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / ".ci" / "requirements.lock"
DEV_LOCK = ROOT / ".ci" / "requirements-dev.lock"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def read_requirements(path: Path) -> list[Requirement]:
    """Every requirement of a requirements file, following `-r other.txt`."""
    found: list[Requirement] = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            found += read_requirements(path.parent / line.split(maxsplit=1)[1])
        elif not line.startswith("-"):
            found.append(Requirement(line))
    return found


def read_pins(lock: Path) -> dict[str, str]:
    """Package name -> pinned version of a lock file."""
    pins = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def problems(requirements: list[Requirement], pins: dict[str, str], lock: Path) -> list[str]:
    found = []
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate():
            continue
        name = canonicalize_name(req.name)
        version = pins.get(name)
        if version is None:
            found.append(f"{req.name} is required but {lock.name} has no pin for it")
        elif not req.specifier.contains(version, prereleases=True):
            found.append(f"{req.name}: {lock.name} pins {version}, outside {req.specifier}")
    return found


def main() -> int:
    runtime_pins, dev_pins = read_pins(RUNTIME_LOCK), read_pins(DEV_LOCK)
    runtime_reqs = read_requirements(ROOT / "requirements.txt")
    dev_reqs = read_requirements(ROOT / "requirements-dev.txt") + read_requirements(ROOT / ".ci" / "tools.in")
    found = problems(runtime_reqs, runtime_pins, RUNTIME_LOCK) + problems(dev_reqs, dev_pins, DEV_LOCK)
    found += [
        f"{name}: {RUNTIME_LOCK.name} pins {version}, {DEV_LOCK.name} pins {dev_pins.get(name)}"
        for name, version in runtime_pins.items()
        if dev_pins.get(name) != version
    ]
    for problem in found:
        print(f"lock-check: {problem}", file=sys.stderr)
    if found:
        print("lock-check: the locks are out of date; run `make lock` and commit .ci/*.lock", file=sys.stderr)
        return 1
    print(f"lock-check: {len(runtime_pins)} run-time and {len(dev_pins)} dev pins match requirements*.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
