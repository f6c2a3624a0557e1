"""The seams ARCHITECTURE.md draws, checked on the source (a rule a later change could quietly break)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _reads_environment(path: Path) -> bool:
    """True when the module touches os.environ or os.getenv."""
    return any(
        isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
        for node in ast.walk(ast.parse(path.read_text()))
    )


def test_the_listening_platform_reads_its_settings_in_one_module():
    readers = [
        p.relative_to(ROOT).as_posix()
        for p in sorted((ROOT / "evaluation" / "listening").glob("*.py"))
        if p.name != "settings.py" and _reads_environment(p)
    ]
    assert readers == [], f"read the environment in evaluation/listening/settings.py, not in {readers}"


def test_the_admin_tab_goes_through_the_service_and_the_routes_do_not_authenticate():
    admin_tab = (ROOT / "demo" / "admin_tab.py").read_text()
    assert ".store" not in admin_tab and "routes" not in admin_tab
    routes = ast.parse((ROOT / "evaluation" / "listening" / "routes.py").read_text())
    defined = {n.name for n in ast.walk(routes) if isinstance(n, ast.FunctionDef)}
    assert not {"check_admin", "admin_token"} & defined  # the service checks the token (service.check_admin)
    assert "compare_digest" not in ast.unparse(routes)


def test_models_never_import_evaluation():
    """``models/`` is what is measured, ``evaluation/`` measures it: no import the other way, at the top of a
    module or inside a function (scoring scripts live in evaluation/tables/)."""
    offenders = []
    for path in sorted((ROOT / "models").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.startswith("evaluation.") else []  # runpy targets
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] == "evaluation"]
    assert offenders == []


def test_the_metrics_reach_into_no_converter_package():
    """The signal pieces every part uses (WORLD, DTW, rhythm, features) live in the models core, so scoring
    an output never depends on a converter's own code."""
    converters = (
        "models.dsp",
        "models.parekh",
        "models.alignsts",
        "models.s2s_flow",
        "models.vae_style",
        "models.ppg",
    )
    tree = ast.parse((ROOT / "evaluation" / "metrics.py").read_text())
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    modules += [alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names]
    assert [m for m in modules if m.startswith(converters)] == []


def test_converters_load_their_networks_in_one_place():
    """Every trained converter goes through models.base.load_model (checks, strict weights, eval mode);
    only the trainer (its resume and a warm start) and the bundled HiFi-GAN (not a Songbridge checkpoint) load
    weights elsewhere."""
    loaders = sorted(
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "models").rglob("*.py")
        if "load_state_dict(" in p.read_text()
    )
    assert loaders == ["models/base.py", "models/training/loop.py", "models/vocoders.py"]


def test_a_converter_is_declared_once():
    """Name, title, intro text, checkpoint and trainer live in its registry entry (models/converters.py): no
    module of the demo, nor the trainer command, holds one of them as a string of its own (adjacent literals
    are merged by the parser, so a re-wrapped intro is still found)."""
    from models.registry import default_registry

    registry = default_registry()
    specs = [registry.spec(name) for name in registry.names()]
    assert all(s.intro and s.tab for s in specs), "every converter gives its demo tab a title and an intro"
    declared = {
        text: s.name for s in specs for text in (s.name, s.title, s.intro, s.checkpoint, s.trainer) if text
    }
    modules = [*sorted((ROOT / "demo").rglob("*.py")), ROOT / "models" / "training" / "__main__.py"]
    found = [
        f"{path.relative_to(ROOT)}: {node.value[:40]!r} (of {declared[node.value]})"
        for path in modules
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in declared
    ]
    assert found == []
