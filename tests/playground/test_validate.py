"""layerwise.playground._validate: every bad value becomes a message and the session lives
on; the checkers themselves on decoded bodies, with their exact messages.
"""

from __future__ import annotations

import json

import pytest

from tests.playground.helpers import JSON, open_session, post, snap

pytest.importorskip("starlette")


def test_limits(client):
    open_session(client)
    for _ in range(4):
        post(client, "network", {"action": "add_layer"})
    err = post(client, "network", {"action": "add_layer"}, status=400)["error"]
    assert "6 hidden layers" in err
    for _ in range(32 - 6):
        post(client, "network", {"action": "add_neuron", "layer": 0})
    err = post(client, "network", {"action": "add_neuron", "layer": 0}, status=400)["error"]
    assert "32" in err


# ---------------------------------------------------------------------------- bad values
BAD = [
    ("control", {"action": "fly"}, "action must be one of play, pause, step, reset"),
    ("control", {}, "action is missing"),
    ("control", {"action": "play", "speed": 3}, "unknown field(s) 'speed'"),
    ("control", [1, 2], "must be a JSON object"),
    ("data", {"dataset": "mnist"}, "dataset must be one of"),
    ("data", {"noise": -0.1}, "noise must be a number in [0, 1]"),
    ("data", {"noise": "lots"}, "noise must be a number"),
    ("data", {"noise": float("nan")}, "noise must be a number"),
    ("data", {"test_ratio": 0.95}, "test_ratio must be a number in [0.1, 0.9]"),
    ("data", {"n_samples": 5}, "n_samples must be an integer in [20, 1000]"),
    ("data", {"n_samples": 50.5}, "n_samples must be an integer"),
    ("data", {"n_samples": True}, "n_samples must be an integer"),
    ("data", {"regenerate": "yes"}, "regenerate must be true or false"),
    ("settings", {"optimizer": "sgdx"}, "optimizer must be one of"),
    ("settings", {"lr": 0}, "lr must be a number in (0, 10]"),
    ("settings", {"lr": -1}, "lr must be a number in (0, 10]"),
    ("settings", {"lr": 100}, "lr must be a number in (0, 10]"),
    ("settings", {"lr": "fast"}, "lr must be a number"),
    ("settings", {"batch_size": 0}, "batch_size must be an integer in [1, 1000]"),
    ("settings", {"batch_size": 2.5}, "batch_size must be an integer"),
    ("settings", {"l2": -1}, "l2 must be a number in [0, 1]"),
    ("network", {"action": "explode"}, "action must be one of"),
    ("network", {"action": "add_neuron"}, "layer is missing"),
    ("network", {"action": "add_neuron", "layer": 2}, "layer must be an integer in [0, 1]"),
    ("network", {"action": "remove_layer", "layer": -1}, "layer must be an integer in [0, 1]"),
    ("network", {"action": "add_neuron", "layer": "0"}, "layer must be an integer"),
    ("network", {"action": "activation", "layer": 0, "activation": "softmax"}, "activation must"),
    ("network", {"action": "activation", "layer": 0}, "activation is missing"),
    ("settings", {"l1": -0.5}, "l1 must be a number in [0, 1]"),
    ("settings", {"features": []}, "features must be a non-empty list"),
    ("settings", {"features": ["x1", "x1"]}, "features must be a non-empty list of distinct"),
    ("settings", {"features": ["cos x1"]}, "features must be a non-empty list"),
    ("settings", {"features": "x1"}, "features must be a non-empty list"),
    ("data", {"add_point": [0, 0]}, "add_point must be [x1, x2, label]"),
    ("data", {"add_point": [0, 0, 1], "noise": 0.2}, "add_point goes alone"),
    ("data", {"dataset": "csv"}, "dataset must be one of"),  # nothing uploaded
    ("network", {"action": "set_weight", "layer": 0, "from": 0, "to": 0}, "value is missing"),
    (
        "network",
        {"action": "set_weight", "layer": 3, "from": 0, "to": 0, "value": 1},
        "layer must be an integer in [0, 2]",
    ),
    (
        "network",
        {"action": "set_weight", "layer": 0, "from": 0, "to": 0, "value": "big"},
        "value must be a number",
    ),
    ("state", {"units": [4] * 7}, "units must be a list of at most 6"),
    ("state", {"units": [4], "activations": ["tanh", "relu"]}, "activations must be a list of 1"),
    ("state", {"seed": -1}, "seed must be an integer"),
    ("state", {"colour": "red"}, "unknown field(s) 'colour'"),
    ("csv", {"csv": ""}, "csv must be the text of a CSV file"),
    ("csv", {"csv": "a,b,label\n1,2,0\n"}, "give 20 to 1000"),
    ("compare", {"lr_a": 0.1, "lr_b": 0.2, "from": "yesterday"}, "from must be one of"),
    ("compare", {"lr_b": 0.1}, "lr_a is missing"),
    ("compare", {"lr_a": 0.1, "lr_b": 0}, "lr_b must be a number in (0, 10]"),
    ("compare", {"lr_a": 0.1, "lr_b": 0.2, "epochs": 0}, "epochs must be an integer"),
    ("compare", {"lr_a": 0.1, "lr_b": 0.2, "epochs": 10**9}, "epochs must be an integer"),
]


