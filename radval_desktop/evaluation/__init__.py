"""Evaluation of drafted impressions against radiologists' (ROUGE; SPEC §6), Qt-free."""
