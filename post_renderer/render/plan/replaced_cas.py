"""What ``--ca-file`` takes away: a setting of the user's replaces what the chart rendered,
it is not added to it, so the CA certificates of ``caBundleSecret.data`` that are not in the
user's files leave the trust ocean-proxy gives the pods, the chart's own CA Secret and
``USER_ENV_CERTIFICATES`` included (what the image trusts by itself stays). That is said,
with their names, rather than done without a word.
"""

from typing import TYPE_CHECKING

from post_renderer.errors import BundleError, clipped, visible
from post_renderer.render.release.settings import Setting
from post_renderer.trust import TrustBundle

if TYPE_CHECKING:
    import datetime as dt

    from post_renderer.trust import FactCache

NAMED = 3  # the subjects a warning names; the rest are counted


def dropped_chart_cas(chart_ca: Setting | None, trust: TrustBundle, source: str,
                      now: "dt.datetime | None" = None, facts: "FactCache | None" = None
                      ) -> str | None:
    """A warning naming the chart's CA certificates that ``trust`` (from ``source``) lacks."""
    if chart_ca is None:
        return None
    from post_renderer.trust import load_trust_bundle

    try:
        rendered, _ = load_trust_bundle([(chart_ca.source, chart_ca.value)], now=now,
                                        facts=facts)
    except BundleError:  # nothing the pods could have trusted: nothing is lost
        return None
    kept = {cert.fingerprint for cert in trust.certificates}
    lost = [cert for cert in rendered.certificates if cert.fingerprint not in kept]
    if not lost:
        return None
    names = ", ".join(f"'{clipped(visible(cert.subject))}'" for cert in lost[:NAMED])
    more = f" and {len(lost) - NAMED} more" if len(lost) > NAMED else ""
    one = len(lost) == 1
    # Said of the trust ocean-proxy gives, not of all the pods' trust: a public root among
    # them (a system bundle pasted with the corporate CA) stays trusted through the image.
    return (f"{source} replaces the CA bundle the chart renders ({chart_ca.source}): "
            f"{names}{more} from it {'is' if one else 'are'} no longer among the CAs the pods "
            f"are given (the image's own public roots stay trusted); to keep "
            f"{'it' if one else 'them'}, add {'its' if one else 'their'} file to {source}")
