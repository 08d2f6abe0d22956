"""The overlay: the injection as the chart's own values, and the auto-update Job's patch that
passes them on. Imports render.release and render.stream; handed the rest by render.plan."""
