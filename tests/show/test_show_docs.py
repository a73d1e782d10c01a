"""docs/shows.md documents every key of the schema, and its reference is up to date."""

from installation.params.builtin import builtin_parameters
from installation.show.docs import DOCS, reference
from installation.show.schema import sections_of, settings_of
from installation.show.sections import Show


def test_every_schema_key_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for sec in sections_of(Show):
        header = f"### `{sec.header}`"
        assert header in text, header
        table = text.split(header, 1)[1].split("###", 1)[0]
        for setting in settings_of(sec.settings):
            assert f"| `{setting.name}` |" in table, f"{sec.name}.{setting.name} is not documented"
            assert setting.help, f"{sec.name}.{setting.name} has no help text"
    for param in builtin_parameters(0):
        assert f"| `{param.name}` |" in text


def test_reference_is_current():
    assert reference() in DOCS.read_text(encoding="utf-8"), "run: python -m installation.show.docs"
