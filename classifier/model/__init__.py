"""The model: codebook and labelled data, the pipeline, training, metrics, the card, the store."""
