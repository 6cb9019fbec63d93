"""What one llama_decode step costs a token, by tokens a step and cells already held (issue 18).

One sequence of the default model, loaded as the engine loads it (the BF16 copy where the CPU
has BF16 arithmetic), in a context of its own: a prompt of ``context`` tokens is held, then a
step of ``n`` tokens is decoded (5 times, median), with flash attention on (the engine's
setting) and off. It tells the batched generation's cost (a few tokens a step) from a
prompt's (hundreds a step), and what attention over held cells adds. Prints; asserts nothing.

    python bench/decode_step.py [--threads 2] [--context 16,1000,4000] [--tokens 1,8,16,64]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from radval_desktop.engine.default_model import default_model_path  # noqa: E402
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--context", default="16,1000,4000")
    parser.add_argument("--tokens", default="1,8,16,64")
    args = parser.parse_args()
    import llama_cpp
    from llama_cpp import _internals

    engine = LlamaEngine(default_model_path(), EngineSettings(n_threads=args.threads))
    info = engine.load()
    llm = engine._llm
    batch = llama_cpp.llama_batch_init(512, 0, 1)
    print(f"default model ({info.compute_type or info.quantization}), {args.threads} threads; "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| flash attention | cells held | tokens a step | ms a step | ms a token |")
    print("| --- | --- | --- | --- | --- |")
    for flash in (1, 0):
        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
        params.n_ctx, params.n_batch, params.n_ubatch, params.n_seq_max = 8192, 512, 512, 1
        params.n_threads = params.n_threads_batch = args.threads
        params.flash_attn_type = flash
        ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)

        def put(start: int, n: int, ctx: Any = ctx) -> None:
            for j in range(n):
                batch.token[j], batch.pos[j], batch.n_seq_id[j] = 100 + (start + j) % 700, \
                    start + j, 1
                batch.seq_id[j][0], batch.logits[j] = 0, j == n - 1
            batch.n_tokens = n
            if llama_cpp.llama_decode(ctx.ctx, batch) != 0:
                raise RuntimeError("llama_decode failed")

        try:
            for held in (int(x) for x in args.context.split(",")):
                llama_cpp.llama_memory_seq_rm(ctx.memory, 0, -1, -1)
                for start in range(0, held, 500):
                    put(start, min(500, held - start))
                for n in (int(x) for x in args.tokens.split(",")):
                    times = []
                    for _ in range(5):
                        begun = time.perf_counter()
                        put(held, n)
                        times.append(time.perf_counter() - begun)
                        llama_cpp.llama_memory_seq_rm(ctx.memory, 0, held, -1)
                    step = statistics.median(times) * 1000
                    print(f"| {'on' if flash else 'off'} | {held} | {n} | {step:.1f} | "
                          f"{step / n:.2f} |", flush=True)
        finally:
            ctx.close()
    llama_cpp.llama_batch_free(batch)
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
