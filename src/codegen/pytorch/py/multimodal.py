# The composed model (src/runtime/model.ts): images through the encoder and connector, image
# tokens written over their slots in the text embeddings, the decoder, and next-token
# cross-entropy on text targets only plus the MoE auxiliary losses.
import collections

import torch
import torch.nn.functional as F
from torch import nn

LossParts = collections.namedtuple("LossParts", ["total", "cross_entropy", "moe"])


def build_part(part, device=None):
    """One part or preset from its kind and resolved config: `{"kind": ..., "config": {...}}`."""
    return KINDS[part["kind"]](part["config"], device=device)


def shift_targets(tokens, loss_mask):
    """Position i predicts token i + 1; the last position of each row has no target."""
    targets = torch.zeros_like(tokens)
    mask = torch.zeros(tokens.shape, dtype=torch.float32, device=tokens.device)
    targets[:, :-1] = tokens[:, 1:]
    mask[:, :-1] = loss_mask[:, 1:].to(torch.float32)
    return targets, mask  # [B, T] each


def cross_entropy(logits, targets, mask):
    """The mean over the counted positions (mask 1) of -log softmax(logits)[target]."""
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), reduction="none"
    )  # [B * T]
    mask = mask.reshape(-1).to(per_token.dtype)
    return (per_token * mask).sum() / mask.sum().clamp(min=1)


class MultimodalModel(nn.Module):
    """A `model` of the spec: `spec` is one entry of MODELS.

    Batches are those of data.py: `tokens` [B, T] int64, `loss_mask` [B, T] (1: a text target),
    `images` [N, C, H, W] and `image_slots` [S, 4] int64 rows (row, start, length, image index).
    A tiled model's image is several entries of `images` (its overview, then its crops), each
    with its own slot of one crop's tokens: the encoder runs once per entry, as in TypeScript.
    """

    def __init__(self, spec, device=None):
        super().__init__()
        self.spec = spec
        self.vision = build_part(spec["vision"], device) if "vision" in spec else None
        self.connector = build_part(spec["connector"], device) if "connector" in spec else None
        self.llm = build_part(spec["llm"], device)

    def image_tokens(self, images):  # images [N, C, H, W]
        if self.vision is None or self.connector is None:
            raise ValueError("the batch has images, but this model has no vision encoder")
        tokens = self.connector(self.vision(images))  # [N, K, width]
        return tokens.reshape(-1, tokens.shape[-1])  # [N * K, width], image by image

    def embed(self, tokens, images=None, image_slots=None):
        b, t = tokens.shape
        text = self.llm.embed(tokens).reshape(b * t, -1)  # [B * T, width]
        if images is None or image_slots is None or len(image_slots) == 0:
            return text.view(b, t, -1)
        per_image = self.image_tokens(images)  # [N * K, width]
        k = per_image.shape[0] // images.shape[0]
        src, dst = [], []
        for row, start, length, image in torch.as_tensor(image_slots).tolist():
            for j in range(min(length, k)):
                src.append(image * k + j)
                dst.append(row * t + start + j)
        dst = torch.tensor(dst, dtype=torch.int64, device=text.device)
        src = torch.tensor(src, dtype=torch.int64, device=text.device)
        keep = torch.ones(b * t, 1, dtype=text.dtype, device=text.device)
        keep[dst] = 0
        placed = torch.zeros_like(text).index_add(0, dst, per_image[src])  # [B * T, width]
        return (text * keep + placed).view(b, t, -1)  # [B, T, width]

    def logits(self, tokens, images=None, image_slots=None):
        """Logits [B, T, vocab] and the MoE layers' statistics."""
        return self.llm(self.embed(tokens, images, image_slots))

    def forward(self, tokens, loss_mask, images=None, image_slots=None):
        logits, stats = self.logits(tokens, images, image_slots)  # [B, T, vocab]
        targets, mask = shift_targets(tokens, loss_mask)  # [B, T] each
        ce = cross_entropy(logits, targets, mask)  # []
        aux = self.llm.aux_loss(stats)
        return LossParts(ce if aux is None else ce + aux, ce, stats)
