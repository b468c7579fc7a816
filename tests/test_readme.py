"""The README's example of the three steps runs as written and does what it says."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_a_short_three_step_example():
    blocks = _python_blocks()
    assert blocks, "README.md has no python example"
    lines = [line for line in blocks[0].splitlines() if line.strip()]
    assert len(lines) <= 25
    for step in ("model.forward(", "model.backward(", "model.update("):
        assert step in blocks[0]


def test_readme_example_runs_and_learns(capsys):
    namespace: dict = {}
    exec(compile(_python_blocks()[0], str(README), "exec"), namespace)
    out = capsys.readouterr().out
    accuracy = float(re.search(r"training accuracy ([0-9.]+)", out).group(1))
    assert accuracy >= 0.95
    history = namespace["history"]
    assert history.loss[-1] < 0.5 * history.loss[0]
