"""The Pareto panel in a real browser: 2 objectives as a scatter with the front as a step
line, 3 as parallel coordinates, infeasible trials apart, hypervolume over trials."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.dashboard import studies
from tests.dashboard.test_dashboard import open_study

pytestmark = pytest.mark.browser

PARETO = """() => {
  const section = document.getElementById('pareto-section');
  const data = (id) => document.getElementById(id).data || [];
  const trace = (id, name) => data(id).find((t) => t.name === name);
  const count = (t) => (t ? t.y.filter((v) => v !== null).length : 0);
  const hv = trace('hypervolume-plot', 'hypervolume');
  return {hidden: section.hidden, front: section.dataset.front,
          frontPoints: count(trace('pareto-plot', 'Pareto front')),
          feasible: count(trace('pareto-plot', 'feasible')),
          infeasible: count(trace('pareto-plot', 'infeasible')),
          shape: (trace('pareto-plot', 'Pareto front') || {line: {}}).line.shape,
          shapes: ((document.getElementById('pareto-plot').layout || {}).shapes || []).length,
          hv: hv ? hv.y : [],
          svgTraces: document.querySelectorAll('#pareto-plot .scatterlayer .trace').length};
}"""


def record(api: httpx.Client, name: str, values: list[dict[str, float]]) -> None:
    """Record evaluated trials with values by name."""
    for i, value in enumerate(values):
        body = {"params": studies.params(i), "values": value}
        response = api.post(f"/studies/{name}/trials", json=body)
        assert response.status_code == 201, response.text


def test_two_objectives_scatter_front_infeasible_and_hypervolume(
    page: Any, server: str, api: httpx.Client
) -> None:
    studies.create(
        api,
        "mo-two",
        direction=None,
        metric=None,
        objectives=[
            {"name": "accuracy", "direction": "maximize"},
            {"name": "seconds", "direction": "minimize"},
        ],
        constraints=[{"name": "seconds", "max": 50}],
    )
    record(
        api,
        "mo-two",
        [
            {"accuracy": 0.9, "seconds": 30},  # front
            {"accuracy": 0.8, "seconds": 10},  # front
            {"accuracy": 0.7, "seconds": 40},  # dominated
            {"accuracy": 0.99, "seconds": 80},  # infeasible
        ],
    )
    open_study(page, server, "mo-two")
    page.wait_for_function("() => document.getElementById('pareto-section').dataset.front")
    shown = page.evaluate(PARETO)
    assert shown["hidden"] is False and shown["front"] == "2"
    assert shown["frontPoints"] == 2 and shown["shape"] == "hv"
    assert (shown["feasible"], shown["infeasible"]) == (3, 1)
    assert shown["shapes"] == 1  # the seconds <= 50 boundary
    assert shown["svgTraces"] == 3
    assert len(shown["hv"]) == 3 and shown["hv"][0] < shown["hv"][1] == shown["hv"][2]
    note = page.text_content("#pareto-note")
    assert "2 trials on the front of 3 feasible" in note and "1 infeasible" in note


def test_three_objectives_parallel_coordinates(page: Any, server: str, api: httpx.Client) -> None:
    studies.create(
        api,
        "mo-three",
        direction=None,
        metric=None,
        objectives=[
            {"name": "a", "direction": "maximize"},
            {"name": "b", "direction": "minimize"},
            {"name": "c", "direction": "minimize"},
        ],
    )
    record(
        api,
        "mo-three",
        [{"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 3, "c": 1}, {"a": 0, "b": 5, "c": 5}],
    )
    open_study(page, server, "mo-three")
    page.wait_for_function("() => document.getElementById('pareto-section').dataset.front")
    shown = page.evaluate(PARETO)
    assert shown["front"] == "2"
    assert shown["frontPoints"] == 2 * 3  # two lines across three axes
    assert len(shown["hv"]) == 3


def test_single_objective_study_has_no_pareto_panel(
    page: Any, server: str, api: httpx.Client
) -> None:
    studies.create(api, "mo-none")
    studies.record(api, "mo-none", [0.5, 0.6])
    open_study(page, server, "mo-none")
    assert page.evaluate(PARETO)["hidden"] is True
