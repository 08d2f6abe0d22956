"""message_secrets: a line cleared of every secret, whatever order the secrets come in."""

from post_renderer.message_secrets import without_secrets


def test_a_secret_that_holds_a_shorter_one_is_hidden_whole_in_any_order():
    """A password whose start is another secret (a token, an earlier password): masking the
    shorter first would leave the rest of the longer one in the message."""
    line = "407 from the proxy: bad password s3cret-Pa55word"
    for secrets in (["s3cret", "s3cret-Pa55word"], ["s3cret-Pa55word", "s3cret"]):
        assert without_secrets(line, secrets) == "407 from the proxy: bad password ***", secrets
