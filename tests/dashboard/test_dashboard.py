"""The dashboard in a real browser: Debian's Chromium, a real server, a URL prefix."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.dashboard import studies

pytestmark = pytest.mark.browser
NO_VALUE = "\N{EN DASH}"  # what the table shows for a missing value
BAND = "band (\N{PLUS-MINUS SIGN}2\N{GREEK SMALL LETTER SIGMA})"

PLOT_POINTS = """() => {
  const data = (id) => document.getElementById(id).data || [];
  const trace = (id, name) => data(id).find((t) => t.name === name);
  const count = (t) => (t ? t.y.filter((v) => v !== null).length : 0);
  const lines = data('parcoords-plot').filter((t) => t.meta === 'parcoords-lines')
    .reduce((n, t) => n + t.y.filter((v) => v === null).length, 0);
  const bars = trace('importance-plot', 'importance');
  return {complete: count(trace('history-plot', 'complete')),
          failed: count(trace('history-plot', 'failed')),
          stale: count(trace('history-plot', 'stale')),
          best: count(trace('history-plot', 'best so far')),
          parcoords: lines,
          intermediate: count(trace('intermediate-plot', 'intermediate')),
          importance: bars ? bars.y.length : 0};
}"""


def open_study(page: Any, server: str, name: str) -> None:
    """Open a study page and wait until its trial plots are drawn."""
    page.goto(f"{server}/studies/{name}")
    page.wait_for_function("() => document.body.dataset.loaded", timeout=20_000)


def rows(page: Any) -> list[list[str]]:
    """The trial table's visible rows as cell texts."""
    cells: list[list[str]] = page.eval_on_selector_all(
        "#trials-table tbody tr",
        "rs => rs.map(r => Array.from(r.cells).map(c => c.textContent.trim()))",
    )
    return cells


def test_studies_list_links_to_each_study(page: Any, server: str, api: httpx.Client) -> None:
    studies.create(api, "list-b")
    studies.create(api, "list-a", strategy={"name": "random"})
    studies.record(api, "list-a", [0.5, 0.7])
    page.goto(f"{server}/")
    page.wait_for_selector("#studies-table a:text('list-a')")
    names = page.eval_on_selector_all("#studies-table tbody th", "hs => hs.map(h => h.textContent)")
    assert names.index("list-a") < names.index("list-b")
    row = page.locator("#studies-table tbody tr", has_text="list-a")
    assert "0.7" in row.inner_text() and "2 (2 complete)" in row.inner_text()
    page.click("#studies-table th[data-key=name] button")  # now descending
    page.wait_for_function(
        "() => document.querySelector('#studies-table th[data-key=name]').ariaSort === 'descending'"
    )
    names = page.eval_on_selector_all("#studies-table tbody th", "hs => hs.map(h => h.textContent)")
    assert names.index("list-b") < names.index("list-a")
    page.click("#studies-table a:text('list-a')")
    page.wait_for_url(f"{server}/studies/list-a")
    page.wait_for_function("() => document.body.dataset.loaded")


def test_study_page_draws_every_plot_with_its_points(
    page: Any, server: str, api: httpx.Client
) -> None:
    studies.create(api, "plots", lease_seconds=1, strategy={"name": "random", "seed": 3})
    studies.record(api, "plots", [0.61, 0.72, 0.65, 0.80])
    for curve in ([0.5, 0.6, 0.7], [0.4, 0.55], [0.3, 0.5, 0.6, 0.9]):
        studies.train(api, "plots", curve)
    studies.fail(api, "plots", 2)
    studies.stale_and_running(api, "plots")
    assert studies.counts(api, "plots") == {
        "pending": 0,
        "running": 1,
        "complete": 7,
        "failed": 2,
        "stale": 1,
        "pruned": 0,
    }
    open_study(page, server, "plots")
    page.wait_for_function("() => document.getElementById('importance-plot').data")
    points = page.evaluate(PLOT_POINTS)
    assert points == {
        "complete": 7,
        "failed": 2,
        "stale": 1,
        "best": 4,
        "parcoords": 7,
        "intermediate": 9,
        "importance": 3,
    }
    assert page.inner_text("#trial-count") == "11 of 11 trials"
    assert page.is_hidden("#surrogate-section")  # a random-search study has no surrogate
    summary = page.inner_text("#summary")
    assert "7 complete" in summary and "0.9 (trial 6)" in summary
    live = page.locator("#live")
    assert live.get_attribute("aria-live") == "polite"
    assert live.inner_text().startswith("Live")


