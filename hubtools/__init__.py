"""hubtools: from raw chat data to a published chat model and a public chat Space."""

__version__ = "0.1.0"
