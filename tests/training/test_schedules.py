"""Learning-rate schedules against torch.optim.lr_scheduler, epoch by epoch, and in fit."""

from __future__ import annotations

import math

import numpy as np
import pytest

import layerwise as lw
from layerwise.training import schedules

torch = pytest.importorskip("torch")
S = torch.optim.lr_scheduler


def _torch_lrs(make, epochs, base=0.1, metrics=None):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    sched = make(opt)
    lrs = []
    for e in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(metrics[e]) if metrics is not None else sched.step()
    return lrs


def _our_lrs(schedule, epochs, base=0.1, metrics=None):
    opt = lw.optimizers.SGD(lr=base)
    schedule.attach(opt)
    lrs = []
    for e in range(epochs):
        schedule.begin_epoch(opt)
        lrs.append(opt.lr)
        schedule.end_epoch({"val_loss": metrics[e]} if metrics is not None else {}, opt)
    return lrs


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda: schedules.StepLR(3, 0.5), lambda o: S.StepLR(o, 3, 0.5)),
        (lambda: schedules.StepLR(1), lambda o: S.StepLR(o, 1)),
        (lambda: schedules.ExponentialLR(0.9), lambda o: S.ExponentialLR(o, 0.9)),
        (lambda: schedules.CosineAnnealing(10), lambda o: S.CosineAnnealingLR(o, 10)),
        (
            lambda: schedules.CosineAnnealing(7, eta_min=0.01),
            lambda o: S.CosineAnnealingLR(o, 7, eta_min=0.01),
        ),
        (
            lambda: schedules.CosineAnnealing(12, eta_min=0.001, warmup_epochs=4),
            lambda o: S.SequentialLR(
                o,
                [
                    S.LinearLR(o, start_factor=1 / 5, total_iters=4),
                    S.CosineAnnealingLR(o, 8, eta_min=0.001),
                ],
                milestones=[4],
            ),  # fmt: skip
        ),
    ],
)
def test_matches_torch_epoch_by_epoch(ours, theirs):
    epochs = 25  # past T_max: the cosine rises again, as torch's
    got, want = _our_lrs(ours(), epochs), _torch_lrs(theirs, epochs)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(got, 12))) > 1  # the rate did move


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(),
        dict(factor=0.5, patience=2),
        dict(factor=0.5, patience=1, cooldown=2, min_lr=0.02),
        dict(factor=0.3, patience=0, threshold=0.05, threshold_mode="abs"),
        dict(mode="max", factor=0.5, patience=1),
    ],
)
def test_plateau_matches_torch(kwargs):
    rng = np.random.default_rng(1)
    # a noisy plateau: falls, then wanders
    metrics = list(np.r_[np.linspace(1.0, 0.5, 8), 0.5 + 0.02 * rng.normal(size=32)])
    got = _our_lrs(schedules.ReduceLROnPlateau(**kwargs), 40, metrics=metrics)
    want = _torch_lrs(lambda o: S.ReduceLROnPlateau(o, **kwargs), 40, metrics=metrics)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert min(got) < 0.1


def test_fit_records_the_scheduled_lr_and_resumes_the_schedule():
    X = np.random.default_rng(0).normal(size=(30, 2))
    y = X[:, :1] * 2
    model = lw.mlp(2, [4], 1, seed=0)
    h = model.fit(X, y, optimizer="sgd", lr=0.1, epochs=6, schedule=schedules.StepLR(2, 0.5),
                  verbose=False)  # fmt: skip
    assert h.lr == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    # a second fit continues the attached schedule (torch's counting, not restarted)
    h2 = model.fit(X, y, epochs=3, verbose=False)
    assert h2.lr == pytest.approx([0.0125, 0.0125, 0.00625])
    again = lw.optimizers.from_config(model.optimizer.get_config())
    assert again.schedule.epoch == 9 and again.schedule.base_lr == 0.1


def test_config_round_trip_keeps_position():
    s = schedules.ReduceLROnPlateau("loss", patience=2, factor=0.5)
    opt = lw.optimizers.Adam(lr=0.01)
    s.attach(opt)
    for v in (1.0, 0.9, 0.95, 0.96, 0.97):
        s.end_epoch({"loss": v}, opt)
    t = schedules.from_config(s.get_config())
    assert (t.best, t.num_bad_epochs, t.epoch, t.base_lr) == (0.9, 0, 5, 0.01)
    assert opt.lr == 0.005


def test_from_spec():
    s = schedules.from_spec("step:step_size=10,gamma=0.5")
    assert isinstance(s, schedules.StepLR) and (s.step_size, s.gamma) == (10, 0.5)
    c = schedules.from_spec("cosine:warmup_epochs=2", epochs=30)
    assert (c.T_max, c.warmup_epochs) == (30, 2)
    p = schedules.from_spec("plateau:monitor=loss,patience=3")
    assert (p.monitor, p.patience) == ("loss", 3)
    with pytest.raises(ValueError, match="valid names"):
        schedules.from_spec("linear")
    with pytest.raises(ValueError, match="needs T_max"):
        schedules.from_spec("cosine")
    with pytest.raises(ValueError, match="bad options"):
        schedules.from_spec("exp:gama=0.9")


def test_bad_arguments():
    with pytest.raises(ValueError, match="gamma must be a number in"):
        schedules.StepLR(2, gamma=1.5)
    with pytest.raises(ValueError, match="warmup_epochs must be in"):
        schedules.CosineAnnealing(5, warmup_epochs=5)
    with pytest.raises(TypeError, match="schedule must be a lw.schedules"):
        lw.mlp(1, [], 1).fit([[0.0]], [0.0], epochs=1, schedule="cosine", verbose=False)
    with pytest.raises(ValueError, match="monitors 'val_loss'"):
        lw.mlp(1, [], 1).fit([[0.0], [1.0]], [0.0, 1.0], epochs=1, verbose=False,
                             schedule=schedules.ReduceLROnPlateau())  # fmt: skip
    assert math.isclose(schedules.ExponentialLR(0.5).get_config()["gamma"], 0.5)


def test_plateau_on_a_rising_score_keeps_the_rate_and_cuts_it_when_the_score_stalls():
    class Opt:
        lr = 1.0

    plateau = schedules.ReduceLROnPlateau("val_score", patience=1, factor=0.5)
    opt = Opt()
    for score in (0.5, 0.6, 0.7, 0.8):  # rising: no cut (the bug cut here)
        plateau.end_epoch({"val_score": score}, opt)
    assert opt.lr == 1.0
    for score in (0.8, 0.8):
        plateau.end_epoch({"val_score": score}, opt)
    assert opt.lr == 0.5
