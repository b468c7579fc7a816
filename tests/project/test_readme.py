"""The README's example of the three steps runs as written and does what it says; the README
says how to reach the installed command."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


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


def test_readme_growth_example_keeps_what_was_learned():
    blocks = _python_blocks()
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # defines X, y
    lines = blocks[1].splitlines(keepends=True)
    cut_grow = next(i for i, line in enumerate(lines) if line.startswith("model.widen("))
    cut_fit = next(i for i, line in enumerate(lines) if line.startswith("history ="))
    run = lambda part: exec(compile("".join(part), str(README), "exec"), namespace)  # noqa: E731
    run(lines[:cut_grow])
    model, X, y = namespace["model"], namespace["X"], namespace["y"]
    loss_before = model.evaluate(X, y, "bce")
    run(lines[cut_grow:cut_fit])
    assert [layer.units for layer in model.layers] == [24, 24, 1]
    # only the symmetry-breaking noise (0.05 of the weights' scale) moves the loss
    assert abs(model.evaluate(X, y, "bce") - loss_before) < 0.05 * loss_before
    run(lines[cut_fit:])
    assert namespace["history"].loss[-1] < loss_before


def test_readme_says_how_to_reach_the_installed_command():
    readme = (ROOT / "README.md").read_text()
    assert ". .venv/bin/activate" in readme and ".venv/bin/layerwise" in readme
