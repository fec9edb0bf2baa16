"""The deploy workflow, read offline: what it runs after a deploy, and how it handles the keys."""

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "deploy.yml"


def deploy_steps() -> list[dict]:
    return yaml.safe_load(WORKFLOW.read_text())["jobs"]["deploy"]["steps"]


def index_of(steps: list[dict], text: str) -> int:
    found = [i for i, step in enumerate(steps) if text in step.get("run", "")]
    assert len(found) == 1, f"one step must run {text!r}, found {len(found)}"
    return found[0]


def test_the_deployed_stack_is_smoke_tested_after_the_deploy():
    steps = deploy_steps()
    smoke = index_of(steps, "make smoke")
    assert smoke > index_of(steps, "sam deploy"), "the smoke test runs after the deploy"
    step = steps[smoke]
    assert "ApiUrl" in step["run"], "it targets the stack it deployed, by its ApiUrl output"
    assert step["env"]["API_KEY"] == "${{ secrets.SMOKE_API_KEY }}"
    # The key reaches the smoke test through the environment, never on a command line.
    assert "API_KEY" not in step["run"]
