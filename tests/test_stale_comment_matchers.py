"""The parts of the register-table, comment-action and comment-slots
matchers that the rule cases do not pin down one by one."""

import pytest

from reviewbot.match import comment_action, comment_slots, register_table


@pytest.mark.parametrize("spec, regs", [
    ("x24", ("x24",)),
    ("x19/x20", ("x19", "x20")),
    ("w19/w20", ("x19", "x20")),
    ("x19-x22", ("x19", "x20", "x21", "x22")),
])
def test_register_table_row_registers(spec, regs):
    assert register_table._registers(spec) == regs


@pytest.mark.parametrize("text, first, last", [
    ("\t *  x23        stext() .. start_kernel()  image offset from its link address", "stext", "start_kernel"),
    ("\t *  x24        __primary_switch() .. relocate_kernel()", "__primary_switch", "relocate_kernel"),
    ("\t *  x28        __create_page_tables()     scratch kept across calls", "__create_page_tables", None),
])
def test_register_table_rows_are_read(text, first, last):
    match = register_table._ROW.match(text)
    assert match and match.group("first") == first and match.group("last") == last


@pytest.mark.parametrize("text", [
    " *  x21 - DTB address (boot cpu only)",      # no function column: a file-wide table
    " * x0 holds the vcpu pointer in __guest_enter()",
])
def test_rows_without_a_function_column_are_not_rows(text):
    assert register_table._ROW.match(text) is None


def test_a_range_covers_what_lies_between_only_when_both_ends_are_seen():
    row = register_table.Row(1, ("x22",), "stext", "__create_page_tables", "")
    order = {"stext": 10, "clear_scratch": 20, "create_page_tables": 30, "relocate_kernel": 40}
    assert register_table._covered(row, "__clear_scratch", order) is True
    assert register_table._covered(row, "__relocate_kernel", order) is False
    far = register_table.Row(1, ("x23",), "stext", "start_kernel", "")
    assert register_table._covered(far, "__relocate_kernel", order) is None


def test_register_table_takes_no_keys():
    with pytest.raises(ValueError):
        register_table.compile_register_table({"x": 1}, "r.yaml")


def test_comment_action_needs_actions_and_valid_regexes():
    with pytest.raises(ValueError):
        comment_action.compile_comment_action({}, "r.yaml")
    with pytest.raises(ValueError):
        comment_action.compile_comment_action({"actions": {"flush": ["("]}}, "r.yaml")
    matcher = comment_action.compile_comment_action({"actions": {"flush(es)?": ["flush", "^dc$"]}}, "r.yaml")
    assert matcher.actions[0].performed_by(["__flush_dcache_area", "dc", "dcache"]) == ["__flush_dcache_area", "dc"]


def test_comment_slots_reads_enumerations_not_prose():
    assert comment_slots._SLOT_LINE.match("\t * reg2 stores the upper half of the counter;")
    assert comment_slots._SLOT_LINE.match("\t * x1: the version")
    assert not comment_slots._SLOT_LINE.match("\t * decided by the r1 value of the call")
    assert comment_slots._ZERO.match("0") and comment_slots._ZERO.match("0UL")
    assert not comment_slots._ZERO.match("cycles")
