"""Several objectives and constraints in the optimisation layer: hypervolume, boxes, EHVI
(checked against Optuna and Monte Carlo), gradients, the strategy contract with values and
slacks, and constraint learning."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from hpo_service.domain import FloatParam, History, Observation, SearchSpace
from hpo_service.optimisation import build_strategy, normalise_strategy
from hpo_service.optimisation.base import suggest
from hpo_service.optimisation.encoding import decode, snap
from hpo_service.optimisation.gp.outcome_proposer import OutcomeProposer, spread
from hpo_service.optimisation.gp.outcomes import log_ehvi
from hpo_service.optimisation.gp.strategy import GPStrategy
from hpo_service.optimisation.pareto import (
    acquisition_reference,
    boxes,
    derived_reference,
    hypervolume,
    nondominated,
)
from hpo_service.optimisation.random_search import sobol_points
from tests.optimisation.conftest import STRATEGY_CONFIGS, toy_objective

UNCONSTRAINED = ("random", "grid", "gp-ei")


def random_front(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    """Points near the positive part of the unit sphere (many non-dominated)."""
    points = np.abs(rng.standard_normal((n, m)))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points * rng.uniform(0.7, 1.0, (n, 1))


@pytest.mark.parametrize("m", [2, 3])
def test_hypervolume_matches_optunas_exact_algorithm(m: int) -> None:
    hv = pytest.importorskip("optuna._hypervolume")
    rng = np.random.default_rng(m)
    for n in (1, 5, 40):
        points = random_front(rng, n, m)
        reference = np.zeros(m)
        ours = hypervolume(points, reference)
        # optuna minimises: negate points and reference
        theirs = hv.compute_hypervolume(-points, -reference, assume_pareto=False)
        assert ours == pytest.approx(theirs, rel=1e-10)


def test_hypervolume_ignores_points_not_above_the_reference_and_dominated_ones() -> None:
    reference = np.array([0.0, 0.0])
    assert hypervolume(np.array([[1.0, 1.0], [0.5, 0.5], [2.0, -1.0]]), reference) == 1.0
    assert hypervolume(np.empty((0, 2)), reference) == 0.0
    assert list(nondominated(np.array([[1.0, 1.0], [0.5, 0.5], [1.0, 1.0]]))) == [
        True,
        False,
        True,
    ]


@pytest.mark.parametrize("m", [1, 2, 3])
def test_boxes_give_the_exact_improvement_of_any_new_point(m: int) -> None:
    rng = np.random.default_rng(10 + m)
    front = random_front(rng, 12, m)
    reference = np.zeros(m)
    lower, upper = boxes(front, reference)
    for _ in range(20):
        y = rng.uniform(0.0, 1.2, m)
        inside = np.clip(np.minimum(upper, y) - lower, 0.0, None).prod(axis=1).sum()
        if m == 1:
            expected = max(0.0, y[0] - front.max())
        else:
            expected = hypervolume(np.vstack([front, y]), reference) - hypervolume(front, reference)
        assert inside == pytest.approx(expected, abs=1e-12)


def test_boxes_merge_neighbouring_cells_and_stay_exact() -> None:
    rng = np.random.default_rng(7)
    points = rng.random((400, 3))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    front = points[nondominated(points)]
    reference = np.full(3, -0.1)
    lower, upper = boxes(front, reference)
    assert len(front) > 30
    assert len(lower) < (len(front) + 1) ** 2 / 4  # the unmerged grid has (n + 1)^2
    for _ in range(50):
        y = rng.uniform(-0.1, 1.1, 3)
        inside = np.clip(np.minimum(upper, y) - lower, 0.0, None).prod(axis=1).sum()
        gain = hypervolume(np.vstack([front, y]), reference) - hypervolume(front, reference)
        assert inside == pytest.approx(gain, abs=1e-12)


@pytest.mark.parametrize("m", [2, 3])
def test_ehvi_matches_monte_carlo(m: int) -> None:
    rng = np.random.default_rng(20 + m)
    front = random_front(rng, 8, m)
    lower, upper = boxes(front, np.zeros(m))
    mean, std = rng.uniform(0.4, 0.9, m), rng.uniform(0.05, 0.3, m)
    value, _, _ = log_ehvi(
        [np.array([mu]) for mu in mean], [np.array([s]) for s in std], lower, upper
    )
    draws = mean + std * rng.standard_normal((100_000, m))
    gains = np.clip(np.minimum(upper[None], draws[:, None]) - lower[None], 0, None)
    monte_carlo = gains.prod(axis=2).sum(axis=1).mean()
    assert np.exp(value[0]) == pytest.approx(monte_carlo, rel=0.02)


def test_one_objective_ehvi_is_expected_improvement() -> None:
    lower, upper = boxes(np.array([[0.3]]), np.array([-5.0]))
    mean, std = np.array([0.1, 0.5, -3.0]), np.array([0.2, 0.1, 0.5])
    value, _, _ = log_ehvi([mean], [std], lower, upper)
    z = (mean - 0.3) / std
    expected = (mean - 0.3) * norm.cdf(z) + std * norm.pdf(z)
    assert np.exp(value) == pytest.approx(expected, rel=1e-9)


SPACE = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("y", 0.0, 1.0)))


def two_objective_history(n: int, pending: int = 0, constrained: bool = True) -> History:
    """Observations of a two-objective problem with one constraint (x + y <= 1.2)."""
    points = sobol_points(2, 4, 0, n + pending)
    configs = [decode(SPACE, p) for p in points]
    observations = []
    for c in configs[:n]:
        x, y = float(c["x"]), float(c["y"])
        values = (-(x**2) - y, -((x - 1) ** 2) - y)
        slacks = (x + y - 1.2,) if constrained else ()
        observations.append(Observation(c, values[0], values, slacks))
    return History(tuple(observations), tuple(configs[n:]))


def gp() -> GPStrategy:
    strategy = build_strategy(normalise_strategy({"name": "gp", "n_initial": 4}, SPACE))
    assert isinstance(strategy, GPStrategy)
    return strategy


def test_gp_uses_ehvi_and_the_gradient_is_right() -> None:
    history = two_objective_history(12)
    proposer = gp().prepare(SPACE, history, 3)
    assert isinstance(proposer, OutcomeProposer)  # not the random fallback
    surface = proposer.surface([])
    rng = np.random.default_rng(0)
    cube = snap(SPACE, rng.uniform(0.05, 0.95, (6, 2)))
    cols = np.array([0, 1])
    value, grad = surface.score_with_gradient(cube, cols)
    assert value == pytest.approx(surface.score(cube))
    step = 1e-6
    for j in cols:
        up, down = cube.copy(), cube.copy()
        up[:, j] += step
        down[:, j] -= step
        numeric = (surface.score(up) - surface.score(down)) / (2 * step)
        assert grad[:, j] == pytest.approx(numeric, rel=1e-3, abs=1e-4)


def test_same_history_and_seed_give_the_same_proposal_with_pending() -> None:
    history = two_objective_history(12, pending=2)
    first = suggest(gp(), SPACE, history, 3, seed=9)
    again = suggest(gp(), SPACE, history, 3, seed=9)
    assert first == again
    keys = {SPACE.key(p) for p in [*history.pending, *first]}
    assert len(keys) == len(history.pending) + 3


@pytest.mark.parametrize("name", UNCONSTRAINED)
def test_every_strategy_accepts_values_and_slacks(name: str) -> None:
    from tests.optimisation.conftest import SPACES

    for space in SPACES.values():
        points = sobol_points(len(space.params), 1, 0, 10)
        configs = [decode(space, p) for p in points]
        observations = tuple(
            Observation(c, toy_objective(space, c), (toy_objective(space, c), -i), (i - 5.0,))
            for i, c in enumerate(configs[:8])
        )
        history = History(observations, tuple(configs[8:]))
        strategy = build_strategy(normalise_strategy(STRATEGY_CONFIGS[name], space))
        proposals = suggest(strategy, space, history, 2, seed=1)
        assert len(proposals) == 2
        for params in proposals:
            space.check(params)
        assert proposals == suggest(strategy, space, history, 2, seed=1)
        assert not {space.key(p) for p in history.pending} & {space.key(p) for p in proposals}


def test_constrained_gp_proposes_where_the_constraint_model_says_feasible() -> None:
    # maximise x on [0, 1] subject to x <= 0.4: the best feasible point is at 0.4
    space = SearchSpace((FloatParam("x", 0.0, 1.0),))
    xs = [0.05, 0.2, 0.35, 0.5, 0.7, 0.9, 0.95]
    observations = tuple(Observation({"x": x}, x, (x,), (x - 0.4,)) for x in xs)
    strategy = build_strategy(normalise_strategy({"name": "gp", "n_initial": 4}, space))
    proposals = suggest(strategy, space, History(observations), 1, seed=0)
    assert 0.3 < float(proposals[0]["x"]) < 0.5


def test_without_a_feasible_point_the_gp_maximises_the_probability_of_feasibility() -> None:
    space = SearchSpace((FloatParam("x", 0.0, 1.0),))
    xs = [0.5, 0.6, 0.7, 0.8, 0.9]  # feasible needs x <= 0.2, never seen
    observations = tuple(Observation({"x": x}, x, (x,), (x - 0.2,)) for x in xs)
    strategy = build_strategy(normalise_strategy({"name": "gp", "n_initial": 4}, space))
    proposals = suggest(strategy, space, History(observations), 1, seed=0)
    assert float(proposals[0]["x"]) < 0.45


def test_derived_reference_is_the_nadir_worsened_by_a_tenth_of_the_range() -> None:
    points = np.array([[1.0, -30.0], [0.8, -10.0]])
    assert derived_reference(points) == pytest.approx([0.78, -32.0])


def test_acquisition_reference_lies_halfway_from_the_front_to_the_worst_observation() -> None:
    front = np.array([[1.0, 0.0], [0.0, 1.0]])
    observed = np.vstack([front, [[-3.0, -1.0]]])
    assert acquisition_reference(front, observed) == pytest.approx([-1.5, -0.5])


def test_acquisition_reference_ignores_dominated_feasible_points() -> None:
    feasible = np.array([[1.0, 0.0], [0.0, 1.0], [-0.5, -0.5]])
    # the front's nadir is (0, 0); the dominated point is the worst observation
    assert acquisition_reference(feasible, feasible) == pytest.approx([-0.25, -0.25])


def test_acquisition_reference_keeps_a_one_point_front_from_shrinking_the_box() -> None:
    # the ZDT1 collapse: a front of one point at f1 = 0 (maximised: -0). From the front alone
    # the box would be 0.1 wide in f1; halfway to the worst observation it is half the spread
    feasible = np.array([[0.0, -0.5]])
    observed = np.vstack([feasible, [[-1.0, -2.0], [-0.4, -3.0]]])
    reference = acquisition_reference(feasible, observed)
    assert reference == pytest.approx([-0.5, -1.75])


def test_acquisition_reference_of_identical_points_uses_the_fallback_margin() -> None:
    points = np.array([[2.0, -30.0], [2.0, -30.0]])
    assert acquisition_reference(points, points) == pytest.approx([1.8, -33.0])
    assert acquisition_reference(np.empty((0, 2)), points) == pytest.approx([1.8, -33.0])


def test_acquisition_reference_spans_infeasible_observations_so_a_small_front_can_grow() -> None:
    # maximise x and 1 - x subject to x <= 0.15; the feasible points seen so far are bunched
    # at x <= 0.1. A reference point derived from those alone would lie just below them
    # (f2 >= 0.89), so extending the front towards larger x would earn no hypervolume; the
    # reference reaching towards every observation, infeasible ones included, makes x in
    # (0.1, 0.15] worth trying.
    space = SearchSpace((FloatParam("x", 0.0, 1.0),))
    xs = [0.02, 0.06, 0.1, 0.3, 0.5, 0.7, 0.9]
    observations = tuple(Observation({"x": x}, x, (x, 1.0 - x), (x - 0.15,)) for x in xs)
    strategy = build_strategy(normalise_strategy({"name": "gp", "n_initial": 4}, space))
    proposer = strategy.prepare(space, History(observations), 0)
    assert isinstance(proposer, OutcomeProposer)
    assert proposer.surface([]).lower is not None
    proposal = float(proposer.propose([], 1)[0]["x"])
    assert 0.11 < proposal < 0.3


def test_acquisition_reference_widens_to_the_predicted_nadir_of_the_payoff_table() -> None:
    front = np.array([[1.0, 0.0], [0.0, 1.0]])
    observed = np.vstack([front, [[-3.0, -1.0]]])
    # row i: the predicted optimum of objective i; objective 2 is predicted to reach -2.0
    # where objective 1 is best, beyond anything observed (-1.0)
    payoff = np.array([[1.2, -2.0], [-0.4, 1.1]])
    reference = acquisition_reference(front, observed, payoff)
    # objective 1: halfway (-1.5) is already wider than the payoff's -0.4 - 0.16
    # objective 2: the predicted nadir -2.0 less a tenth of its distance to 1.1
    assert reference == pytest.approx([-1.5, -2.31])


def test_acquisition_reference_never_widens_beyond_one_observed_range() -> None:
    front = np.array([[1.0, 0.0], [0.0, 1.0]])
    observed = np.vstack([front, [[-3.0, -1.0]]])
    wild = np.array([[1.0, -500.0], [-500.0, 1.0]])
    # observed ranges 4 and 2 below the worst observations -3 and -1
    assert acquisition_reference(front, observed, wild) == pytest.approx([-7.0, -3.0])


def test_acquisition_reference_is_not_narrowed_by_the_payoff_table() -> None:
    front = np.array([[1.0, 0.0], [0.0, 1.0]])
    observed = np.vstack([front, [[-3.0, -1.0]]])
    narrow = np.array([[1.0, 0.5], [0.5, 1.0]])
    assert acquisition_reference(front, observed, narrow) == pytest.approx([-1.5, -0.5])


def test_the_gp_extends_a_front_whose_ends_lie_beyond_the_observations() -> None:
    # maximise (x, -x): every point is Pareto-optimal, the observations cover x in
    # [0.3, 0.7] only. A reference from the observations alone closes the box at x = 0.26
    # and 0.74 and the proposal fills a gap inside; the models predict both ends beyond
    space = SearchSpace((FloatParam("x", 0.0, 1.0), FloatParam("z", 0.0, 1.0)))
    observations = tuple(
        Observation({"x": float(x), "z": 0.0}, float(x), (float(x), float(-x)))
        for x in np.linspace(0.3, 0.7, 9)
    )
    strategy = build_strategy(normalise_strategy({"name": "gp", "n_initial": 4}, space))
    for seed in range(3):
        x = float(suggest(strategy, space, History(observations), 1, seed=seed)[0]["x"])
        assert x <= 0.2 or x >= 0.8


def test_incumbents_spread_over_the_front_from_each_objectives_best() -> None:
    # a front of 50 points in the order found; perturbing only the first 8 found would
    # leave the rest of the front without local candidates
    angles = np.linspace(0.0, np.pi / 2, 50)
    front = np.column_stack([np.cos(angles), np.sin(angles)])
    chosen = spread(front, 8)
    assert chosen[:2] == [0, 49]  # the best of each objective
    assert len(set(chosen)) == 8
    gaps = np.linalg.norm(front[chosen][:, None] - front[chosen][None], axis=2)
    assert gaps[~np.eye(8, dtype=bool)].min() > 0.15  # about pi/2 / 7 apart, not 0.03
    assert spread(np.ones((4, 2)), 8) == [0]  # repeats of one point are one incumbent
