"""One training stage through transformers' Trainer: progress bars, eval loss, committed
checkpoints, resume after a kill, and DDP under torchrun/accelerate without code changes."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training import checkpoints
from training.errors import TrainingError
from training.modeling import set_stage
from training.precision import Precision
from training.recipe import TrainConfig
from training.run_folder import is_main_process, write_json
from training.samples import PadCollator, Sample, SampleDataset

log = logging.getLogger(__name__)

Events = Callable[..., None]


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def accumulation_steps(train: TrainConfig, processes: int) -> int:
    """Gradient accumulation that keeps the effective batch (§4.2: 64) on any process count."""
    per_step = train.per_device_batch_size * processes
    if train.effective_batch_size % per_step:
        raise TrainingError(
            f"train.effective_batch_size {train.effective_batch_size} cannot be split over "
            f"{processes} processes x {train.per_device_batch_size} per device; change "
            "train.per_device_batch_size or the number of processes.")
    return max(1, train.effective_batch_size // per_step)


def event_logger(path: Path) -> Events:
    """Append one JSON line per event (start, resume, checkpoint, done) to the run folder."""
    def record(event: str, **fields: Any) -> None:
        if not is_main_process():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"event": event, "time": time.time(), **fields}, ensure_ascii=False)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    return record


def _backend() -> str:
    import torch.distributed as dist

    return str(dist.get_backend()) if dist.is_available() and dist.is_initialized() else ""


def init_distributed() -> None:
    """Join the process group now (accelerate's shared state, which the Trainer reuses), so
    that the ranks can wait for each other before the Trainer exists."""
    if world_size() > 1:
        import torch
        from accelerate import PartialState

        # cpu=True on a machine without CUDA: as the Trainer's use_cpu does (gloo).
        PartialState(cpu=not torch.cuda.is_available())


def barrier() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()


@dataclass(frozen=True)
class StageResult:
    name: str
    steps: int
    trainable: int
    samples: int
    eval_loss_before: float | None
    eval_loss_after: float | None
    train_losses: list[tuple[int, float]]
    resumed_from: int | None
    seconds: float
    world_size: int  # processes the Trainer trained with (DDP under torchrun/accelerate)
    backend: str  # torch.distributed backend ("gloo", "nccl"), "" in a single process

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _log_callback(stage: str, events: Events) -> Any:
    """Training loss and eval loss into events.jsonl as they are logged (rank 0)."""
    from transformers import TrainerCallback

    class LogEvents(TrainerCallback):
        def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
                   **kwargs: Any) -> None:
            if state.is_world_process_zero and logs:
                events("log", stage=stage, step=state.global_step,
                       **{k: v for k, v in logs.items() if isinstance(v, int | float)})

    return LogEvents()


def tensorboard_dir(folder: Path, events: Events) -> Path | None:
    """Where TensorBoard curves go (offline: local event files), or None when it is not
    installed; said once per training, in the log and in events.jsonl."""
    from transformers.integrations import is_tensorboard_available

    if is_tensorboard_available():
        path: Path | None = folder / "tensorboard"
        note = f"TensorBoard logs in {path} (tensorboard --logdir {path})."
    else:
        path = None
        note = ("TensorBoard is not installed (pip install tensorboard to get curves): "
                "training progress is in events.jsonl and `python -m training status`.")
    if is_main_process():
        log.info(note)
    events("tensorboard", note=note)
    return path


def _tensorboard_callback(folder: Path) -> Any:
    from torch.utils.tensorboard import SummaryWriter
    from transformers.integrations import TensorBoardCallback

    return TensorBoardCallback(tb_writer=SummaryWriter(log_dir=str(folder)))


def _training_arguments(out: Path, train: TrainConfig, precision: Precision, epochs: float,
                        max_steps: int, evaluate: bool, first_start: bool,
                        save: bool) -> Any:
    from transformers import TrainingArguments

    # transformers 5.x renames gradient_checkpointing to activation_checkpointing (the old
    # name warns, and goes in v6); use whichever this version has.
    names = {f.name for f in dataclasses.fields(TrainingArguments)}
    checkpointing = ("activation_checkpointing" if "activation_checkpointing" in names
                     else "gradient_checkpointing")
    extra: dict[str, Any] = {checkpointing: precision.gradient_checkpointing,
                             f"{checkpointing}_kwargs": {"use_reentrant": False}}
    return TrainingArguments(
        **extra,
        output_dir=str(out),
        per_device_train_batch_size=train.per_device_batch_size,
        per_device_eval_batch_size=train.per_device_batch_size,
        gradient_accumulation_steps=accumulation_steps(train, world_size()),
        learning_rate=train.learning_rate,
        lr_scheduler_type=train.lr_scheduler,
        warmup_steps=train.warmup_steps,
        weight_decay=train.weight_decay,
        max_grad_norm=train.max_grad_norm,
        num_train_epochs=epochs,
        max_steps=max_steps if max_steps > 0 else -1,
        optim=precision.optimizer,
        bf16=precision.bf16,
        fp16=precision.fp16,
        use_cpu=precision.device == "cpu",
        logging_steps=train.logging_steps,
        logging_first_step=True,
        eval_strategy="steps" if evaluate else "no",
        eval_steps=train.eval_steps,
        # Eval loss before any step (once: not again when resuming) gives the card's baseline.
        eval_on_start=evaluate and first_start,
        save_strategy="steps" if save else "no",
        save_steps=train.save_steps,
        save_total_limit=None,  # rotated after the commit: training.checkpoints
        report_to="none",
        seed=train.seed,
        remove_unused_columns=False,
        label_names=["labels"],
        ddp_find_unused_parameters=False,
        dataloader_num_workers=0,
    )


def run_stage(
    name: str,
    stage: int,
    model: Any,
    tokenizer: Any,
    train_samples: list[Sample],
    eval_samples: list[Sample],
    train: TrainConfig,
    precision: Precision,
    out: Path,
    epochs: float,
    events: Events,
    save_checkpoints: bool = True,
    tensorboard: Path | None = None,
) -> StageResult:
    """Train ``model`` (a PeftModel) in place; resumes from the last committed checkpoint."""
    from transformers import Trainer

    started = time.time()
    trainable = set_stage(model, stage, train)
    resume: Path | None = None
    if save_checkpoints:
        if is_main_process():
            removed = checkpoints.remove_uncommitted(out)
            if removed:
                events("removed-uncommitted", stage=name, checkpoints=removed)
        resume = checkpoints.last_committed(out)
    evaluate = bool(eval_samples)
    args = _training_arguments(out, train, precision, epochs, train.max_steps, evaluate,
                               first_start=resume is None, save=save_checkpoints)

    class StageTrainer(Trainer):
        def create_optimizer(self, *a: Any, **k: Any) -> Any:
            # Resuming reloads the adapter as trainable as a whole; put this stage's choice
            # back before the optimizer (and its saved state) is built over the parameters.
            set_stage(self.model, stage, train)
            return super().create_optimizer(*a, **k)

    callbacks = [checkpoints.commit_callback(out, train.keep_checkpoints, events),
                 _log_callback(name, events)]
    if tensorboard is not None and is_main_process():
        callbacks.append(_tensorboard_callback(tensorboard / name))
    trainer = StageTrainer(model=model, args=args, train_dataset=SampleDataset(train_samples),
                           eval_dataset=SampleDataset(eval_samples) if evaluate else None,
                           data_collator=PadCollator(tokenizer.pad_token_id),
                           callbacks=callbacks if save_checkpoints else callbacks[1:])
    if resume is not None:
        events("resume", stage=name, from_step=checkpoints.step_of(resume), path=str(resume))
    else:
        events("start", stage=name, samples=len(train_samples), trainable=trainable)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    after = trainer.evaluate()["eval_loss"] if evaluate else None
    history = trainer.state.log_history
    before = next((h["eval_loss"] for h in history if "eval_loss" in h and h["step"] == 0),
                  None)
    losses = [(int(h["step"]), float(h["loss"])) for h in history if "loss" in h]
    result = StageResult(name, int(trainer.state.global_step), trainable, len(train_samples),
                         before, after, losses,
                         checkpoints.step_of(resume) if resume else None,
                         round(time.time() - started, 2), int(trainer.args.world_size),
                         _backend())
    events("done", stage=name, steps=result.steps, eval_loss=after)
    return result


def save_adapter(model: Any, out: Path) -> None:
    """The stage's adapter, written beside its checkpoints and renamed into place (rank 0)."""
    if is_main_process():
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        # The embeddings' base weights are the base model's own: not copied into the adapter.
        model.save_pretrained(str(tmp), save_embedding_layers=False)
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)
    barrier()


def write_stage_done(path: Path, result: StageResult) -> None:
    if is_main_process():
        write_json(path, result.as_dict())
