"""QtCore workers that pump the core's generators into signals; never any widget."""
