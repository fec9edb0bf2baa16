"""The README's commands run as written. Every block marked `<!-- checked: runs against make dev -->`
runs, in order, against one fresh `make dev` with the development key. Each output its comments
show is compared with the real one. The only edit is the port, since the test's stack listens on a
free one instead of 9000.

In a block, a comment right after a command (or after another output comment) is that command's
output; a comment after a blank line, or at the top, is prose. An output that is JSON (a Python
literal in Python blocks) must equal a line the command printed, except that any `created`
number may differ. Any other output is a list of fragments, separated by ` ... `, that must
appear in that order.
"""

import ast
import json
import os
import pathlib
import subprocess

import pytest

from conftest import ROOT

MARKER = "<!-- checked: runs against make dev -->"
COMMENT = {"sh": "#", "python": "#", "js": "//"}


def checked_blocks(readme: str) -> list[tuple[str, str]]:
    lines = readme.splitlines()
    blocks = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        fence = lines[index + 1]
        assert fence.startswith("```"), f"README line {index + 2}: a fence must follow the marker"
        language = fence[3:].strip()
        assert language in COMMENT, f"README line {index + 2}: no runner for {language!r}"
        end = lines.index("```", index + 2)
        blocks.append((language, "\n".join(lines[index + 2:end])))
    return blocks


def expected_outputs(language: str, code: str) -> list[str]:
    marker = COMMENT[language]
    outputs, previous = [], "blank"
    for raw in code.splitlines():
        line = raw.strip()
        if not line:
            previous = "blank"
        elif line.startswith(marker):
            text = line[len(marker):].strip()
            if previous in ("code", "output"):
                outputs.append(text)
                previous = "output"
            else:
                previous = "prose"
        else:
            previous = "code"
    return outputs


def parse(language: str, text: str):
    try:
        return ast.literal_eval(text) if language == "python" else json.loads(text)
    except (ValueError, SyntaxError):
        return None


def same(expected, actual) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(
            (key == "created" and isinstance(value, int) and isinstance(actual[key], int))
            or same(value, actual[key]) for key, value in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(map(same, expected, actual))
    return expected == actual


def assert_prints(language: str, outputs: list[str], printed: str) -> None:
    lines = printed.splitlines()
    cursor = 0
    for expected in outputs:
        value = parse(language, expected)
        if isinstance(value, (dict, list)):
            matches = [i for i in range(cursor, len(lines)) if same(value, parse(language, lines[i]))]
            assert matches, f"no printed line equals {expected}\nprinted:\n{printed}"
            cursor = matches[0] + 1
            continue
        rest = "\n".join(lines[cursor:])
        position = 0
        for fragment in expected.split(" ... "):
            found = rest.find(fragment, position)
            assert found >= 0, f"{fragment!r} was not printed (of {expected!r})\nprinted:\n{printed}"
            position = found + len(fragment)
        cursor += rest[:position].count("\n") + 1


def run(language: str, code: str, port: int) -> subprocess.CompletedProcess:
    code = code.replace("127.0.0.1:9000", f"127.0.0.1:{port}").replace('"9000"', f'"{port}"')
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    env.pop("API_KEY", None)
    env.update(DEV_PORT=str(port), NODE_PATH=str(ROOT / "tests" / "node" / "node_modules"))
    command = {
        "sh": ["bash", "-euo", "pipefail", "-c", code],
        "python": [str(ROOT / ".venv" / "bin" / "python"), "-c", code],
        "js": ["node", "-e", code],
    }[language]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_every_checked_readme_block_runs_as_written(stack_factory):
    blocks = checked_blocks((ROOT / "README.md").read_text())
    assert len(blocks) >= 6, "the README's runnable blocks are marked"
    assert {language for language, _ in blocks} == {"sh", "python", "js"}
    stack = stack_factory(fresh=True).wait_ready()
    for language, code in blocks:
        outputs = expected_outputs(language, code)
        assert outputs, f"a checked block shows what it prints:\n{code}"
        result = run(language, code, stack.port)
        assert result.returncode == 0, f"{code}\nexited {result.returncode}:\n{result.stderr}"
        assert_prints(language, outputs, result.stdout)


@pytest.mark.parametrize("printed, ok", [
    ('{"status":"OK","success":true}', True),
    ('{"status":"OK","success":false}', False),
    ("nothing", False),
])
def test_the_output_check_can_fail(printed, ok):
    outputs = expected_outputs("sh", 'curl -s x\n# {"status":"OK","success":true}')
    assert outputs == ['{"status":"OK","success":true}']
    if ok:
        assert_prints("sh", outputs, printed)
    else:
        with pytest.raises(AssertionError):
            assert_prints("sh", outputs, printed)


def test_prose_comments_are_not_outputs_and_created_may_differ():
    code = "# fetch\ncurl x\n# {\"created\": 1, \"a\": 2}\n\n# HTTP/1.1 404 ... plain"
    assert expected_outputs("sh", code) == ['{"created": 1, "a": 2}']
    assert_prints("sh", ['{"created": 1, "a": 2}'], '{"created": 99, "a": 2}')
    with pytest.raises(AssertionError):
        assert_prints("sh", ['{"created": 1, "a": 2}'], '{"created": 99, "a": 3}')
    assert_prints("sh", ["HTTP/1.1 404 ... plain"], "HTTP/1.1 404 Not Found\nx: plain")