CURVES = """() => {
  const trace = (id, name) => (document.getElementById(id).data || []).find((t) => t.name === name);
  const count = (t) => (t ? t.y.filter((v) => v !== null).length : 0);
  const bars = (name) => (trace('epochs-plot', name) || {y: []}).y;
  return {pruned_history: count(trace('history-plot', 'pruned')),
          curves: count(trace('intermediate-plot', 'intermediate')),
          pruned_curves: count(trace('intermediate-plot', 'pruned')),
          dash: trace('intermediate-plot', 'pruned').line.dash,
          epochs: bars('epochs'), pruned_epochs: bars('pruned')};
}"""


def test_learning_curves_draw_pruned_trials_apart_and_epochs_spent(
    page: Any, server: str, api: httpx.Client
) -> None:
    studies.create(api, "curves", pruner={"name": "median", "n_startup_trials": 1})
    for curve in ([0.5, 0.6, 0.7, 0.8, 0.9], [0.4, 0.6, 0.7, 0.75, 0.8]):
        studies.train(api, "curves", curve)
    first = studies.prune(api, "curves", [0.2, 0.1])
    second = studies.prune(api, "curves", [0.3])
    assert studies.counts(api, "curves")["pruned"] == 2
    open_study(page, server, "curves")
    assert page.evaluate(CURVES) == {
        "pruned_history": 2,
        "curves": 10,
        "pruned_curves": 3,
        "dash": "dash",
        "epochs": [5, 5],
        "pruned_epochs": [2, 1],
    }
    listed = page.eval_on_selector_all("#pruned-list li", "ls => ls.map(l => l.textContent)")
    assert listed == [
        f"trial {first}: stopped at step 1 (value 0.1)",
        f"trial {second}: stopped at step 0 (value 0.3)",
    ]
    assert "would have cost 7 more" in page.inner_text("#epochs-note")
    assert "median" in page.inner_text("#summary").lower().split("pruner")[1]
    page.select_option("#state-filter", "pruned")
    page.wait_for_function(
        "() => document.querySelector('#trial-count').textContent.startsWith('2 of')"
    )
    assert [r[1] for r in rows(page)] == ["pruned", "pruned"]


def test_every_request_stays_under_the_url_prefix(
    page: Any, server: str, api: httpx.Client
) -> None:
    studies.create(api, "prefixed")
    studies.record(api, "prefixed", [1.0, 2.0, 3.0])
    open_study(page, server, "prefixed")
    urls = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(u.startswith(server + "/") for u in urls), urls
    assert any("plotly" in u for u in urls)


def test_new_trials_appear_without_a_reload(page: Any, server: str, api: httpx.Client) -> None:
    studies.create(api, "live")
    studies.record(api, "live", [0.1, 0.2])
    open_study(page, server, "live")
    page.evaluate("window.sameDocument = true")
    count = "document.getElementById('history-plot').data[0].x.length"
    assert page.evaluate(count) == 2
    api.post("/studies/live/trials", json={"params": studies.params(5), "value": 0.9})
    page.wait_for_function(f"() => {count} === 3", timeout=6_000)
    assert page.evaluate("window.sameDocument") is True
    page.wait_for_function(
        "() => document.getElementById('trial-count').textContent === '3 of 3 trials'"
    )


def test_table_sorts_filters_and_pages(page: Any, server: str, api: httpx.Client) -> None:
    studies.create(api, "table")
    values = [((i * 37) % 29) / 10 for i in range(30)]
    studies.record(api, "table", values)
    studies.fail(api, "table", 3)
    open_study(page, server, "table")
    assert rows(page)[0][0] == "32"  # newest first
    assert page.inner_text("#page-info") == "Page 1 of 2"
    page.click("#trials-table th[data-key=value] button")
    assert float(rows(page)[0][2]) == min(values)
    page.click("#trials-table th[data-key=value] button")
    assert float(rows(page)[0][2]) == max(values)
    assert rows(page)[-1][2] != NO_VALUE  # failed trials (no value) sort last either way
    page.click("#page-next")
    assert page.inner_text("#page-info") == "Page 2 of 2"
    assert [r[2] for r in rows(page)][-3:] == [NO_VALUE] * 3
    page.select_option("#state-filter", "failed")
    assert [r[1] for r in rows(page)] == ["failed"] * 3
    assert page.inner_text("#trial-count") == "3 of 33 trials"
    page.select_option("#state-filter", "complete")
    assert len(rows(page)) == 25 and page.inner_text("#page-info") == "Page 1 of 2"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_downloads_one_row_per_trial(
    page: Any, server: str, api: httpx.Client, fmt: str
) -> None:
    name = f"export-{fmt}"
    studies.create(api, name)
    studies.record(api, name, [0.1, 0.4, 0.3, 0.2])
    studies.fail(api, name, 1)
    open_study(page, server, name)
    with page.expect_download() as info:
        page.click(f"#export-{fmt}")
    download = info.value
    assert download.suggested_filename == f"{name}-trials.{fmt}"
    text = Path(download.path()).read_text(encoding="utf-8")
    if fmt == "csv":
        table = list(csv.DictReader(io.StringIO(text)))
        assert [r["number"] for r in table] == ["0", "1", "2", "3", "4"]
    else:
        assert len(json.loads(text)["trials"]) == 5


