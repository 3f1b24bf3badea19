"""The layers hold because a tool checks them: import-linter's contracts in setup.cfg.

``api -> workflows -> engine``; ``forms`` stands alone; ``api`` names no process; no two
modules of one package import each other in a loop. The first test runs the contracts on the
code as it is; the others copy the code, add one forbidden import each, and see the contract
that forbids it break — so a contract that silently checks nothing would fail here.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "workflows", "forms", "api")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts of ``root/setup.cfg`` on the packages under ``root`` (no cache: always fresh)."""
    if not LINT_IMPORTS.exists():
        pytest.fail(f"import-linter is not installed beside {sys.executable}: pip install -e '.[test]'")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=root, capture_output=True,
                          text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "COLUMNS": "500"},
                          timeout=300)


def verdicts(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from the summary lines (``<name> KEPT``, ``<name> BROKEN (...)``)."""
    found = {}
    for row in output.splitlines():
        for verdict in ("KEPT", "BROKEN"):
            name, marker, _ = row.partition(f" {verdict}")
            if marker and name.strip() and not name.startswith(" "):
                found[name.strip()] = verdict
    return found


def copy_of_the_code(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns(
            "__pycache__", "*.pyc", "static", "templates", "translations"))
    shutil.copy(ROOT / "setup.cfg", target / "setup.cfg")
    return target


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(verdicts(result.stdout)) == 5
    assert set(verdicts(result.stdout).values()) == {"KEPT"}


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("engine/cases/runner.py", "import flask", "engine imports no api, workflows, forms or Flask"),
    ("engine/time/clock.py", "from workflows import policy_for", "engine imports no api, workflows, forms or Flask"),
    ("workflows/demo.py", "from api.auth import passwords", "workflows imports no api or Flask"),
    ("forms/exam.py", "from engine import errors", "forms imports nothing of ours but forms"),
    ("api/resources/cases.py", "from workflows import talent_nomination",
     "api imports no process module by name"),
    ("engine/time/clock.py", "from engine.time import spiff_patches", "no two modules or packages of one package"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, line: str, contract: str) -> None:
    code = copy_of_the_code(tmp_path)
    path = code / module
    path.write_text(path.read_text() + f"\n{line}  # added by the test\n")

    result = lint_imports(code)

    assert result.returncode != 0
    broken = [name for name, verdict in verdicts(result.stdout).items() if verdict == "BROKEN"]
    assert [name for name in broken if name.startswith(contract)], result.stdout
    assert module.removesuffix(".py").replace("/", ".").rsplit(".", 1)[0] in result.stdout
