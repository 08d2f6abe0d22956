"""make demo: the vendor's command with the post-renderer on the bundled chart, and a summary."""

from __future__ import annotations

from .conftest import EXAMPLES, TOOLS_BIN, VENV_BIN, clean_env, run_command, tool


def test_demo_prints_the_post_rendered_chart_and_what_changed():
    tool("helm3")
    env = clean_env(PATH=f"{VENV_BIN}:{TOOLS_BIN}:/usr/local/bin:/usr/bin:/bin")
    env.pop("OCEAN_PROXY_MESSAGES")  # as a user runs it: messages go to helm's stderr
    run = run_command(["sh", EXAMPLES / "demo" / "demo.sh"], env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    rendered, _, summary = run.text.partition("=== What ocean-proxy changed, and why ===")
    assert "name: HTTP_PROXY\n          value: http://proxy.corp.example:3128" in rendered
    assert "mountPath: /etc/ssl/certs/" in rendered
    assert "ocean-proxy: injected proxy http://proxy.corp.example:3128" in summary
    assert "1 CA certificate" in summary
    assert "replace /spec/template/spec/containers/0/env/5 = NO_PROXY=" in summary
    assert "certificate 1: ok" in summary
