"""Outcome: what a command produced, in the order it was said, for cli to print."""

from post_renderer.commands import DETAIL, NOTICE, WARNING, Message, Outcome


def test_messages_keep_their_order_and_level():
    said = Outcome()
    said.notice("one")
    said.warning("two")
    said.detail("three")
    assert said.messages == [Message(NOTICE, "one"), Message(WARNING, "two"),
                             Message(DETAIL, "three")]


def test_output_parts_are_kept_as_given_for_standard_output_by_default():
    said = Outcome()
    view = memoryview(b"abc")
    said.write(b"x", view)
    said.write(b"y")
    assert said.output == [b"x", view, b"y"]
    assert said.output_path is None and said.error is None


def test_live_lines_go_to_the_callback_given():
    lines: list[str] = []
    said = Outcome(live=lines.append)
    said.live("step")
    assert lines == ["step"]
