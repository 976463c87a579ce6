"""The IDL parser: the grammar, name resolution, and a precise error for each mistake."""

from __future__ import annotations

import pytest

from jute import JuteError
from jute.idl import Field, Primitive, RecordRef, Vector, parse_idl


def test_parses_modules_classes_comments_and_qualified_references() -> None:
    records = parse_idl(
        """
        // a line comment
        module a.b { class Id { ustring scheme; /* block */ ustring id; } }
        module c {
            class Holder { vector<a.b.Id> ids; Id one; vector<vector<int>> grid; }
        }
        """
    )
    holder = records[1]
    assert holder.qualified_name == "c.Holder"
    assert holder.fields == (
        Field("ids", Vector(RecordRef("a.b.Id"))),
        Field("one", RecordRef("a.b.Id")),
        Field("grid", Vector(Vector(Primitive("int")))),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("module m { class A { Nope x; } }", "unknown class 'Nope'"),
        ("module m { class A { int x; } class A { int y; } }", "defined twice"),
        ("module m { class A { int x; long x; } }", "repeats a field name"),
        ("module m { class A { map<int,int> x; } }", "map types are not supported"),
        ("module m { class A { int x } }", "expected ';'"),
        ("module m { class A { int x; }", "unexpected end of input"),
        ("module m { class A { int x; } } $", "unexpected character '\\$'"),
        (
            "module p { class A { int x; } } module q { class A { int y; } }"
            " module r { class B { A a; } }",
            "ambiguous",
        ),
    ],
)
def test_mistakes_are_reported_precisely(text: str, message: str) -> None:
    with pytest.raises(JuteError, match=message):
        parse_idl(text)


def test_a_reference_may_only_name_an_earlier_class() -> None:
    with pytest.raises(JuteError, match="unknown class 'Later'"):
        parse_idl("module m { class A { Later l; } class Later { int x; } }")
