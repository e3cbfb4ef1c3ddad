"""What differs between two runs' environments is named field by field, what computes first."""

import copy

from seedlock.environment_diff import differences

OPENBLAS = "numpy.libs/libscipy_openblas64_-32a4b2a6.so"


def fingerprint(env="ml"):
    return {
        "env": env,
        "mode": "host",
        "platform": {"subdir": "linux-64", "libc": "glibc-2.36", "zlib": "python 1.2.13"},
        "cpu": {"model": "AMD EPYC", "simd_level": "x86-64-v3", "count": 2},
        "python": {"version": "3.11.7"},
        "packages": [{"name": "numpy", "version": "2.4.6"}, {"name": "scipy", "version": "1.17.1"}],
        "environment_variables": {"OPENBLAS_CORETYPE": "Haswell", "PYTHONHASHSEED": "0"},
        "compute": {
            "baseline": "x86-64-v3",
            "blas": [
                {
                    "library": OPENBLAS,
                    "implementation": "openblas",
                    "version": "0.3.31",
                    "kernel": "Haswell",
                }
            ],
            "numpy": {"baseline": ["X86_V2"], "dispatch": ["X86_V3"]},
        },
        "modules": {},
    }


def test_identical_environments_have_nothing_to_say():
    assert differences({"ml": fingerprint()}, {"ml": fingerprint()}) == []


def test_what_computes_comes_first_then_the_machine_then_the_software():
    here, there = fingerprint(), fingerprint()
    there["compute"]["baseline"] = "native"
    there["compute"]["blas"][0]["kernel"] = "SkylakeX"
    there["compute"]["numpy"]["dispatch"] = ["X86_V3", "X86_V4", "AVX512_ICL"]
    there["cpu"] = {"model": "Intel Xeon", "simd_level": "x86-64-v4", "count": 2}
    there["platform"]["zlib"] = "python 1.3.1.zlib-ng"
    there["packages"][0]["version"] = "2.4.5"
    there["environment_variables"]["OPENBLAS_CORETYPE"] = None
    assert differences({"ml": here}, {"ml": there}) == [
        "compute baseline: x86-64-v3 here, native in the references",
        f"BLAS kernel ({OPENBLAS}): Haswell here, SkylakeX in the references",
        "numpy SIMD dispatch: X86_V3 here, X86_V3 X86_V4 AVX512_ICL in the references",
        "CPU: AMD EPYC here, Intel Xeon in the references",
        "CPU SIMD level: x86-64-v3 here, x86-64-v4 in the references",
        "zlib: python 1.2.13 here, python 1.3.1.zlib-ng in the references",
        "packages (1 differ): numpy 2.4.6 here, 2.4.5 in the references",
        "variable OPENBLAS_CORETYPE: Haswell here, unset in the references",
    ]


def test_a_difference_of_one_env_is_named_with_it_and_shared_ones_once():
    now = {"base": fingerprint("base"), "ml": fingerprint()}
    then = copy.deepcopy(now)
    for env in then.values():
        env["python"]["version"] = "3.11.9"
    then["ml"]["compute"]["blas"] = []
    then["extra"] = fingerprint("extra")
    assert differences(now, then) == [
        f"env ml: BLAS library {OPENBLAS} (openblas 0.3.31, Haswell kernel): here only",
        "Python: 3.11.7 here, 3.11.9 in the references",
        "env extra: in the references only",
    ]


def test_many_package_differences_are_counted_not_all_listed():
    here, there = fingerprint(), fingerprint()
    here["packages"] = [{"name": f"p{i}", "version": "1"} for i in range(10)]
    there["packages"] = [{"name": f"p{i}", "version": "2"} for i in range(10)]
    (line,) = differences({"ml": here}, {"ml": there})
    assert line.startswith("packages (10 differ): p0 1 here, 2 in the references;")
    assert line.endswith("; 4 more")
