"""What differs between this run's environments and the references', in words.

When outputs differ, the first question is whether the code or the environment changed; the
fingerprints answer it. What decides the bits comes first (the compute baseline, the BLAS kernels,
numpy's SIMD dispatch), then the machine, then the software and the job variables.
"""

from collections.abc import Mapping

HERE, THERE = "here", "in the references"
MAX_PACKAGES_NAMED = 6


def _value(value) -> str:
    if value is None or value == "":
        return "unset"
    if isinstance(value, list):
        return " ".join(str(item) for item in value) or "none"
    return str(value)


def _changed(label: str, now, then) -> list[str]:
    if now == then:
        return []
    return [f"{label}: {_value(now)} {HERE}, {_value(then)} {THERE}"]


def _blas(now: list[Mapping], then: list[Mapping]) -> list[str]:
    now_by, then_by = ({e["library"]: e for e in entries} for entries in (now, then))
    lines = []
    for library in sorted(set(now_by) | set(then_by), key=str):
        a, b = now_by.get(library), then_by.get(library)
        if a is None or b is None:
            entry, where = (a, HERE) if b is None else (b, THERE)
            lines.append(
                f"BLAS library {library} ({entry['implementation']} {entry['version']}, "
                f"{entry['kernel']} kernel): {where} only"
            )
            continue
        lines += _changed(f"BLAS kernel ({library})", a["kernel"], b["kernel"])
        lines += _changed(f"BLAS version ({library})", a["version"], b["version"])
        lines += _changed(
            f"BLAS implementation ({library})", a["implementation"], b["implementation"]
        )
    return lines


def _compute(now: Mapping, then: Mapping) -> list[str]:
    return [
        *_changed("compute baseline", now["baseline"], then["baseline"]),
        *_blas(now["blas"], then["blas"]),
        *_changed(
            "numpy SIMD dispatch", now["numpy"].get("dispatch"), then["numpy"].get("dispatch")
        ),
    ]


def _packages(now: list[Mapping], then: list[Mapping]) -> list[str]:
    def versions(packages):
        return {
            p["name"]: p["version"] + (f" ({p['build']})" if p.get("build") else "")
            for p in packages
        }

    a, b = versions(now), versions(then)
    changed = sorted(name for name in set(a) | set(b) if a.get(name) != b.get(name))
    if not changed:
        return []
    named = [
        f"{name} {a.get(name, 'absent')} {HERE}, {b.get(name, 'absent')} {THERE}"
        for name in changed[:MAX_PACKAGES_NAMED]
    ]
    more = len(changed) - len(named)
    return [
        f"packages ({len(changed)} differ): "
        + "; ".join(named)
        + (f"; {more} more" if more else "")
    ]


def env_differences(now: Mapping, then: Mapping) -> list[list[str]]:
    """What differs between two fingerprints of one env, in groups, most decisive first: what
    computes, the machine, the software, the job variables."""
    variables_now, variables_then = now["environment_variables"], then["environment_variables"]
    return [
        _compute(now["compute"], then["compute"]),
        [
            *_changed("CPU", now["cpu"]["model"], then["cpu"]["model"]),
            *_changed("CPU SIMD level", now["cpu"]["simd_level"], then["cpu"]["simd_level"]),
        ],
        [
            *_changed("mode", now["mode"], then["mode"]),
            *_changed("platform", now["platform"]["subdir"], then["platform"]["subdir"]),
            *_changed("C library", now["platform"].get("libc"), then["platform"].get("libc")),
            *_changed("zlib", now["platform"].get("zlib"), then["platform"].get("zlib")),
            *_changed("Python", now["python"]["version"], then["python"]["version"]),
            *_packages(now["packages"], then["packages"]),
        ],
        [
            line
            for name in sorted(set(variables_now) | set(variables_then))
            for line in _changed(
                f"variable {name}", variables_now.get(name), variables_then.get(name)
            )
        ],
    ]


def differences(now: Mapping[str, Mapping], then: Mapping[str, Mapping]) -> list[str]:
    """Lines naming every fingerprint field that differs, by env; a line that holds for every
    env is said once, without an env name."""
    common = sorted(set(now) & set(then))
    by_line: dict[tuple[int, str], list[str]] = {}
    for env in common:
        for rank, group in enumerate(env_differences(now[env], then[env])):
            for line in group:
                by_line.setdefault((rank, line), []).append(env)
    lines = [
        line if len(envs) == len(common) else f"env {', '.join(envs)}: {line}"
        for (_, line), envs in sorted(by_line.items(), key=lambda item: item[0][0])
    ]
    lines += [f"env {env}: {HERE} only" for env in sorted(set(now) - set(then))]
    lines += [f"env {env}: {THERE} only" for env in sorted(set(then) - set(now))]
    return lines
