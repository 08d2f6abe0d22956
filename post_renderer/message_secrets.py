"""What no message may show, and how a line is cleared of it: the credentials of every URL
the user passed, the tokens read later, and each form a proxy or a library may quote them back
in (percent-decoded, in Basic auth's base64, in another letter case, cut short before "...").

    >>> without_secrets("407 from the proxy: bad password S3CRET", ["s3cret"])
    '407 from the proxy: bad password ***'
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def without_secrets(text: str, secrets: list[str]) -> str:
    """``text`` without ``secrets`` (longest first), in any letter case (a proxy may quote one
    back changed), and without the start of one that a message cut short ("s3cr3t-pa...")."""
    folded = _case_folded(text)
    secrets = sorted(secrets, key=len, reverse=True)  # else a shorter one leaves a longer's rest
    for secret in secrets:
        if _case_folded(secret) in folded:  # else no case of it is there: nothing compiled
            masked = re.sub(re.escape(secret), "***", text, flags=re.IGNORECASE)
            if masked != text:  # its '***' may complete a shorter secret holding '***'
                text, folded = masked, _case_folded(masked)
    return _without_cut(text, secrets) if "..." in text else text


def _without_cut(text: str, secrets: list[str]) -> str:
    """``text`` without any start of a secret right before a "..." (where a message cut what
    it quoted): linear in the text for each length of start, and no message cuts a quote
    longer than ``_LONGEST_CUT``."""
    for secret in secrets:
        lowered = text.lower()
        if len(lowered) != len(text):  # a letter whose lower case is longer: compare as is
            lowered = text
        for end in range(min(len(secret) - 1, _LONGEST_CUT), _SHORTEST_CUT - 1, -1):
            cut = secret[:end].lower() + "..."
            at = lowered.find(cut)
            while at >= 0:
                text, lowered = (text[:at] + "***" + text[at + end:],
                                 lowered[:at] + "***" + lowered[at + end:])
                at = lowered.find(cut, at + 3)
    return text


# A start of a secret shorter than this before "..." is left: it could be any word's start
# ("pass...") and tells little. No message cuts a quote after more than 200 characters.
_SHORTEST_CUT, _LONGEST_CUT = 6, 200


def _case_folded(text: str) -> str:
    """``text`` with every letter that re.IGNORECASE may take for another written alike: ASCII
    in lower case, and 'i', 'k', 's' and every non-ASCII character as one mark, since those are
    the ones Unicode's case rules pair across ASCII ('İ', 'ı', 'K' for kelvin, 'ſ'). So a
    secret re.IGNORECASE finds in a text is in it folded so too; the converse need not hold."""
    return text.translate(_FOLD) if text.isascii() else \
        "".join("\0" if ord(char) > 127 else char for char in text).translate(_FOLD)


_FOLD = str.maketrans("ABCDEFGHJLMNOPQRTUVWXYZiksIKS", "abcdefghjlmnopqrtuvwxyz" + "\0" * 6)


# user:password@ in anything an error quotes back: a proxy URL given to the wrong flag, or
# with a typo in the flag's name, is echoed by argparse and by the checks of other settings.
# The password runs to the last '@' of its word: quotes are in it too (Go takes "'" as is).
# (patterns compiled when first used, by re's own cache: most runs print no error)
_CREDENTIALS = r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)?(?P<user>[^\s'\"=,@/:]*):\S*@"
_PLACEHOLDER = r"\[?user:password@"  # the form our own hints show
# Credentials never span a space, and only a word with an '@' can hold them: the pattern runs
# on such words alone, and a longer word is not shown at all (the pattern's backtracking grows
# with the square of a word's length: a 100 KB name quoted in an error took minutes).
_LONGEST_CHECKED_WORD = 2048


def without_credentials(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        credentials = match.group(0)[len(match.group("scheme") or ""):]
        if re.fullmatch(_PLACEHOLDER, credentials):
            return match.group(0)
        return f"{match.group('scheme') or ''}{match.group('user')}:***@"  # the password hidden

    if "@" not in text:
        return text
    words = text.split(" ")
    for index, word in enumerate(words):
        if "@" not in word:
            continue
        words[index] = re.sub(_CREDENTIALS, mask, word) if len(word) <= _LONGEST_CHECKED_WORD \
            else "(a long value with an '@', not shown)"
    return " ".join(words)


def credentials_in(texts: Iterable[str], urls: Iterable[str] = ()) -> list[str]:
    """The credentials of every URL in ``texts`` (arguments, environment), as written and
    decoded: the password, or a user name that has none (a token). A user name and password
    run from '://' to the last '@', whatever they hold (and to the first, too, where one
    argument holds several). A proxy URL may be written without a scheme, as Go reads it
    (``bob:pw@proxy:3128``): such are ``urls`` (OCEAN_PROXY_URL) and the values of
    ``--proxy-url`` in ``texts``. The user name of a password stays readable, so that every
    message masks as ``user:***``.

        >>> credentials_in(["--proxy-ur=http://bob:it's a s3cret@proxy:3128", "-f"])[0]
        "it's a s3cret"
    """
    texts = list(texts)
    userinfos = [info for text in texts for info in _userinfos(text)]
    for url in [*urls, *_url_flag_values(texts)]:
        url = url[1:-1] if len(url) > 1 and url[0] == url[-1] and url[0] in "'\"" else url
        if "://" not in url and "@" in url:  # read as http://, as the proxy URL itself is
            userinfos.append(url.rpartition("@")[0])
    found: dict[str, None] = {}  # in order, each once
    for user, colon, password in (info.partition(":") for info in dict.fromkeys(userinfos)):
        found.update(dict.fromkeys(secret for secret in _forms(
            user, password if colon else "", user + colon + password)
            if len(secret) >= _SHORTEST_HIDDEN))
    return list(found)


def _userinfos(text: str) -> list[str]:
    """Those of the first 16 URLs of ``text`` (an argument of '://@' 30,000 times made as
    many of 120 KB each): ``without_credentials`` masks any later one where quoted."""
    found = []
    for start in [m.end() for m in re.finditer("://", text)][:16]:
        rest = text[start:]
        if "@" in rest:
            found.append(rest.rpartition("@")[0])
            first = rest.partition("@")[0]
            if first != found[-1]:
                found.append(first)
    return found


def _url_flag_values(texts: list[str]) -> list[str]:
    """The values given to --proxy-url (or --proxy), in any spelling: separate, with '=', or
    inside one argument that holds several flags."""
    values = []
    for index, text in enumerate(texts):
        if text in ("--proxy-url", "--proxy") and index + 1 < len(texts):
            values.append(texts[index + 1])
        values += re.findall(r"(?:^|\s)--proxy(?:-url)?(?:=|\s+)(\S+)", text)
    return values


def later_forms(secrets: list[tuple[str, bool]]) -> list[str]:
    """What to hide of secrets read after the command line: a URL's credentials; a token as
    written and in the base64 a Secret's data holds it in."""
    import base64

    urls = [secret for secret, url in secrets if url]
    tokens = [secret for secret, url in secrets if not url]
    encoded = [base64.b64encode(token.encode("utf-8", "surrogateescape")).decode("ascii")
               for token in tokens]
    return [*credentials_in(urls, urls=urls),
            *(form for form in [*tokens, *encoded, *(e.rstrip("=") for e in encoded)]
              if len(form) >= _SHORTEST_TOKEN)]


