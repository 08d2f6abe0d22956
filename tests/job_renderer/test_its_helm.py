"""The Job's post-renderer runs on the Job image's helm, 3.1 or later (README, "Which helm
versions"): its templates call only the functions helm 3.1 gives a template. Go's template
parser refuses a whole chart over one unknown function, so a function added after 3.1 costs
every Job on such a helm its edit, agents or none, and with it the proxy of every later
auto-update."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import post_renderer.job_renderer
from post_renderer.render.overlay.job import overlay_secret_data

TEMPLATES = Path(post_renderer.job_renderer.__file__).parent / "job" / "templates"

# helm v3.1.3 pkg/engine/funcs.go: sprig v3.0.2's TxtFuncMap without env and expandenv, plus
# helm's own; Go 1.13's text/template builtins (helm 3.1 is built with Go 1.13)
SPRIG_3_0_2 = """
abbrev abbrevboth add add1 adler32sum ago append atoi b32dec b32enc b64dec b64enc base biggest
buildCustomCert camelcase cat ceil clean coalesce compact concat contains date dateInZone
dateModify date_in_zone date_modify decryptAES deepCopy deepEqual default derivePassword dict
dir div durationRound empty encryptAES ext fail first float64 floor genCA genPrivateKey
genSelfSignedCert genSignedCert get getHostByName has hasKey hasPrefix hasSuffix hello htmlDate
htmlDateInZone indent initial initials int int64 isAbs join kebabcase keys kindIs kindOf last
list lower max merge mergeOverwrite min mod mul mustAppend mustCompact mustDateModify
mustDeepCopy mustFirst mustHas mustInitial mustLast mustMerge mustMergeOverwrite mustPrepend
mustPush mustRegexFind mustRegexFindAll mustRegexMatch mustRegexReplaceAll
mustRegexReplaceAllLiteral mustRegexSplit mustRest mustReverse mustSlice mustToDate mustToJson
mustToPrettyJson mustToRawJson mustUniq mustWithout must_date_modify nindent nospace now omit
pick pluck plural prepend push quote randAlpha randAlphaNum randAscii randNumeric regexFind
regexFindAll regexMatch regexReplaceAll regexReplaceAllLiteral regexSplit repeat replace rest
reverse round semver semverCompare set sha1sum sha256sum shuffle slice snakecase sortAlpha split
splitList splitn squote sub substr swapcase ternary title toDate toDecimal toJson toPrettyJson
toRawJson toString toStrings trim trimAll trimPrefix trimSuffix trimall trunc tuple typeIs
typeIsLike typeOf uniq unixEpoch unset until untilStep untitle upper urlJoin urlParse uuidv4
values without wrap wrapWith
"""
HELM_3_1 = "toToml toYaml fromYaml toJson fromJson include tpl required lookup"
GO_1_13 = ("and call html index slice js len not or print printf println urlquery "
           "eq ge gt le lt ne")
FUNCTIONS = frozenset((SPRIG_3_0_2 + " " + HELM_3_1 + " " + GO_1_13).split())
KEYWORDS = frozenset({"if", "else", "end", "range", "define", "template", "block", "with",
                      "nil", "true", "false"})


def called(template: str) -> set[str]:
    """The names a template calls: identifiers in its actions that are not variables, fields,
    keywords, strings or comments."""
    names: set[str] = set()
    for action in re.findall(r"{{(.*?)}}", template, re.S):
        action = re.sub(r"/\*.*?\*/", "", action, flags=re.S)
        action = re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', action)
        names.update(re.findall(r"(?<![\w.$])[A-Za-z_]\w*", action))
    return names - KEYWORDS


def test_the_parser_reads_the_calls_of_a_template():
    assert called('{{- $x := include "a.b" (dict "k" .v) | fromJson -}}{{ /* zip */ }}') == \
        {"include", "dict", "fromJson"}


def test_every_function_the_job_chart_calls_is_one_helm_3_1_has():
    templates = sorted(TEMPLATES.iterdir())
    assert {path.name for path in templates} >= {"edit.yaml", "_lines.tpl", "_agents.tpl"}
    for path in templates:
        assert called(path.read_text()) <= FUNCTIONS, (
            path.name, sorted(called(path.read_text()) - FUNCTIONS))


def test_the_values_chart_the_jobs_step_renders_calls_only_what_helm_3_1_has():
    """``prepare.sh`` renders the kept values chart before the Job's ``helm upgrade``: on a
    helm that lacks one of its functions the whole auto-update fails."""
    values = {"extraEnv": [{"name": "HTTPS_PROXY", "value": "x"}], "podAnnotations": {"a": "b"},
              "logShipping": {"extraEnv": [{"name": "HTTP_PROXY", "value": "x"}]}}
    data = overlay_secret_data(values, {})
    template = base64.b64decode(data["overlay.yaml"]).decode()
    assert "ocean-proxy.merge" in template
    assert called(template) <= FUNCTIONS, sorted(called(template) - FUNCTIONS)
