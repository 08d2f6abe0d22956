"""The plan: the injection decided, the filters that each propose changes, the plan applied.
Imports render.overlay, render.release, render.stream; never render's top (pipeline)."""
