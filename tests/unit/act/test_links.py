"""Which commands are linked onto PATH for a distribution: its own, or a metapackage's
dependencies' (all the way down, those in the environment itself)."""

from __future__ import annotations

from pathlib import Path

from safepip.act import links


def _dist(site: Path, env: Path, name: str, requires: tuple[str, ...] = (), commands: tuple[str, ...] = (),
          module: bool = True) -> None:
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    requirements = "".join(f"Requires-Dist: {r}\n" for r in requires)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{requirements}")
    record = [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
    if module:
        record.append(f"{name.replace('-', '_')}.py,,")
    for command in commands:
        (env / "bin" / command).write_text("#!/bin/sh\n")
        record.append(f"../../../bin/{command},,")
    (info / "RECORD").write_text("\n".join(record) + "\n")


def test_a_metapackage_brings_the_commands_of_what_it_requires(tmp_path: Path) -> None:
    env = tmp_path / "env"
    site = env / "lib" / "python3.11" / "site-packages"
    (env / "bin").mkdir(parents=True)
    site.mkdir(parents=True)
    _dist(site, env, "meta", ("tool-a>=1", 'extra-tool ; extra == "all"', "system-only"), module=False)
    _dist(site, env, "tool-a", ("tool-b", "meta"), ("tool-a",))
    _dist(site, env, "tool-b", (), ("tool-b", "pip-ish"))
    _dist(site, env, "extra-tool", (), ("extra-tool",))
    _dist(site, env, "lib", (), ())
    assert links.is_metapackage(str(env), "meta")
    assert not links.is_metapackage(str(env), "lib")  # a module of its own
    assert links.exposed(str(env), "meta") == ["tool-a", "tool-b"]  # never pip*
    assert links.exposed(str(env), "tool-a") == ["tool-a"]  # a distribution's own: never its dependencies'
    assert links.exposed(str(env), "lib") == []
    where = tmp_path / "bin"
    made = links.expose(str(env), ["meta"], str(where), print)
    assert sorted(Path(m).name for m in made) == ["tool-a", "tool-b"]
    links.expose(str(env), ["tool-a"], str(where), print)  # named itself too: its link is shared
    removed = links.unexpose(str(env), ["meta"])
    assert sorted(Path(m).name for m in removed) == ["tool-b"]
    assert (where / "tool-a").is_symlink()
