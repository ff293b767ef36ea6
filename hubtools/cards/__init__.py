"""Model cards rendered from the templates in model_cards/ (the dataset card is the data stage's:
`hubtools.data.card`)."""

from hubtools.paths import TEMPLATES_DIR

__all__ = ["TEMPLATES_DIR"]
