"""Embed a feature tag table.

A feature table lists features (rows) and the boolean tags that describe them
(columns), like the Jane Street 2024 feature file. We learn a dense embedding
per feature from its tag set and append it to the table as ``embed_*``
columns: the seed document's preprocessing job, done with a trained model
instead of random weights.
"""

import os

import numpy as np
import pandas as pd

from sktagembed import TagEmbeddingTransformer

# Examples run on small settings under the test suite.
EPOCHS = 5 if os.environ.get("SKTAGEMBED_EXAMPLES_FAST") else 200

# A feature table: 40 features, 8 tags, 1-3 tags per feature.
rng = np.random.default_rng(0)
tags = pd.DataFrame(rng.random((40, 8)) < 0.25,
                    columns=[f"tag_{i}" for i in range(8)])
tags.loc[~tags.any(axis=1), "tag_0"] = True
table = pd.concat(
    [pd.Series([f"feature_{i:02d}" for i in range(40)], name="feature"), tags],
    axis=1,
)

# Without a target the embedding learns to reconstruct each feature's tags.
embedder = TagEmbeddingTransformer("attention", embedding_dim=4, max_epochs=EPOCHS,
                                   random_state=0)
embedder.set_output(transform="pandas")
embedded = pd.concat([table, embedder.fit_transform(table[tags.columns])], axis=1)
print(embedded.head())

# One embedding per tag, for inspection or plotting.
print(embedder.embeddings_.round(3))
