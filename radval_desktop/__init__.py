"""RadVal Desktop: draft radiology impressions locally, score them, fine-tune the model."""

__version__ = "0.1.0"
