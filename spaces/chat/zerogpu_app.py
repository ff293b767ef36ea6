"""ZeroGPU entry point: `hubtools space deploy --hardware zero-a10g` ships it as `app.py` (the chat app as
`chat_app.py`).

ZeroGPU lends a GPU to one call at a time: `spaces` is imported before anything can initialise CUDA, the model
is loaded and moved to CUDA at module level (on ZeroGPU `SPACES_ZERO_GPU` is set, so the service serves on
`cuda`), and the reply generator runs under `@spaces.GPU`, which streams what it yields. Outside ZeroGPU the
decorator returns the function unchanged and the same file serves on the CPU (CTranslate2 int8).
"""

import spaces  # noqa: I001  first: ZeroGPU must see CUDA before torch does

import logging

import chat_app

SERVICE = chat_app.start_service()  # module level: ZeroGPU moves the weights to the GPU here, once


@spaces.GPU(duration=120)
def reply(message, history, choice, card, settings):
    """Runs where the GPU is; every argument pickles (strings, lists, dataclasses)."""
    model = SERVICE.model_for(choice)
    yield from SERVICE.reply(message, history, card=card, settings=settings, model=model)


demo = chat_app.build_demo(SERVICE, reply_fn=reply)

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    demo.queue(default_concurrency_limit=16).launch(**chat_app.LAUNCH_OPTIONS)