def test_missing_study_page_says_so(page: Any, server: str) -> None:
    response = page.goto(f"{server}/studies/no-such-study")
    assert response.status == 404
    assert "No study called" in page.inner_text("h1")
    page.console_errors.clear()  # Chromium logs the 404 of the document itself


SURROGATE = """() => Object.fromEntries((document.getElementById('surrogate-plot').data || [])
  .map((t) => [t.name, t.y.filter((v) => v !== null).length]))"""


def test_surrogate_view_draws_mean_band_points_and_acquisition(
    page: Any, server: str, api: httpx.Client, gp_engine: None
) -> None:
    studies.create(api, "gp-view", strategy={"name": "gp", "acquisition": "ei", "seed": 1})
    studies.record(api, "gp-view", [0.61, 0.72, 0.65, 0.80, 0.70, 0.58, 0.77, 0.69])
    open_study(page, server, "gp-view")
    assert page.is_visible("#surrogate-section")
    page.wait_for_function(
        "() => (document.getElementById('surrogate-plot').data || []).length > 4"
    )
    assert page.evaluate(SURROGATE) == {
        "upper": 100,
        BAND: 100,
        "mean": 100,
        "observed": 8,
        "acquisition (EI)": 100,
        "next proposal": 1,
    }
    page.select_option("#surrogate-param", "activation")
    page.wait_for_function(
        "() => document.getElementById('surrogate-plot').data[2].x.length === 3", timeout=10_000
    )
    assert page.evaluate(SURROGATE)["observed"] == 8


def test_an_empty_study_explains_what_is_missing(
    page: Any, server: str, api: httpx.Client, gp_engine: None
) -> None:
    studies.create(api, "empty", direction="minimize", strategy={"name": "gp"})
    open_study(page, server, "empty")
    assert page.evaluate(PLOT_POINTS)["complete"] == 0
    assert page.inner_text("#trial-count") == "0 of 0 trials"
    assert "at least 2 complete trials" in page.inner_text("#importance-note")
    assert "at least 2 complete trials" in page.inner_text("#surrogate-note")
    assert page.is_hidden("#intermediate-section")


def summary_value(page: Any, label: str) -> str:
    """The text the study summary shows for one label."""
    value: str = page.eval_on_selector_all(
        "#summary div",
        f"ds => (ds.find(d => d.querySelector('dt').textContent === {label!r}) || "
        "{querySelector: () => ({textContent: ''})}).querySelector('dd').textContent",
    )
    return value


def test_summary_names_the_recommended_re_scored_trial(
    page: Any, server: str, api: httpx.Client
) -> None:
    studies.create(api, "rescored")
    studies.record(api, "rescored", [0.99, 0.97, 0.98])
    open_study(page, server, "rescored")
    posterior = api.get("/studies/rescored/best", params={"by": "posterior"}).json()
    before = summary_value(page, "Recommended")
    assert before.startswith(f"trial {posterior['number']}: ") and "GP posterior mean" in before
    for number, value in ((0, 0.975), (2, 0.981)):
        rescore = {"value": value, "sem": 0.002, "folds": 5, "repeats": 5, "seed": 1}
        answer = api.patch(
            f"/studies/rescored/trials/{number}", json={"metadata": {"rescore": rescore}}
        )
        assert answer.status_code == 200, answer.text
    page.wait_for_function(
        "() => document.getElementById('summary').textContent.includes('trial 2: 0.981')",
        timeout=20_000,
    )
    assert "5 \N{MULTIPLICATION SIGN} 5-fold CV" in summary_value(page, "Recommended")
    best = api.get("/studies/rescored/best", params={"by": "rescore"}).json()
    assert best["number"] == 2  # not trial 0, the study's luckiest value
