"""The database schema: numbered migrations, each additive, recorded in the database."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("radval")


@migrations()
def m001_drafts(db: Database) -> None:
    # Issue 3: every draft is kept so the radiologist can search and reopen it, and so the
    # exact model, template and sampling behind an impression can be traced later.
    db.table("drafts").create(
        {
            "id": int,
            "uuid": str,
            "created_at": str,  # ISO 8601, UTC
            "findings": str,
            "body_system": str,
            "modality": str,
            "language": str,
            "template_id": str,
            "template_version": str,
            "model_name": str,
            "model_sha256": str,
            "sampling_json": str,
            "raw_output": str,
            "final_text": str,
            "copied_text": str,  # NULL until Copy is pressed
            "ok": int,
            "message": str,
            "attempts": int,
            "prompt_tokens": int,
            "completion_tokens": int,
            "first_token_seconds": float,
            "total_seconds": float,
            "tokens_per_second": float,
        },
        pk="id",
        not_null={"uuid", "created_at", "findings"},
    )
    db.table("drafts").create_index(["uuid"], unique=True)
    # Listing recent drafts and purging old ones both go by date.
    db.table("drafts").create_index(["created_at"])


@migrations()
def m002_evaluation(db: Database) -> None:
    # Issue 4: batch runs store every output with its case, model and timing so that a run
    # resumes where it stopped and the paper's tables can be rebuilt at any time. Issue 5's
    # reader study scores these same candidates.
    db.table("cases").create(
        {"uuid": str, "created_at": str, "institution": str, "body_system": str,
         "modality": str, "language": str, "findings": str, "reference_impression": str,
         "source_id": str, "source_file": str, "source_line": int, "age": str, "sex": str},
        pk="uuid", not_null={"findings"},
    )
    db.table("models").create(
        {"sha256": str, "name": str, "file_name": str, "architecture": str, "parameters": int,
         "quantization": str, "file_size": int},
        pk="sha256",
    )
    db.table("candidates").create(
        {"uuid": str, "created_at": str, "case_uuid": str, "model_sha256": str,
         "model_name": str, "source": str, "template_id": str, "template_version": str,
         "text": str, "raw_text": str, "ok": int, "attempts": int, "empty_attempts": int,
         "repetition_attempts": int, "prompt_tokens": int, "completion_tokens": int,
         "first_token_seconds": float, "seconds": float, "sampling": str},
        pk="uuid", foreign_keys=[("case_uuid", "cases", "uuid")],
    )
    db.table("candidates").create_index(["case_uuid"])
    db.table("candidates").create_index(["model_sha256"])


@migrations()
def m003_reader_study(db: Database) -> None:
    # Issue 5: the reader study. Every row carries a content-derived uuid (same rater, study,
    # candidate and metric give the same id on every machine), so scorers' databases merge
    # without duplicates; answers keep given_at and changed_at so a merge keeps the latest.
    db.table("raters").create({"uuid": str, "name": str, "level": str, "created_at": str},
                        pk="uuid", not_null={"name", "level"})
    db.table("studies").create(
        {"uuid": str, "name": str, "created_at": str, "show_reference": int,
         "institution_1": str, "seed": int},
        pk="uuid", not_null={"name"},
    )
    db.table("study_candidates").create(
        {"uuid": str, "study_uuid": str, "candidate_uuid": str},
        pk="uuid", foreign_keys=[("study_uuid", "studies", "uuid"),
                                 ("candidate_uuid", "candidates", "uuid")],
    )
    # One row per rater and candidate: position is the rater's own seeded shuffled order.
    db.table("assignments").create(
        {"uuid": str, "study_uuid": str, "rater_uuid": str, "candidate_uuid": str,
         "position": int, "created_at": str},
        pk="uuid", foreign_keys=[("study_uuid", "studies", "uuid"),
                                 ("rater_uuid", "raters", "uuid"),
                                 ("candidate_uuid", "candidates", "uuid")],
    )
    db.table("assignments").create_index(["study_uuid", "rater_uuid", "position"])
    db.table("answers").create(
        {"uuid": str, "study_uuid": str, "rater_uuid": str, "candidate_uuid": str,
         "metric": str, "score": int, "na": int, "quotes": str, "explanation": str,
         "given_at": str, "changed_at": str},
        pk="uuid", not_null={"metric", "given_at", "changed_at"},
        foreign_keys=[("study_uuid", "studies", "uuid"), ("rater_uuid", "raters", "uuid"),
                      ("candidate_uuid", "candidates", "uuid")],
    )
    db.table("answers").create_index(["study_uuid", "rater_uuid"])
    # Where each rater stopped, so reopening the study resumes on that item.
    db.table("cursors").create(
        {"uuid": str, "study_uuid": str, "rater_uuid": str, "position": int, "metric": str,
         "changed_at": str},
        pk="uuid",
    )


@migrations()
def m004_examples_and_flags(db: Database) -> None:
    # Issue 8: a corpus of accepted findings -> impression pairs (what the radiologist
    # copied, or an institution's imported reports) retrieved as examples for the prompt.
    # uuid is a hash of the pair's content, so importing a file twice adds nothing.
    db.table("examples").create(
        {"id": int, "uuid": str, "created_at": str, "source": str, "institution": str,
         "body_system": str, "modality": str, "language": str, "findings": str,
         "impression": str},
        pk="id", not_null={"uuid", "findings", "impression"},
    )
    db.table("examples").create_index(["uuid"], unique=True)
    db.table("examples").create_index(["body_system", "institution"])
    # FTS5 over jieba words / lower-case English words joined by spaces (SQLite's own
    # tokenizers cannot cut Chinese into words); rowid = examples.id.
    db.execute("CREATE VIRTUAL TABLE examples_fts USING fts5(words)")
    # Issue 8: a safety flag the radiologist dismissed stays on record with its draft.
    db.table("flag_dismissals").create(
        {"id": int, "draft_uuid": str, "kind": str, "key": str, "reason": str,
         "dismissed_at": str},
        pk="id", not_null={"draft_uuid", "kind", "key", "dismissed_at"},
    )
    db.table("flag_dismissals").create_index(["draft_uuid"])


@migrations()
def m005_draft_adapter(db: Database) -> None:
    # Issue 11: one base model serves several institutions through LoRA adapters, so the
    # model's sha256 alone no longer says what wrote a draft: keep the adapter's name and
    # sha256 too ("" = no adapter; NULL = drafted before adapters existed).
    db.table("drafts").add_column("adapter_name", str)
    db.table("drafts").add_column("adapter_sha256", str)


@migrations()
def m006_batch_problems(db: Database) -> None:
    # Issue 18: a case a serving engine failed (down, errors, a cut answer, another model)
    # is left for the next run, and why is kept here until a later run drafts it.
    db.table("batch_problems").create(
        {"uuid": str, "case_uuid": str, "model_sha256": str, "model_name": str,
         "template_id": str, "template_version": str, "reason": str, "tries": int,
         "at": str},
        pk="uuid", foreign_keys=[("case_uuid", "cases", "uuid")],
    )
