from __future__ import annotations

import io
import json
import re

import pytest
from rich.console import Console

from asyncgen import recommend, speed
from asyncgen.display import ranking_table
from asyncgen.frameworks import BY_NAME
from asyncgen.frameworks import NAMES as FRAMEWORKS
from asyncgen.recommend import RULES, Rule, rank
from asyncgen.requirements import Requirements

from conftest import REPO

# The seed article's own examples, as profiles: (answers, the winner, the seed sentence it rests on).
SEED_PROFILES = {
    "a new API, nothing special": ({}, "fastapi", recommend.SEED_FASTAPI),
    "a new API built by a junior team": ({"team_experience": "junior"}, "fastapi", recommend.SEED_JUNIOR),
    "market-data WebSocket streams, thousands of concurrent feeds, throughput first": (
        {"priority": "throughput", "realtime": True},
        "sanic",
        recommend.SEED_SANIC,
    ),
    "a proxy or crawler that manages every aspect of its connections": (
        {"connection_control": True, "low_level_control": True, "api_docs": False},
        "aiohttp",
        recommend.SEED_AIOHTTP,
    ),
    "a team from .NET": ({"team_background": "dotnet"}, "blacksheep", recommend.SEED_BLACKSHEEP),
    "a .NET team that wants a formalised structure with DI for a business monolith": (
        {"team_background": "dotnet", "architecture": "monolith", "needs_di_plugins": True},
        "blacksheep",
        recommend.SEED_BLACKSHEEP,
    ),
    "a Flask team porting its Flask code base to async": (
        {"migrating_from_flask": True, "team_background": "flask"},
        "quart",
        recommend.SEED_QUART,
    ),
    "a CQRS business monolith with DI and plugins": (
        {"architecture": "monolith", "needs_di_plugins": True},
        "litestar",
        recommend.SEED_LITESTAR,
    ),
    "a bespoke low-level gateway on an ASGI toolkit, latency first": (
        {"low_level_control": True, "api_docs": False, "priority": "latency"},
        "starlette",
        recommend.SEED_STARLETTE,
    ),
    "a .NET team that has to hire: a niche framework complicates hiring": (
        {"team_background": "dotnet", "hiring_matters": True},
        "fastapi",
        recommend.SEED_HIRING,
    ),
}


@pytest.mark.parametrize("profile", SEED_PROFILES)
def test_the_seeds_examples_win_as_the_seed_says(profile: str) -> None:
    answers, winner, source = SEED_PROFILES[profile]
    ranking = rank(Requirements(**answers))
    assert ranking[0].framework == winner
    assert ranking[0].score > ranking[1].score, "a winning profile should not be a tie"
    assert source in ranking[0].sources
    assert source in _shown(ranking)


def test_every_framework_wins_a_seed_profile() -> None:
    assert {winner for _, winner, _ in SEED_PROFILES.values()} == set(FRAMEWORKS)


@pytest.mark.parametrize(
    ("answers", "winner"),
    [
        ({"priority": "throughput"}, "sanic"),
        ({"migrating_from_flask": True}, "quart"),
        ({"needs_di_plugins": True}, "litestar"),
        ({"low_level_control": True}, "starlette"),
        ({"connection_control": True}, "aiohttp"),
        ({"team_background": "flask"}, "quart"),
    ],
)
def test_one_answer_is_enough_for_the_seeds_clear_picks(answers: dict[str, object], winner: str) -> None:
    assert rank(Requirements(**answers))[0].framework == winner


def _shown(ranking: list[recommend.Recommendation]) -> str:
    console = Console(file=io.StringIO(), width=400, record=True)
    console.print(ranking_table(ranking))
    return console.export_text()


def test_ranking_covers_every_framework_once() -> None:
    ranking = rank(Requirements())
    assert sorted(rec.framework for rec in ranking) == sorted(FRAMEWORKS)