@pytest.mark.parametrize(("path", "body", "message"), BAD, ids=[f"{p}-{b}" for p, b, _ in BAD])
def test_bad_values_get_a_message_and_the_session_lives_on(client, path, body, message):
    open_session(client)
    before = snap(client)
    r = client.post(f"/api/session/{client.sid}/{path}", content=json.dumps(body), headers=JSON)
    assert 400 <= r.status_code < 500
    assert message in r.json()["error"]
    after = snap(client)
    assert (after["data"], after["settings"], after["layers"]) == (
        before["data"], before["settings"], before["layers"],
    )  # fmt: skip
    assert post(client, "control", {"action": "step"})["epoch"] == 1


# -------------------------------------------- the checkers themselves, on decoded bodies
@pytest.mark.parametrize(
    "body, kwargs, want",
    [
        ({"lr": 0.5}, {}, 0.5),
        ({"lr": 3}, {}, 3.0),
        ({"lr": 10}, {}, 10.0),  # the upper end is in
        ({}, {"default": 0.1}, 0.1),
        ({"lr": 0}, {}, "lr must be a number in (0, 10], got 0"),  # lo_open
        ({"lr": 10.5}, {}, "lr must be a number in (0, 10], got 10.5"),
        ({"lr": float("nan")}, {}, "lr must be a number in (0, 10], got nan"),
        ({"lr": True}, {}, "lr must be a number in (0, 10], got True"),
        ({"lr": "0.1"}, {}, "lr must be a number in (0, 10], got '0.1'"),
        ({}, {}, "lr is missing; give a number"),
    ],
)
def test_number(body, kwargs, want):
    from layerwise.playground._validate import PlaygroundError, number

    if isinstance(want, str):
        with pytest.raises(PlaygroundError) as err:
            number(body, "lr", 0, 10, lo_open=True, **kwargs)
        assert str(err.value) == want
    else:
        got = number(body, "lr", 0, 10, lo_open=True, **kwargs)
        assert got == want and type(got) is float


def test_integer_choice_flag_names_and_integers():
    from layerwise.playground import _validate as v

    assert v.integer({"n": 16.0}, "n", 1, 32) == 16  # a float with no fraction
    assert v.choice({"opt": " ADAM "}, "opt", ["sgd", "adam"]) == "adam"  # as listed
    assert v.flag({}, "regen") is False and v.flag({"regen": True}, "regen") is True
    assert v.names({"f": ["x2", "x1"]}, "f", ["x1", "x2", "x1x2"]) == ["x1", "x2"]  # in order
    assert v.integers({"u": [4, 8.0]}, "u", 1, 32, 6) == [4, 8]
    refused = [
        (lambda: v.integer({"n": 16.5}, "n", 1, 32), "n must be an integer in [1, 32], got 16.5"),
        (lambda: v.integer({"n": True}, "n", 1, 32), "n must be an integer in [1, 32], got True"),
        (lambda: v.choice({"opt": "lbfgs"}, "opt", ["sgd", "adam"]),
         "opt must be one of sgd, adam; got 'lbfgs'"),
        (lambda: v.flag({"regen": 1}, "regen"), "regen must be true or false, got 1"),
        (lambda: v.names({"f": ["x1", "x1"]}, "f", ["x1", "x2"]),
         "f must be a non-empty list of distinct names from x1, x2; got ['x1', 'x1']"),
        (lambda: v.integers({"u": [1] * 7}, "u", 1, 32, 6),
         "u must be a list of at most 6 integers in [1, 32], got [1, 1, 1, 1, 1, 1, 1]"),
        (lambda: v.integers({"u": [4, 40]}, "u", 1, 32, 6),
         "u must be an integer in [1, 32], got 40"),
        (lambda: v.check_fields([1], ("a",)), "the request body must be a JSON object, got [1]"),
    ]  # fmt: skip
    for call, message in refused:
        with pytest.raises(v.PlaygroundError) as err:
            call()
        assert str(err.value) == message
    long = "x" * 100  # a value is shown cut to 40 characters
    with pytest.raises(v.PlaygroundError, match=r"got 'x{36}\.\.\.$"):
        v.choice({"opt": long}, "opt", ["sgd"])
