"""The stream: manifest bytes split into documents, parsed, spliced back byte for byte, and
the values we insert written. Imports nothing else from render/."""