def test_ranking_is_sorted_and_ties_keep_catalogue_order() -> None:
    ranking = rank(Requirements(priority="latency"))
    scores = [rec.score for rec in ranking]
    assert scores == sorted(scores, reverse=True)
    tied = [rec.framework for rec in ranking if rec.score == ranking[0].score]
    assert tied == [name for name in FRAMEWORKS if name in tied]


def test_score_is_the_sum_of_its_reasons_and_each_has_a_source() -> None:
    profile = Requirements(priority="throughput", realtime=True, needs_di_plugins=True)
    for rec in rank(profile):
        assert rec.score == sum(int(reason.split()[0]) for reason in rec.reasons)
        assert len(rec.sources) == len(rec.reasons)


def _profile_for(key: str, value: object) -> Requirements:
    return Requirements(**{} if key == "*" else {key: value})


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.key}={rule.value}:{next(iter(rule.points))}")
def test_every_rule_moves_the_scores_it_names(rule: Rule) -> None:
    """Flipping a rule's answer on (from a profile where it is off) adds exactly its points."""
    with_rule = {rec.framework: rec for rec in rank(_profile_for(rule.key, rule.value))}
    for framework, points in rule.points.items():
        reasons = with_rule[framework].reasons
        assert f"{points:+d} {rule.reason}" in reasons
        assert with_rule[framework].sources[reasons.index(f"{points:+d} {rule.reason}")] == rule.source
    if rule.key == "*":
        return
    # Any other value of the same key does not trigger it.
    field = Requirements.model_fields[rule.key]
    other = next(v for v in _values(field.annotation) if v != rule.value)
    without = {rec.framework: rec for rec in rank(Requirements(**{rule.key: other}))}
    for framework in rule.points:
        assert f"{rule.points[framework]:+d} {rule.reason}" not in without[framework].reasons


def _values(annotation: object) -> tuple[object, ...]:
    from typing import get_args

    return (True, False) if annotation is bool else get_args(annotation)


def test_reasons_are_readable_sentences() -> None:
    for rule in RULES:
        assert len(rule.reason.split()) >= 4, rule.reason


def test_every_rule_names_its_source() -> None:
    """A rule encodes a sentence of the seed article or a measurement of ours; nothing else."""
    for rule in RULES:
        kind, _, what = rule.source.partition(": ")
        assert kind in ("seed", "measured"), rule
        assert len(what.split()) >= 5, rule.source


RUN = json.loads((REPO / "src" / "asyncgen" / "measured.json").read_text())


def _ratio(framework: str, kind: str, figure: str) -> float:
    ours, fastapi = RUN["frameworks"][framework], RUN["frameworks"]["fastapi"]
    if kind == "half load":
        return ours["uncached_p99_at_half_load_ms"] / fastapi["uncached_p99_at_half_load_ms"]
    return ours[kind][figure] / fastapi[kind][figure]


def test_speed_rules_quote_the_recorded_run_of_the_generated_services() -> None:
    """Every ratio a speed rule quotes is recomputed here from the recorded run's medians."""
    labels = {"/health/live": "live", "cached read": "cached", "uncached PostgreSQL read": "uncached"}
    labels["uncached read at half load"] = "half load"
    speed_rules = [rule for rule in RULES if rule.key == "priority" and rule.source.startswith("measured")]
    assert speed_rules
    for rule in speed_rules:
        (framework,) = rule.points
        assert RUN["measured"] in rule.source
        figure = "rps" if rule.value == "throughput" else "p99_ms"
        quoted = dict(re.findall(r"([/\w][\w /]+?) (\d+\.\d\d)x", rule.source.split("FastAPI's: ")[1]))
        assert {labels[name] for name in quoted} >= {"live", "cached", "uncached"}, rule.source
        for name, ratio in quoted.items():
            assert float(ratio) == pytest.approx(_ratio(framework, labels[name], figure), abs=0.0051), name


def test_the_recorded_run_measured_every_framework() -> None:
    assert set(FRAMEWORKS) <= set(RUN["frameworks"])


