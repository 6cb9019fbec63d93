"""Safety checks of a drafted impression and retrieval of past examples (issue 8); no Qt."""
