"""Dataset and model cards rendered from the templates in model_cards/."""

from pathlib import Path

# `model_cards/` at the repository root, reached through a symlink so that wheels ship the templates too.
TEMPLATES_DIR = Path(__file__).parent / "templates"
