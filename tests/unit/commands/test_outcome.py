"""Outcome: what a command produced, in the order it was said, for cli to print."""

from post_renderer.commands import DETAIL, NOTICE, WARNING, Message, Outcome
from post_renderer.errors import Paragraph


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


def test_a_paragraph_is_said_as_its_headline_with_its_lines_indented_under_it():
    """A long notice reads as a headline and one fact or command a line, not one long line."""
    said = Outcome()
    said.warning(Paragraph("ConfigMap 'c' is now blank", "an agent goes without the proxy:",
                           "  'helm upgrade RELEASE ...'"))
    said.notice("plain")
    assert said.messages == [Message(WARNING, "ConfigMap 'c' is now blank"),
                             Message(DETAIL, "  an agent goes without the proxy:"),
                             Message(DETAIL, "    'helm upgrade RELEASE ...'"),
                             Message(NOTICE, "plain")]


def test_a_line_break_in_a_value_does_not_start_a_line_of_its_own():
    """Only a Paragraph's own lines are said apart: a name from the input keeps its line
    break, which the reporter shows escaped."""
    said = Outcome()
    said.notice(Paragraph("Secret 'a\nb' kept", "then delete it"))
    assert said.messages[0] == Message(NOTICE, "Secret 'a\nb' kept")
    assert len(said.messages) == 2
    said.warning("Secret 'c\nd' kept")  # a plain message is one line, whatever it quotes
    assert said.messages[2:] == [Message(WARNING, "Secret 'c\nd' kept")]
