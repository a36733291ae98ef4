"""What a non-editable install gets: the wheel carries the SQL files, the shipped calibrations and the demo firm
(the Dockerfile installs the project this way)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_sql_calibrations_and_demo_data(tmp_path):
    # built from a copy of the tracked tree, so setuptools' build/ and egg-info never land in the checkout
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, check=True, capture_output=True, text=True).stdout
    source = tmp_path / "src"
    for name in tracked.splitlines():
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("billing_automation-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    sql = {f"billing_sql/{p.relative_to(REPO / 'sql').as_posix()}" for p in (REPO / "sql").rglob("*.sql")}
    assert sql and sql <= names
    core = REPO / "billing_assets" / "core"
    assert {f"billing_assets/core/{p.name}" for p in core.glob("*.json")} == {
        "billing_assets/core/calibration.json", "billing_assets/core/calibration_nosemantic.json"}
    assert "billing_assets/core/calibration.json" in names
    assert "billing_assets/core/calibration_nosemantic.json" in names
    demo = {f"demo_firm/{p.relative_to(REPO / 'demo_firm').as_posix()}" for p in (REPO / "demo_firm").rglob("*.yaml")}
    assert demo and demo <= names