def test_speed_points_follow_the_ratios_of_the_run() -> None:
    """The rules are the data's: a faster service in another run earns more, a slower one less."""
    document = json.loads(json.dumps(RUN))
    quart = document["frameworks"]["quart"]
    for kind in ("live", "cached", "uncached"):
        quart[kind]["rps"] = 3 * document["frameworks"]["fastapi"][kind]["rps"]
        quart[kind]["p99_ms"] = 0.3 * document["frameworks"]["fastapi"][kind]["p99_ms"]
    quart["uncached_p99_at_half_load_ms"] = (
        0.3 * document["frameworks"]["fastapi"]["uncached_p99_at_half_load_ms"]
    )
    rules = {(rule.value, *rule.points): rule for rule in recommend.speed_rules(speed.parse(document))}
    assert rules["throughput", "quart"].points == {"quart": 5}
    assert rules["latency", "quart"].points == {"quart": 4}
    assert "3.00x FastAPI's requests/s" in rules["throughput", "quart"].reason
    shipped = {(rule.value, *rule.points): rule for rule in RULES if rule.source.startswith("measured: the")}
    assert shipped["throughput", "quart"].points["quart"] < 0


@pytest.mark.parametrize("priority", ["throughput", "latency"])
def test_recommend_shows_the_measured_figure_behind_each_speed_reason(priority: str) -> None:
    ranking = rank(Requirements(priority=priority))
    shown = _shown(ranking)
    run = speed.recorded_run()
    for rec in ranking:
        speed_reasons = [
            reason
            for reason in rec.reasons
            if reason.split(" ", 1)[1].startswith(("raw throughput", "latency"))
        ]
        speed_reasons = [reason for reason in speed_reasons if "generated service" in reason]
        if rec.framework not in run.frameworks or rec.framework == "fastapi":
            assert not speed_reasons
            continue
        ratios = run.throughput(rec.framework) if priority == "throughput" else run.latency(rec.framework)
        figure = f"{speed.overall(ratios):.2f}x"
        for reason in speed_reasons:
            assert figure in reason
            assert reason in shown


def test_readme_performance_table_is_the_recorded_run() -> None:
    """The README's per-framework rows quote the same run the rules read."""
    readme = (REPO / "README.md").read_text()
    for framework, rows in RUN["frameworks"].items():
        line = next(
            line for line in readme.splitlines() if line.startswith(f"| {BY_NAME[framework].title} (")
        )
        for kind in ("live", "cached", "uncached"):
            assert f"{rows[kind]['rps']:,} rps" in line, (framework, kind)
        assert f"{rows['uncached_p99_at_half_load_ms']} ms" in line, framework


def test_readme_performance_table_gives_the_recorded_scaling_with_processes() -> None:
    """Each framework's row quotes its 2-process / 1-process factors from the recorded run."""
    readme = (REPO / "README.md").read_text()
    scaling = RUN["processes"]["frameworks"]
    assert set(FRAMEWORKS) <= set(scaling)
    for framework, rows in scaling.items():
        line = next(
            line for line in readme.splitlines() if line.startswith(f"| {BY_NAME[framework].title} (")
        )
        factors = "; ".join(f"{rows[kind]['2'] / rows[kind]['1']:.2f}x" for kind in ("live", "cached"))
        assert line.endswith(f"| {factors} |"), (framework, factors)


def rule_table() -> list[str]:
    """The README's rule table, row by row, as RULES says it should read."""
    rows = ["| when | points | reason | source |", "|---|---|---|---|"]
    for rule in RULES:
        value = str(rule.value).lower() if isinstance(rule.value, bool) else rule.value
        when = "always" if rule.key == "*" else f"`{rule.key}: {value}`"
        points = ", ".join(f"{name} {value:+d}" for name, value in rule.points.items())
        rows.append(f"| {when} | {points} | {rule.reason} | {rule.source} |")
    return rows


def test_readme_rule_table_is_rules() -> None:
    lines = (REPO / "README.md").read_text().splitlines()
    start = lines.index("| when | points | reason | source |")
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    assert lines[start:end] == rule_table(), "README rule table differs; expected:\n" + "\n".join(
        rule_table()
    )
