"""A finished draft for store tests in tests/faults."""

from radval_desktop.store.history import NewDraft

SAMPLE_DRAFT = NewDraft(
    findings="Small right pleural effusion. " * 8, body_system="chest", modality="CT",
    language="en", template_id="t", template_version="v1", model_name="m", model_sha256="s",
    sampling_json="{}", raw_output="Right pleural effusion.", final_text="Right pleural effusion.",
    ok=True, message="", attempts=1, prompt_tokens=10, completion_tokens=5,
    first_token_seconds=0.1, total_seconds=0.5, tokens_per_second=10.0)
