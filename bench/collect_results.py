#!/usr/bin/env python3
"""Collects the pieces bench/run_all.sh leaves in its work directory into one JSON result file
(environment, configuration, kernels, end-to-end steps, step scripts, peers) and prints a summary.
Standard library only, so that it runs with any python3 on a cluster node."""
import argparse
import datetime
import json
import os
import platform
import re
import socket
import subprocess


def sh(cmd, cwd=None):
    """First non-empty output of a command, or None when it is missing or fails."""
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or "") + (out.stderr or "")
    return text.strip() if out.returncode == 0 and text.strip() else None


def first_line(text):
    return text.splitlines()[0].strip() if text else None


def cmake_cache(build, key):
    try:
        with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def environment(src, build):
    cpu = None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            cpu = m.group(1) if m else None
    except OSError:
        pass
    mem_kb = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            mem_kb = int(re.search(r"MemTotal:\s*(\d+)", f.read()).group(1))
    except (OSError, AttributeError):
        pass
    cxx = cmake_cache(build, "CMAKE_CXX_COMPILER") or "c++"
    dmde = os.path.join(build, "dmde")
    doctor = sh([dmde, "doctor", "--dir", build]) or ""
    hdf5 = re.search(r"HDF5 ([0-9.]+)", doctor)
    commit = sh(["git", "rev-parse", "HEAD"], cwd=src)
    dirty = sh(["git", "status", "--porcelain", "--untracked-files=no"], cwd=src)
    return {
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "host": socket.gethostname(),
        "os": platform.platform(),
        "cpu_model": cpu,
        "logical_cpus": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(mem_kb / 1048576, 1) if mem_kb else None,
        # A busy machine (shared CI, login node) slows every timing: record it with them.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "compiler": first_line(sh([cxx, "--version"])),
        "build_type": cmake_cache(build, "CMAKE_BUILD_TYPE"),
        "open_mpi": first_line(sh(["mpirun", "--version"])),
        "hdf5": hdf5.group(1) if hdf5 else None,
        "dmde_version": first_line(sh([dmde, "--version"])),
        "git_commit": commit,
        "git_dirty": bool(dirty) if commit else None,
        "slurm_job_id": os.environ.get("SLURM_JOB_ID"),
        "slurm_nodelist": os.environ.get("SLURM_JOB_NODELIST"),
        "peers": {
            "R": first_line(sh(["Rscript", "--version"])),
            "python3_numpy_h5py": first_line(sh(["/usr/bin/python3", "-c",
                                                 "import numpy, h5py; print('numpy', numpy.__version__, 'h5py', h5py.__version__)"])),
        },
    }


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def tail(path, n=40):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()[-n:]
    except OSError:
        return []


def main():
    ap = argparse.ArgumentParser()
    for a in ("--src", "--build", "--work", "--out"):
        ap.add_argument(a, required=True)
    a = ap.parse_args()
    res = {"format": "dmde-bench/1", "environment": environment(a.src, a.build)}
    res["config"] = {k: v for k, v in read_tsv(os.path.join(a.work, "config.tsv"))}

    kpath = os.path.join(a.work, "kernels.json")
    if os.path.exists(kpath):
        with open(kpath, encoding="utf-8") as f:
            res["kernels"] = json.load(f)
    else:
        res["kernels"] = {"available": False}

    e2e = []
    for name, np_, sec, rc, rss in read_tsv(os.path.join(a.work, "e2e.tsv")):
        e2e.append({"step": name, "ranks": int(np_), "seconds": num(sec),
                    "exit_code": int(rc) if rc != "NA" else None, "max_rss_kb": num(rss),
                    "available": sec != "NA"})
    res["e2e"] = e2e

    scripts = []
    for row in read_tsv(os.path.join(a.work, "steps.tsv")):
        kind, name, sec, rc, log = (row + [""] * 5)[:5]
        entry = {"kind": kind, "name": name, "seconds": num(sec)}
        if sec == "NA":
            entry["status"] = rc
        else:
            entry["exit_code"] = int(rc)
            jpath = os.path.join(a.work, f"{kind}-{name}.json")
            if os.path.exists(jpath):
                try:
                    with open(jpath, encoding="utf-8") as f:
                        entry["result"] = json.load(f)
                except ValueError:
                    entry["result_error"] = "invalid JSON in DMDE_BENCH_JSON"
            entry["output_tail"] = tail(log)
        scripts.append(entry)
    res["scripts"] = scripts

    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    os.replace(tmp, a.out)  # appears only when complete
    summary(res, a.out)


def summary(res, out):
    env = res["environment"]
    print(f"== dmde benchmark {env['date_utc']} on {env['host']}: {env['cpu_model']}, "
          f"{env['logical_cpus']} CPUs, {env['memory_gib']} GiB, load {env['load_average_1_5_15'][0]}; commit {(env['git_commit'] or '?')[:10]}")
    k = res["kernels"]
    if k.get("available") is False:
        print("kernels: not available")
    else:
        for b in k.get("benchmarks", []):
            extra = "".join(f" {c}={b[c]:.4g}" for c in b if c not in
                            ("name", "family_index", "per_family_instance_index", "run_name", "run_type",
                             "repetitions", "repetition_index", "threads", "iterations", "real_time",
                             "cpu_time", "time_unit") and isinstance(b[c], (int, float)))
            print(f"kernel {b['name']:<48} {b['real_time']:>12.4g} {b['time_unit']}{extra}")
    steps = {}
    for e in res["e2e"]:
        steps.setdefault(e["step"], {})[e["ranks"]] = e
    if steps:
        ranks = sorted({e["ranks"] for e in res["e2e"]})
        print("e2e seconds (speed-up vs 1 rank): " + "  ".join(f"np{r}" for r in ranks))
        for s, by in steps.items():
            cells = []
            for r in ranks:
                e = by.get(r)
                if not e or not e["available"]:
                    cells.append("not available")
                elif e["exit_code"] != 0:
                    cells.append(f"FAILED rc={e['exit_code']}")
                else:
                    base = by.get(1)
                    sp = (f" (x{base['seconds'] / e['seconds']:.2f})"
                          if base and base["available"] and base["exit_code"] == 0 and r != 1 else "")
                    cells.append(f"{e['seconds']:.2f}s{sp}")
            print(f"  {s:<20} " + "  ".join(cells))
    for sc in res["scripts"]:
        if "status" in sc:
            print(f"{sc['kind']} {sc['name']}: {sc['status']}")
        else:
            print(f"{sc['kind']} {sc['name']}: rc={sc['exit_code']} in {sc['seconds']:.1f}s"
                  + (" (JSON result embedded)" if "result" in sc else ""))
            for line in sc["output_tail"][-6:]:
                print(f"    | {line}")
    print(f"results: {out}")


if __name__ == "__main__":
    main()
