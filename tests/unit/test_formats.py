"""pkubectl.api.formats: the string checks shared by validation and label selectors."""

import pytest

from pkubectl.api import formats, selectors, validation


def test_label_key_and_qualified_name_differ_only_in_the_too_many_slashes_text():
    # content.IsLabelKey (selectors) and IsQualifiedName (object validation) are one check
    assert formats.is_label_key("a/b/c")[0].startswith("a valid label key must consist of")
    assert formats.is_qualified_name("a/b/c")[0].startswith("a qualified name must consist of")
    assert formats.is_label_key("a/b/c")[0].split(" must ", 1)[1] == formats.is_qualified_name("a/b/c")[0].split(" must ", 1)[1]
    for key in ("app", "example.com/app", "/app", "Example.com/x", "x_", "k" * 64, "example.com/"):
        assert formats.is_label_key(key) == formats.is_qualified_name(key)


def test_selectors_and_validation_use_the_shared_checks():
    assert selectors.validate_label_key is formats.is_label_key
    assert selectors.validate_label_value is formats.is_label_value
    assert validation.is_qualified_name is formats.is_qualified_name
    assert validation.go_quote is formats.go_quote


@pytest.mark.parametrize("text", ["app\n", "v\n"])
def test_a_trailing_newline_is_not_valid(text):
    # Go's `$` is the end of the text; Python's also matches before a final newline
    assert formats.is_label_key(text)
    assert formats.is_label_value(text)


def test_go_quote_uses_go_escapes():
    assert formats.go_quote('a"b\\c') == '"a\\"b\\\\c"'
    assert formats.go_quote("\a\b\f\v\t\n\r\x01\x7f") == '"\\a\\b\\f\\v\\t\\n\\r\\x01\\x7f"'
    assert formats.go_quote("é") == '"é"'
