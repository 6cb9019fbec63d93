"""Which device llama.cpp runs on, and a sentence saying why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from radval_desktop.errors import sentence


@dataclass(frozen=True)
class DeviceChoice:
    n_gpu_layers: int  # passed to llama.cpp; -1 = all layers
    kind: str  # "GPU" or "CPU"
    reason: str
    build: str = ""  # which llama.cpp build runs (backends.LlamaBuild.label), set once loaded
    # The reason as a template and its values: the window shows it in its language.
    template: str = ""
    values: tuple[tuple[str, object], ...] = ()

    def describe(self) -> str:
        # The build first: the status bar cuts the end of a long reason off.
        build = f"llama.cpp {self.build}; " if self.build else ""
        return f"{self.kind}: {build}{self.reason}"


def _supports_gpu_offload() -> bool:
    import llama_cpp

    from radval_desktop.engine.backends import load_backends

    load_backends()  # a CUDA module of the installer's build is found only once loaded
    return bool(llama_cpp.llama_supports_gpu_offload())


def choose_device(
    requested_layers: int,
    block_count: int | None = None,
    supports_gpu: Callable[[], bool] = _supports_gpu_offload,
) -> DeviceChoice:
    """All layers on the GPU when this llama.cpp build can offload, else the CPU.

    ``requested_layers``: -1 = as many as the model has (the default), 0 = CPU only,
    n = that many (for a GPU too small for the whole model).
    """
    if not supports_gpu():
        return _choice(0, "CPU", sentence("Device",
                                          "this llama.cpp build has no GPU support (no CUDA)"))
    if requested_layers == 0:
        return _choice(0, "CPU", sentence(
            "Device", "GPU offload is turned off in the settings (GPU layers = 0)"))
    total = block_count + 1 if block_count else None  # + the output layer, as llama.cpp counts
    if requested_layers < 0 or (total is not None and requested_layers >= total):
        if total:
            return _choice(-1, "GPU", sentence("Device", "all {total} layers offloaded"),
                           total=total)
        return _choice(-1, "GPU", sentence("Device", "all layers offloaded"))
    if total:
        return _choice(requested_layers, "GPU",
                       sentence("Device", "{layers} of {total} layers offloaded"),
                       layers=requested_layers, total=total)
    return _choice(requested_layers, "GPU", sentence("Device", "{layers} layers offloaded"),
                   layers=requested_layers)


def _choice(n_gpu_layers: int, kind: str, template: str, **values: object) -> DeviceChoice:
    return DeviceChoice(n_gpu_layers, kind, template.format(**values), template=template,
                        values=tuple(values.items()))
