"""The release: the targets found in the documents (Spot agents, workloads) and what they read
(the chart's rendered settings, the user's). Imports render.stream only."""
