"""reviewbot.records: the value classes every module defines."""

from __future__ import annotations

import copy
import pickle

import pytest

from reviewbot.records import FrozenRecordError, field, fields, is_record, record, replace


@record
class Point:
    """A point."""

    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)


@record(order=True)
class Version:
    major: int
    minor: int


@record(frozen=False)
class Counter:
    count: int = 0


@record
class Empty:
    pass


def test_init_takes_fields_in_order_with_defaults_and_keywords():
    p = Point(1)
    assert (p.x, p.y, p.tags) == (1, 0, [])
    assert Point(1, 2).y == 2 and Point(y=3, x=1).y == 3
    with pytest.raises(TypeError):
        Point()  # x has no default
    with pytest.raises(TypeError):
        Point(1, 2, [], 4)


def test_a_default_factory_makes_a_new_value_for_each_instance():
    a, b = Point(1), Point(1)
    assert a.tags == [] and a.tags is not b.tags


def test_frozen_records_refuse_assignment_and_deletion():
    p = Point(1)
    with pytest.raises(FrozenRecordError, match="'x' of frozen Point"):
        p.x = 2
    with pytest.raises(AttributeError):
        del p.y
    with pytest.raises(AttributeError):
        p.other = 1  # slotted: no other attributes either


def test_equality_and_hash_follow_the_field_values_and_the_class():
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ()))
    assert Version(1, 2) != (1, 2)
    assert len({Version(1, 2), Version(1, 2), Version(1, 3)}) == 2
    assert Empty() == Empty() and hash(Empty()) == hash(Empty())


def test_order_compares_field_values_in_order():
    assert Version(1, 2) < Version(1, 10) < Version(2, 0)
    assert sorted([Version(2, 0), Version(1, 5)]) == [Version(1, 5), Version(2, 0)]
    with pytest.raises(TypeError):
        Point(1) < Point(2)  # no order asked for


def test_mutable_records_assign_and_are_unhashable():
    c = Counter()
    c.count += 1
    assert c == Counter(1)
    with pytest.raises(TypeError):
        hash(c)


def test_repr_names_the_class_and_every_field():
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[])"
    assert repr(Empty()) == "Empty()"


def test_records_pickle_and_copy():
    for value in (Point(1, 2, ["a"]), Version(3, 4), Counter(5), Empty()):
        assert pickle.loads(pickle.dumps(value)) == value
        assert copy.copy(value) == value


def test_replace_fields_and_is_record():
    p = Point(1, 2)
    assert replace(p, y=5) == Point(1, 5) and p.y == 2
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(p, z=1)
    assert [f.name for f in fields(Point)] == ["x", "y", "tags"]
    assert fields(p)[1].default == 0 and fields(p)[2].default_factory is list
    assert is_record(p) and is_record(Point) and not is_record(object())
    with pytest.raises(TypeError):
        fields(object())


def test_the_class_keeps_its_name_docstring_methods_and_annotations():
    assert Point.__qualname__ == "Point" and Point.__doc__ == "A point."
    assert Point.__init__.__qualname__ == "Point.__init__"
    assert Point.__annotations__["y"] == "int"


def test_a_field_without_a_default_after_one_with_a_default_is_refused():
    with pytest.raises(TypeError, match="'b' without a default"):
        @record
        class Bad:
            a: int = 0
            b: int


def test_a_class_that_defines_a_method_a_record_makes_is_refused():
    with pytest.raises(TypeError, match="makes its own __repr__"):
        @record
        class Custom:
            a: int

            def __repr__(self) -> str:
                return "custom"
