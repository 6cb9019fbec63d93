"""llama-cpp-python's OpenAI-compatible server with the load guards of RadVal's own engine:
`python -m radval_desktop.engine.serve --model M ...` takes `python -m llama_cpp.server`'s
arguments. Where the llama.cpp build has Intel AMX, the weights stay in plain CPU memory
(backends.weights_in_plain_memory): the plain server crashes there at its first answer with
a K-quant model, as the engine did. For `radval batch --server` on a workstation or a CPU
server; a GPU server runs vLLM or llama-server."""

from __future__ import annotations

from radval_desktop.engine.backends import load_backends, weights_in_plain_memory


def main() -> None:
    from llama_cpp.server.__main__ import main as serve

    load_backends()
    # The server loads its model(s) when it starts and may load again on request: the
    # guard holds for the life of this process.
    with weights_in_plain_memory():
        serve()


if __name__ == "__main__":
    main()
