"""Expands infra/template.yaml to plain CloudFormation, offline, and lints both with cfn-lint.

Prints `{"sam": <the template as parsed>, "cloudformation": <its expansion>}` as JSON on stdout; exits non-zero, with the findings on stderr, if either
fails. cfn-lint on the SAM file alone misses broken references inside what SAM generates, so the
expansion is linted too. Used by the template tests (integration-tests/tests/behaviour/template.rs).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

HERE = pathlib.Path(__file__).resolve().parent


class NoManagedPolicies(ManagedPolicyLoader):
    """The template names no managed policies; looking them up would need AWS."""

    def __init__(self):
        pass

    def load(self):
        return {}


def lint(path: pathlib.Path) -> list[str]:
    cfn_lint = pathlib.Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(cfn_lint), "--", str(path)],
                            capture_output=True, text=True)
    return [] if result.returncode == 0 else [f"cfn-lint {path.name}:\n{result.stdout}{result.stderr}"]


def main() -> int:
    source = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "template.yaml"
    sam = yaml_parse(source.read_text())
    template = json.loads(json.dumps(sam))
    # Local code paths become placeholders: the translator wants S3 locations, and never reads them.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://placeholder-bucket/function.zip"
    expanded = transform(template, {}, NoManagedPolicies(), passthrough_metadata=True)
    problems = lint(source)
    with tempfile.TemporaryDirectory() as scratch:
        path = pathlib.Path(scratch) / "expanded.json"
        path.write_text(json.dumps(expanded, indent=1))
        problems += lint(path)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 1
    json.dump({"sam": sam, "cloudformation": expanded}, sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
