"""ordinavo.wsgi and gunicorn.conf.py: the served application, and the cyclic collector tuned
for imports by gunicorn's worker hook (not as a side effect of importing the application)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test"}


def _run(*args: str) -> str:
    result = subprocess.run(  # noqa: S603 (this interpreter or gunicorn, fixed arguments)
        args, cwd=ROOT, env=ENV, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_the_wsgi_module_leaves_the_collector_alone():
    script = (
        "import gc; before = gc.get_threshold(); import ordinavo.wsgi; "
        "print(gc.get_freeze_count(), gc.get_threshold() == before)"
    )
    frozen, unchanged = _run(sys.executable, "-c", script).split()
    assert int(frozen) == 0
    assert unchanged == "True"


def test_gunicorn_started_from_the_repository_root_reads_its_config_and_hook():
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    printed = _run(gunicorn, "--print-config", "ordinavo.wsgi").splitlines()
    settings = {k.strip(): v.strip() for k, _, v in (line.partition("=") for line in printed)}
    assert settings["config"] == "./gunicorn.conf.py"
    assert settings["post_worker_init"] == "<post_worker_init()>"


def test_the_worker_hook_freezes_start_up_objects_and_raises_the_collector_thresholds():
    script = (
        "import gc, runpy, sys, ordinavo.wsgi; "
        "conf = runpy.run_path('gunicorn.conf.py'); conf['post_worker_init'](None); "
        "print(gc.get_freeze_count(), gc.get_threshold() == conf['GC_THRESHOLDS'], "
        "'inbound.api.views' in sys.modules)"
    )
    frozen, thresholds_set, views_loaded = _run(sys.executable, "-c", script).split()
    assert int(frozen) > 10_000
    assert thresholds_set == "True"
    assert views_loaded == "True"
