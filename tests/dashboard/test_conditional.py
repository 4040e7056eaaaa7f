"""A conditional study in the browser: table dashes, parallel coordinates, surrogate view."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.dashboard.test_dashboard import SURROGATE, open_study, rows
from tests.service.test_conditional_api import SPACE

pytestmark = pytest.mark.browser
INACTIVE = "\N{EM DASH}"
CONFIGS: list[tuple[dict[str, Any], float]] = [
    ({"n_layers": 1, "solver": "adam"}, 0.61),
    ({"n_layers": 2, "units_2": 64, "solver": "sgd", "momentum": 0.9}, 0.83),
    ({"n_layers": 3, "units_2": 16, "solver": "adam"}, 0.70),
    ({"n_layers": 1, "solver": "sgd", "momentum": 0.2}, 0.58),
    ({"n_layers": 2, "units_2": 32, "solver": "adam"}, 0.74),
    ({"n_layers": 3, "units_2": 48, "solver": "sgd", "momentum": 0.5}, 0.77),
]
PARCOORDS = """() => {
  const lines = document.getElementById('parcoords-plot').data
    .filter((t) => t.meta === 'parcoords-lines');
  const ys = lines.flatMap((t) => t.y);
  return {lines: ys.filter((v) => v === null).length,
          nan: ys.filter((v) => v !== null && !Number.isFinite(v)).length,
          inactive: ys.filter((v) => v !== null && v < -0.05).length};
}"""


def test_a_conditional_study_renders_without_errors(
    page: Any, server: str, api: httpx.Client, gp_engine: None
) -> None:
    body = {"name": "conditional", "direction": "maximize", "metric": "accuracy", "space": SPACE}
    response = api.post("/studies", json={**body, "strategy": {"name": "gp", "seed": 2}})
    assert response.status_code == 201, response.text
    for params, value in CONFIGS:
        answer = api.post("/studies/conditional/trials", json={"params": params, "value": value})
        assert answer.status_code == 201, answer.text
    open_study(page, server, "conditional")
    shown = {r[0]: r for r in rows(page)}
    # columns: #, state, accuracy, n_layers, units_2, solver, momentum, ...
    assert shown["0"][4] == INACTIVE and shown["0"][6] == INACTIVE
    assert shown["1"][4] == "64" and shown["1"][6] == "0.9"
    title = page.get_attribute("#trials-table tbody td.inactive", "title")
    assert title is not None and title.startswith("inactive: only when")
    page.wait_for_function(
        "() => (document.getElementById('parcoords-plot').data || []).length > 0"
    )
    # 6 lines; trials 0, 3 lack units_2; 0, 2, 4 lack momentum: 5 inactive crossings
    assert page.evaluate(PARCOORDS) == {"lines": 6, "nan": 0, "inactive": 5}
    page.wait_for_function(
        "() => (document.getElementById('surrogate-plot').data || []).length > 4"
    )
    page.select_option("#surrogate-param", "momentum")
    page.wait_for_function(
        "() => document.getElementById('surrogate-note').textContent.includes('where momentum')",
        timeout=10_000,
    )
    assert page.evaluate(SURROGATE)["observed"] == 3
    page.select_option("#surrogate-param", "n_layers")
    page.wait_for_function(
        "() => document.getElementById('surrogate-plot').data[2].x.length === 3", timeout=10_000
    )
