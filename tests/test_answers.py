from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from asyncgen._validation import choices_of, validate_given
from asyncgen.answers import TemplateAnswers, normalise_project_name, read_answers_file
from asyncgen.errors import UsageError
from asyncgen.frameworks import FRAMEWORKS, NAMES
from asyncgen.requirements import Requirements

from conftest import TEMPLATES


def copier_questions() -> dict[str, dict[str, object]]:
    config = yaml.safe_load((TEMPLATES / "copier.yml").read_text())
    return {key: value for key, value in config.items() if not key.startswith("_")}


def test_answers_model_asks_exactly_copier_questions() -> None:
    asked = {key for key, spec in copier_questions().items() if spec.get("when") is not False}
    assert set(TemplateAnswers.model_fields) == asked


@pytest.mark.parametrize("field", ["database", "cache", "broker", "tasks"])
def test_answers_model_choices_match_copier(field: str) -> None:
    spec = copier_questions()[field]
    assert choices_of(TemplateAnswers, field) == tuple(spec["choices"])  # type: ignore[arg-type]
    assert TemplateAnswers.model_fields[field].default == spec["default"]


def test_framework_table_copier_choices_and_template_folders_agree() -> None:
    assert tuple(copier_questions()["framework"]["choices"]) == NAMES  # type: ignore[arg-type]
    folders = {path.name for path in TEMPLATES.iterdir() if path.is_dir() and not path.name.startswith("_")}
    assert folders == {"project", *NAMES}


def test_answers_take_exactly_the_known_frameworks() -> None:
    for framework in FRAMEWORKS:
        assert TemplateAnswers(project_name="svc", framework=framework.name).framework == framework.name
    with pytest.raises(ValidationError):
        TemplateAnswers(project_name="svc", framework="django")


@pytest.mark.parametrize("name", ["my-service", "svc", "a1-b2-c3"])
def test_valid_project_names(name: str) -> None:
    assert TemplateAnswers(project_name=name, framework="fastapi").package_name == name.replace("-", "_")


@pytest.mark.parametrize("name", ["My-Service", "1svc", "my--svc", "my_svc", "svc-", "", "class"])
def test_invalid_project_names(name: str) -> None:
    with pytest.raises(ValidationError):
        TemplateAnswers(project_name=name, framework="fastapi")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("my-service", "my-service"),
        ("my_service", "my-service"),
        ("my.service", "my-service"),
        ("MyService", "my-service"),
        ("myService", "my-service"),
        ("MY_SERVICE", "my-service"),
        ("My__Service", "my-service"),
        ("my-.-_service", "my-service"),
        ("_my_service_", "my-service"),
        ("  svc  ", "svc"),
        ("HTTPServer", "http-server"),
        ("MyAPIClient", "my-api-client"),
        ("APIv2", "apiv2"),
        ("svc2", "svc2"),
        ("api-v2", "api-v2"),
        ("Class2", "class2"),
        ("s-1", "s-1"),
    ],
)
def test_names_are_normalised_like_pep_503(typed: str, name: str) -> None:
    assert normalise_project_name(typed) == name
    assert TemplateAnswers(project_name=name, framework="fastapi").project_name == name


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "project_name: is empty"),
        ("   ", "project_name: is empty"),
        ("___", "project_name: '___' has no letters"),
        ("123", "project_name: '123' has no letters"),
        ("2fast", "project_name: '2fast' starts with a digit, so its package '2fast' could not be imported"),
        (
            "_1_svc",
            "project_name: '_1_svc' starts with a digit, so its package '1_svc' could not be imported",
        ),
        ("class", "project_name: 'class' is a Python keyword and cannot name a package"),
        ("Class", "project_name: 'class' is a Python keyword and cannot name a package"),
        ("café", "project_name: 'café' has 'é': a name holds only ASCII letters, digits, '-', '_' and '.'"),
        ("my service", "project_name: 'my service' has ' ': a name holds only ASCII letters, digits"),
        ("a/b", "project_name: 'a/b' has '/': a name holds only"),
    ],
)
def test_names_that_cannot_become_valid_are_refused_with_the_reason(typed: str, reason: str) -> None:
    with pytest.raises(UsageError) as refused:
        normalise_project_name(typed)
    assert refused.value.message.startswith(reason)


def test_requirements_defaults_match_spec() -> None:
    assert Requirements().model_dump() == {
        "architecture": "microservice",
        "priority": "productivity",
        "team_background": "none",
        "team_experience": "mixed",
        "hiring_matters": False,
        "api_docs": True,
        "realtime": False,
        "migrating_from_flask": False,
        "needs_di_plugins": False,
        "low_level_control": False,
        "connection_control": False,
    }


def test_validate_given_names_the_key_and_choices() -> None:
    with pytest.raises(UsageError, match=r"^database: 'oracle' is not one of 'postgresql', 'mysql'"):
        validate_given(TemplateAnswers, {"database": "oracle"})


def test_validate_given_rejects_unknown_keys() -> None:
    with pytest.raises(UsageError, match=r"^unknown key 'colour'"):
        validate_given(Requirements, {"colour": "blue"})


def test_read_answers_yaml_and_json(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("framework: fastapi\nrealtime: true\n")
    (tmp_path / "a.json").write_text('{"framework": "fastapi", "realtime": true}')
    expected = {"framework": "fastapi", "realtime": True}
    assert read_answers_file(tmp_path / "a.yml") == expected
    assert read_answers_file(tmp_path / "a.json") == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("framework: [unclosed", "is not valid YAML"),
        ("- a\n- b\n", "must hold a mapping"),
    ],
)
def test_read_answers_bad_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "answers.yml"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        read_answers_file(path)


def test_read_answers_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"cannot read answers file .*No such file"):
        read_answers_file(tmp_path / "missing.yml")
    binary = tmp_path / "binary.yml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(UsageError, match="not UTF-8"):
        read_answers_file(binary)
