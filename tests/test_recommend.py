from __future__ import annotations

import pytest

from asyncgen.frameworks import NAMES as FRAMEWORKS
from asyncgen.recommend import RULES, best_available, rank
from asyncgen.requirements import Requirements

ALL = FRAMEWORKS

WINNING_PROFILES = {
    "fastapi": {},
    "sanic": {"priority": "throughput"},
    "quart": {"migrating_from_flask": True},
    "litestar": {"needs_di_plugins": True},
    "starlette": {"low_level_control": True},
    "blacksheep": {"team_background": "dotnet"},
    "aiohttp": {"realtime": True, "priority": "throughput", "api_docs": False},
}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_each_framework_wins_its_profile(framework: str) -> None:
    ranking = rank(Requirements(**WINNING_PROFILES[framework]), ALL)
    assert ranking[0].framework == framework
    assert ranking[0].score > ranking[1].score, "a winning profile should not be a tie"


def test_flask_team_leads_to_quart() -> None:
    assert rank(Requirements(team_background="flask"), ALL)[0].framework == "quart"


def test_ranking_covers_every_framework_once() -> None:
    ranking = rank(Requirements(), ("fastapi",))
    assert sorted(rec.framework for rec in ranking) == sorted(FRAMEWORKS)
    assert [rec.available for rec in ranking if rec.framework == "fastapi"] == [True]
    assert all(not rec.available for rec in ranking if rec.framework != "fastapi")


def test_ranking_is_sorted_and_ties_keep_catalogue_order() -> None:
    ranking = rank(Requirements(priority="latency"), ALL)
    scores = [rec.score for rec in ranking]
    assert scores == sorted(scores, reverse=True)
    tied = [rec.framework for rec in ranking if rec.score == ranking[0].score]
    assert tied == [name for name in FRAMEWORKS if name in tied]


def test_score_is_the_sum_of_its_reasons() -> None:
    profile = Requirements(priority="throughput", realtime=True, needs_di_plugins=True)
    for rec in rank(profile, ALL):
        assert rec.score == sum(int(reason.split()[0]) for reason in rec.reasons)


def _profile_for(key: str, value: object) -> Requirements:
    return Requirements(**{} if key == "*" else {key: value})


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.key}={rule.value}:{next(iter(rule.points))}")
def test_every_rule_moves_the_scores_it_names(rule: object) -> None:
    """Flipping a rule's answer on (from a profile where it is off) adds exactly its points."""
    from asyncgen.recommend import Rule

    assert isinstance(rule, Rule)
    with_rule = {rec.framework: rec for rec in rank(_profile_for(rule.key, rule.value), ALL)}
    for framework, points in rule.points.items():
        assert f"{points:+d} {rule.reason}" in with_rule[framework].reasons
    if rule.key == "*":
        return
    # Any other value of the same key does not trigger it.
    field = Requirements.model_fields[rule.key]
    other = next(v for v in _values(field.annotation) if v != rule.value)
    without = {rec.framework: rec for rec in rank(Requirements(**{rule.key: other}), ALL)}
    for framework in rule.points:
        assert f"{rule.points[framework]:+d} {rule.reason}" not in without[framework].reasons


def _values(annotation: object) -> tuple[object, ...]:
    from typing import get_args

    return (True, False) if annotation is bool else get_args(annotation)


def test_best_available_skips_missing_templates() -> None:
    ranking = rank(Requirements(migrating_from_flask=True), ("fastapi",))
    assert ranking[0].framework == "quart"
    assert best_available(ranking).framework == "fastapi"


def test_reasons_are_readable_sentences() -> None:
    for rule in RULES:
        assert len(rule.reason.split()) >= 4, rule.reason


def test_readme_documents_every_rule() -> None:
    from conftest import REPO

    readme = (REPO / "README.md").read_text()
    for rule in RULES:
        points = ", ".join(f"{name} {value:+d}" for name, value in rule.points.items())
        assert f"| {points} | {rule.reason} |" in readme, rule.reason
