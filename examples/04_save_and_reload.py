"""Save a fitted pipeline with joblib and load it back.

.. warning::
   ``joblib.load`` unpickles, and unpickling runs code from the file: load only
   files you trust. To share a learned tag table as plain data instead, see
   ``TagEmbeddingTransformer.export_embeddings`` (the end of this example).

A pipeline fitted on a GPU loads on a CPU-only machine too: skorch maps the
embedding net back to the CPU.
"""

import os
import tempfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sktagembed import TagEmbeddingTransformer

EPOCHS = 3 if os.environ.get("SKTAGEMBED_EXAMPLES_FAST") else 50

rng = np.random.default_rng(0)
X = pd.DataFrame(rng.random((300, 5)) < 0.4, columns=list("abcde"))
y = (X["a"] ^ X["b"]).astype(int)  # needs the interaction of two tags

pipe = make_pipeline(
    TagEmbeddingTransformer("interaction", embedding_dim=4, max_epochs=EPOCHS,
                            random_state=0),
    LogisticRegression(),
).fit(X, y)

with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "pipeline.joblib"
    joblib.dump(pipe, path)
    loaded = joblib.load(path)  # trusted file: we just wrote it

same = np.array_equal(pipe.predict_proba(X), loaded.predict_proba(X))
print(f"reloaded pipeline gives identical probabilities: {same}")
print(f"training accuracy: {loaded.score(X, y):.3f}")

# Sharing without pickle: the learned per-tag table as data, read back by
# name. For a summing method the "pretrained" transformer reproduces it exactly.
summing = TagEmbeddingTransformer("sum", embedding_dim=4, max_epochs=EPOCHS,
                                  random_state=0).fit(X, y)
with tempfile.TemporaryDirectory() as folder:
    table = summing.export_embeddings(Path(folder) / "tags.safetensors")
    shared = TagEmbeddingTransformer("pretrained", embedding_dim=4,
                                     pretrained=table, max_epochs=0).fit(X)
same = np.allclose(shared.transform(X), summing.transform(X), atol=1e-6)
print(f"exported table reproduces the embedding: {same}")
