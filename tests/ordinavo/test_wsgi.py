"""ordinavo.wsgi: the served application, with the cyclic collector tuned for imports."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wsgi_module_freezes_start_up_objects_and_raises_the_collector_thresholds():
    script = (
        "import gc, sys, ordinavo.wsgi as w; "
        "print(gc.get_freeze_count(), gc.get_threshold() == w.GC_THRESHOLDS, "
        "'inbound.api.views' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ordinavo.settings.test"}
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed script)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    frozen, thresholds_set, views_loaded = result.stdout.split()
    assert int(frozen) > 10_000
    assert thresholds_set == "True"
    assert views_loaded == "True"
