"""Writes a hashed lock file from a list of top-level pins, for `pip install --require-hashes`.

    python3 infra/lock.py requirements-dev.txt requirements.lock
    python3 infra/lock.py infra/deploy-tools.txt infra/deploy-tools.lock

A maintainer's tool, run by hand when a pin changes (it needs PyPI). Nothing in `make test` or
the pipeline runs it; they install what it wrote. It resolves the pins with pip in a throwaway
virtualenv (this machine's Python and platform: Linux, as the pipeline's runners), then lists
every resolved package at its exact version with the SHA-256 of every file PyPI has for that
version. So the lock installs on any platform the packages publish wheels for, and pip refuses any
file whose hash is not listed.
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import urllib.request

INDEX = "https://pypi.org/simple"


def resolve(requirements: pathlib.Path) -> list[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as scratch:
        venv = pathlib.Path(scratch) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        report = pathlib.Path(scratch) / "report.json"
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "--dry-run",
                        "--ignore-installed", "--report", str(report), "-r", str(requirements)],
                       check=True)
        installs = json.loads(report.read_text())["install"]
    return sorted((item["metadata"]["name"], item["metadata"]["version"]) for item in installs)


def normalized(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def file_hashes(name: str, version: str) -> list[str]:
    request = urllib.request.Request(f"{INDEX}/{normalized(name)}/",
                                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]
    prefix = normalized(name).replace("-", "_")
    hashes = []
    for file in files:
        filename = file["filename"]
        stem = filename.lower().replace("-", "_").replace(".", "_")
        # Files of this exact version: `<name>-<version>-…whl` or `<name>-<version>.tar.gz`.
        marker = f"{prefix}_{version.lower().replace('-', '_').replace('.', '_')}"
        if stem.startswith(marker + "_") and not file.get("yanked") and "sha256" in file["hashes"]:
            hashes.append(file["hashes"]["sha256"])
    if not hashes:
        raise SystemExit(f"no files on PyPI for {name}=={version}")
    return sorted(set(hashes))


def main() -> int:
    source, target = map(pathlib.Path, sys.argv[1:3])
    lines = [f"# Every package {source.name} brings, pinned with the hashes of its files on PyPI.",
             f"# Written by `python3 infra/lock.py {source} {target}`; install with",
             "# `pip install --require-hashes --no-deps -r` this file."]
    for name, version in resolve(source):
        hashes = file_hashes(name, version)
        lines.append(f"{name}=={version} \\")
        lines += [f"    --hash=sha256:{digest} \\" for digest in hashes[:-1]]
        lines.append(f"    --hash=sha256:{hashes[-1]}")
    target.write_text("\n".join(lines) + "\n")
    print(f"{target}: {sum(1 for line in lines if '==' in line)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
