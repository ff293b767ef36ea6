"""`hubtools space ...`: run the chat Space locally against any Hub, deploy it, convert weights for it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hubtools.cli._common import Formatter, add_hub_options
from hubtools.errors import HubtoolsError

RUN_EPILOG = """\
examples:
  hubtools space run --model alice/tiny-chat                    # newest release, else main
  hubtools space run --model alice/tiny-chat --revision v0.2.0 --port 7861
  hubtools space run --model local/tiny-chat --hub local --maintainer   # embedded Hub, checkpoints listed
  hubtools space run --kind static --model local/tiny-chat --hub local  # the in-browser chat page
"""
DEPLOY_EPILOG = """\
examples:
  hubtools space deploy --space alice/tiny-chat-demo --model alice/tiny-chat
  hubtools space deploy --space local/demo --model local/tiny-chat --revision v0.1.0 --hub local
  hubtools space deploy --space alice/tiny-chat-demo --model alice/tiny-chat --hardware zero-a10g
  hubtools space deploy --kind static --space alice/tiny-chat-web --model alice/tiny-chat

prints the Space repo id and the commit it serves; pushing identical content makes no commit.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    space = subparsers.add_parser("space", help="run, deploy and prepare the chat Space")
    commands = space.add_subparsers(dest="space_command", metavar="COMMAND", required=True)

    run = commands.add_parser(
        "run",
        help="serve the chat Space on this machine",
        description="Serve the chat Space (spaces/chat/app.py) locally for MODEL, resolved on the Hub target.",
        epilog=RUN_EPILOG,
        formatter_class=Formatter,
    )
    _add_model_options(run)
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    run.add_argument("--port", type=int, default=7860, help="port to listen on (default: 7860)")
    run.add_argument(
        "--backend",
        choices=("auto", "ctranslate2", "transformers"),
        default="auto",
        help="inference engine (default: auto = CTranslate2 int8 when it loads, else transformers fp32)",
    )
    run.add_argument("--maintainer", action="store_true", help="list the training checkpoints for everyone")
    run.add_argument(
        "--kind",
        choices=("gradio", "static"),
        default="gradio",
        help="gradio: the Python chat app; static: the in-browser chat page, served with the Space's "
        "isolation headers (default: gradio)",
    )
    run.add_argument("--app-dir", type=Path, help="folder holding app.py (default: shipped spaces/chat)")
    add_hub_options(run)
    run.set_defaults(func=run_command)

    deploy = commands.add_parser(
        "deploy",
        help="create or update the chat Space repo on the Hub",
        description="Push the app, its SpaceCard metadata and its variables (MODEL_REPO, MODEL_REVISION) to "
        "SPACE; on huggingface.co the variables go through the Space settings and the Space restarts.",
        epilog=DEPLOY_EPILOG,
        formatter_class=Formatter,
    )
    deploy.add_argument("--space", required=True, metavar="REPO", help="Space repo id (owner/name)")
    _add_model_options(deploy)
    deploy.add_argument("--private", action="store_true", help="create the Space private")
    deploy.add_argument(
        "--hardware",
        metavar="FLAVOR",
        help="Space hardware to request, e.g. zero-a10g (ZeroGPU: a free account may host 2) or cpu-basic; "
        "zero-* also ships the ZeroGPU app, torch pin and python_version (default: the Space's current hardware)",
    )
    deploy.add_argument(
        "--kind",
        choices=("auto", "static", "gradio"),
        default="auto",
        help="static: the model runs in the visitor's browser (free Spaces); gradio: on the Space's hardware; "
        "auto: an existing Space keeps its kind, a new one is static on huggingface.co (gradio with --hardware), "
        "gradio on other Hubs; a Space of the other kind is refused, never converted (default: auto)",
    )
    deploy.add_argument(
        "--app-dir",
        type=Path,
        help="folder holding the Space files (default: the shipped spaces/chat, or spaces/web-chat for static)",
    )
    add_hub_options(deploy)
    deploy.set_defaults(func=deploy_command)

    convert = commands.add_parser(
        "convert",
        help="write the fast CPU weights (CTranslate2 int8) for a model folder",
        description="What a release publishes beside the model as ct2-int8/ (library: convert_for_serving).",
        epilog="examples:\n  hubtools space convert out/model out/model/ct2-int8\n"
        "  hubtools space convert out/model out/model/ct2-f32 --quantization float32\n",
        formatter_class=Formatter,
    )
    convert.add_argument("model_dir", type=Path, help="a save_pretrained model folder")
    convert.add_argument("out_dir", type=Path, help="output folder, e.g. MODEL_DIR/ct2-int8")
    convert.add_argument("--quantization", default="int8", help="CTranslate2 quantization (default: int8)")
    convert.set_defaults(func=convert_command)

    export = commands.add_parser(
        "export-web",
        help="write the in-browser copy (ONNX fp32 + q8, for transformers.js) of a model folder",
        description="What a release publishes beside the model as onnx/ (library: export_for_web), checked "
        "against transformers with onnxruntime; also copies the chat template into tokenizer_config.json.",
        epilog="examples:\n  hubtools space export-web out/model\n\n"
        "writes out/model/onnx/model.onnx (fp32) and onnx/model_quantized.onnx (q8) with their check report.\n",
        formatter_class=Formatter,
    )
    export.add_argument("model_dir", type=Path, help="a save_pretrained model folder (gpt2 or opt)")
    export.set_defaults(func=export_web_command)


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="REPO", help="model repo id (owner/name)")
    parser.add_argument(
        "--revision", metavar="REV", help="release tag, branch or commit (default: the newest v* release, else main)"
    )


