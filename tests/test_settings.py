"""Settings come from the environment; production refuses to start without a real secret."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import vshop.settings as s; print(s.DEBUG, s.TIME_ZONE, s.LANGUAGE_CODE)",
        ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_real_secret_key_refuses_to_start_and_says_why(tmp_path):
    result = _import_settings(DEBUG="False", VSHOP_DATA_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "Refusing to start with DEBUG=False and no real SECRET_KEY" in result.stderr


@pytest.mark.parametrize("weak", ["change-me", "short"])
def test_production_refuses_a_weak_secret_key(tmp_path, weak):
    result = _import_settings(DEBUG="False", SECRET_KEY=weak, VSHOP_DATA_DIR=str(tmp_path))

    assert result.returncode != 0


def test_production_with_a_real_secret_starts_with_shanghai_time(tmp_path):
    result = _import_settings(DEBUG="False", SECRET_KEY="x" * 50, VSHOP_DATA_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "Asia/Shanghai", "zh-hans"]


def test_the_laptop_default_keeps_a_random_secret_on_disk(tmp_path):
    first = _import_settings(VSHOP_DATA_DIR=str(tmp_path))

    assert first.returncode == 0, first.stderr
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert _import_settings(VSHOP_DATA_DIR=str(tmp_path)).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