def _forms(user: str, password: str, userinfo: str) -> list[str]:
    """What a proxy or a library may quote back of these credentials."""
    import base64

    from post_renderer.errors import one_line
    from post_renderer.proxy_settings.proxy_url import percent_decoded

    hidden = password if password else userinfo.removesuffix(":")  # else a token
    plain = percent_decoded(hidden)
    latin_1 = plain.encode("utf-8", "surrogateescape").decode("latin-1")
    # as sent in Proxy-Authorization: Basic (a user alone as "user:"), padded or not
    basic = base64.b64encode(f"{percent_decoded(user)}:{percent_decoded(password)}".encode(
        "utf-8", "surrogateescape")).decode("ascii")
    forms = [hidden, plain, basic, basic.rstrip("="),
             basic.replace("+", "-").replace("/", "_").rstrip("="),
             plain.upper(), plain.lower(),  # where a change of case changes the length (ß)
             " ".join(plain.split()),  # white space collapsed, as messages print it
             latin_1,  # its UTF-8 read as Latin-1, as a proxy's answer is read
             # as one_line shows what a proxy said: the C1 controls of that reading (UTF-8's
             # bytes 0x80 to 0x9f, in 'Ö', 'ß', '€') and other unprintables made spaces
             one_line(plain, len(plain)), one_line(latin_1, len(latin_1))]
    if password and len(plain) < _SHORTEST_HIDDEN:  # too short to hide alone: with its user
        forms.append(f"{percent_decoded(user)}:{plain}")
    return forms


_SHORTEST_HIDDEN = 4  # shorter ones would blank out ordinary words; the sources never echo them
# A Spot token is 64 characters; a shorter one is a placeholder ("TOKEN", "changeme"), and
# hiding it would blank out the word in every message ("the Spot ***").
_SHORTEST_TOKEN = 10
