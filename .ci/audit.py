"""Supply-chain check: pip-audit over the locks (.ci/requirements-dev.lock holds every pin of
.ci/requirements.lock, which `make lock-check` checks), so what is audited is what is installed.

Runs when PyPI's advisory data is reachable; when it is not (CI here reaches only the package
registry's files, not its vulnerability API), pip-audit reports every package as skipped, and
this prints a notice instead of a false "no known vulnerabilities". Exit 1 only on a real
finding.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

venv_bin = Path(sys.executable).parent
LOCKS = [Path(__file__).resolve().parent / name for name in ("requirements.lock", "requirements-dev.lock")]


def main() -> int:
    # Hashed, fully pinned locks: no resolver and no temporary venv needed (--disable-pip).
    cmd = [str(venv_bin / "pip-audit"), "--progress-spinner", "off", "--disable-pip", "--format", "json"]
    for lock in LOCKS:
        cmd += ["-r", str(lock)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"pip-audit: skipped ({exc.__class__.__name__}); the advisory database is not reachable.")
        return 0
    try:
        report = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        print("pip-audit: skipped; the advisory database is not reachable (no report).")
        return 0
    # The same pin from both locks counts once.
    deps = list({(d["name"], d.get("version")): d for d in report.get("dependencies", [])}.values())
    audited = [d for d in deps if "skip_reason" not in d]
    if not audited:
        print(f"pip-audit: skipped; the advisory database is not reachable ({len(deps)} packages not audited).")
        return 0
    vulnerable = [d for d in audited if d.get("vulns")]
    for d in vulnerable:
        ids = ", ".join(v["id"] for v in d["vulns"])
        print(f"pip-audit: {d['name']} {d['version']} has known vulnerabilities: {ids}")
    print(f"pip-audit: {len(audited)} packages audited, {len(vulnerable)} with known vulnerabilities.")
    return 1 if vulnerable else 0


if __name__ == "__main__":
    raise SystemExit(main())