def run_command(args: argparse.Namespace) -> int:
    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token) as target:
        from hubtools.serve.local import launch_space, serve_static_space

        if args.kind == "static":
            serve_static_space(
                args.model, args.revision, target=target, host=args.host, port=args.port, app_dir=args.app_dir
            )
            return 0
        launch_space(
            args.model,
            args.revision,
            where=str(target),
            host=args.host,
            port=args.port,
            backend=args.backend,
            maintainer=args.maintainer,
            app_dir=args.app_dir,
        )
    return 0


def deploy_command(args: argparse.Namespace) -> int:
    from hubtools.hub.target import hub_target

    with hub_target(args.hub, args.token) as target:
        from huggingface_hub import HfApi

        from hubtools.serve.deploy import deploy_space
        from hubtools.serve.space_kinds import choose_kind
        from hubtools.serve.static_space import deploy_static_space

        api = HfApi(endpoint=target.endpoint, token=target.token)
        if args.hardware and args.kind == "static":
            raise HubtoolsError("--hardware: a static Space runs in the visitor's browser and has no hardware")
        kind = choose_kind(api, args.space, "gradio" if args.hardware else args.kind)
        if kind == "static":
            deployed = deploy_static_space(
                args.space, args.model, revision=args.revision, api=api, app_dir=args.app_dir, private=args.private
            )
        else:
            deployed = deploy_space(
                args.space,
                args.model,
                revision=args.revision,
                api=api,
                app_dir=args.app_dir,
                embedded=target.embedded,
                private=args.private,
                hardware=args.hardware,
            )
        state = "updated" if deployed.changed else "unchanged"
        print(f"hubtools space: {kind} Space {deployed.repo_id} {state} at {target}", file=sys.stderr)
        print(f"{deployed.repo_id}\t{deployed.commit}")
    return 0


def convert_command(args: argparse.Namespace) -> int:
    from hubtools.serve.convert import convert_for_serving

    out = convert_for_serving(args.model_dir, args.out_dir, quantization=args.quantization)
    print(out)
    return 0


def export_web_command(args: argparse.Namespace) -> int:
    from hubtools.serve.onnx_export import export_for_web
    from hubtools.train.chat_template import template_into_config

    template_into_config(args.model_dir)
    result = export_for_web(args.model_dir)
    print(f"hubtools space: q8 agreement {result.check.q8_agreement:.1%} with fp32", file=sys.stderr)
    print(result.out_dir)
    return 0
