"""llama.cpp drafting engine: model files, device choice, loading, streaming and guards."""
