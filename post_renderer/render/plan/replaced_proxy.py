"""What ``--proxy-url`` takes away: the proxy the user gives replaces the one the chart
renders (``spotinst.proxyUrl``) in every container, as a CA file replaces the chart's CA
bundle (``replaced_cas``). A different one is said once, its password hidden, rather than
replaced without a word.
"""

from post_renderer.render.release.settings import Setting


def replaced_chart_proxy(given: Setting, rendered: Setting) -> str:
    """The notice that ``given`` (value: ProxyUrl) replaces ``rendered``, another proxy."""
    if given.value.without_credentials == rendered.value.without_credentials:
        instead = "the same proxy with other credentials"
    else:
        instead = f"{given.value.redacted} instead of {rendered.value.redacted}"
    return (f"{given.source} replaces the proxy the chart renders ({rendered.source}): "
            f"every container gets {instead}")
