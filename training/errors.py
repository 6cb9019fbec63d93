"""Training's expected failures: each carries a sentence for the ML engineer who ran the step."""

from __future__ import annotations

from radval_desktop.errors import RadvalError


class TrainingError(RadvalError):
    """A step cannot run as asked; ``str(err)`` says why and what to do."""


class RecipeError(TrainingError):
    """The recipe (or a --set override) is not usable."""


class ConverterMissing(TrainingError):
    """llama.cpp's converter is not unpacked yet: `python -m training fetch-converter`."""
