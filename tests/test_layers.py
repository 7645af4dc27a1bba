"""The layering of the apps beyond imports: foreign keys (strings to import-linter) point down.

The layers are read from the import-linter contract in pyproject.toml, the one place they are
written down; `make lint` checks the imports against them.
"""

import tomllib
from pathlib import Path

from django.apps import apps

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _layers() -> dict[str, int]:
    """Each app's rank, 0 at the top, as the import-linter layers contract lists them; apps of
    one layer ("review | fieldwork") share a rank and may not import each other."""
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    (contract,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return {
        app.strip(): rank
        for rank, layer in enumerate(contract["layers"])
        for app in layer.split("|")
    }


def test_the_layers_contract_names_every_app_of_the_project():
    project_apps = {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).parent == PYPROJECT.parent
    }

    assert set(_layers()) == project_apps


def test_foreign_keys_point_down_the_layers():
    layers = _layers()
    upward = set()
    for model in apps.get_models():
        label = model._meta.app_label
        if label not in layers:
            continue
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            target = field.related_model._meta
            if (
                target.app_label in layers
                and layers[target.app_label] <= layers[label]
                and (target.app_label != label)
            ):
                upward.add((f"{model._meta.label}.{field.name}", target.label))

    assert upward == set()
