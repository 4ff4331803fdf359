"""The import rules of docs/modules.md hold on the tree, and each one fails on a deliberate violation.

``lint-imports`` (run by ``make lint``) reads the contracts in pyproject.toml. Here it runs on a copy of
``core`` and ``modules`` with the project's configuration: once as they are, then once per rule with one
import that breaks it, so a rule that stopped catching anything would fail this test.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and of the configuration that holds the rules."""
    for package in ("core", "modules"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "*.po", "*.mo"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def add_module(tree: Path, name: str, files: dict[str, str]) -> None:
    """A module of the target shape (``services/``, ``api/``, ``web/`` packages) in the copy."""
    for path, text in {"__init__.py": "", **files}.items():
        target = tree / "modules" / name / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def test_the_tree_keeps_every_import_rule(tree: Path) -> None:
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_core_importing_a_module_breaks_the_build(tree: Path) -> None:
    with (tree / "core" / "money.py").open("a") as money:
        money.write("\nimport modules.invoicing.models  # noqa\n")
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "The core imports no module BROKEN" in done.stdout
    assert "core.money -> modules.invoicing.models" in done.stdout


def test_a_module_importing_another_module_breaks_the_build(tree: Path) -> None:
    add_module(
        tree, "stock", {"services/__init__.py": "", "services/counts.py": "import modules.invoicing.models\n"}
    )
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "No module imports another module BROKEN" in done.stdout
    assert "modules.stock.services.counts -> modules.invoicing.models" in done.stdout


@pytest.mark.parametrize("layer", ["api", "web"])
def test_services_importing_the_http_layer_break_the_build(tree: Path, layer: str) -> None:
    add_module(
        tree,
        "stock",
        {
            "services/__init__.py": "",
            "services/counts.py": f"from modules.stock.{layer} import items\n",
            f"{layer}/__init__.py": "",
            f"{layer}/items.py": "",
        },
    )
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "A module's services import neither its api nor its web package BROKEN" in done.stdout
    assert f"modules.stock.services.counts -> modules.stock.{layer}" in done.stdout


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("models", "services.counts"),  # the domain reaching up into the rules
        ("vocabulary", "models"),
        ("web.pages", "api.items"),  # one edge through another instead of through the services
        ("services.counts", "schemas.items"),
    ],
)
def test_an_import_up_the_layers_breaks_the_build(tree: Path, importer: str, imported: str) -> None:
    files = {f"{package}/__init__.py": "" for package in ("services", "api", "web", "schemas")} | {
        "models.py": "",
        "vocabulary.py": "",
        "services/counts.py": "",
        "api/items.py": "",
        "web/pages.py": "",
        "schemas/items.py": "",
    }
    files[importer.replace(".", "/") + ".py"] = f"import modules.stock.{imported}\n"
    add_module(tree, "stock", files)
    done = lint_imports(tree)
    assert done.returncode != 0
    assert "Inside a module, imports flow down" in done.stdout and "BROKEN" in done.stdout
    assert f"modules.stock.{importer} -> modules.stock.{imported}" in done.stdout


def test_a_module_may_import_another_modules_contract_and_nothing_else(tree: Path) -> None:
    add_module(
        tree,
        "stock",
        {
            "services/__init__.py": "",
            "services/counts.py": "from modules.invoicing.public import Invoicing\n",
        },
    )
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout
