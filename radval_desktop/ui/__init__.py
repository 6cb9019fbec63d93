"""The PySide6 drafting window: widgets that read input, call a worker or the core, show results."""
