"""paths.Dirs: safepip's own directories for one environment, each worked out once and only
when first asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip import paths


def test_each_directory_is_worked_out_once_and_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    real = paths.cache_dir

    def counted(environ: dict[str, str]) -> str:
        asked.append("cache")
        return real(environ)

    monkeypatch.setattr(paths, "cache_dir", counted)
    environ = {"SAFEPIP_CACHE_DIR": str(tmp_path / "cache"), "SAFEPIP_CONFIG_DIR": str(tmp_path / "config")}
    dirs = paths.Dirs(environ)
    assert dirs.config_file == str(tmp_path / "config" / "config.toml")
    assert asked == []  # a call that needs no cache works out none
    assert dirs.cache == dirs.cache == str(tmp_path / "cache")
    assert dirs.linux_cache == str(tmp_path / "cache")  # named: known without platformdirs
    assert asked == ["cache"]
