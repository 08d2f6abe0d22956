"""The post-render pipeline: bytes in, targets found, changes planned and applied, bytes out."""
