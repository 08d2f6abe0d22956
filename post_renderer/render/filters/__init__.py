"""The filters of the post-render pipeline: each proposes changes, with reasons."""
