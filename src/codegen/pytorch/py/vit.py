# ViT, the vision encoder (src/runtime/layers/vit.ts), under CLIP's vision-tower names: patch
# embedding, optional class token, learned positions, optional pre-norm, pre-norm blocks, optional
# final norm, an optional classification head. Output: the patch tokens, class token dropped.
import torch
from torch import nn


class ViTEmbeddings(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        width, patch = c["width"], c["patch"]
        grid = (c["image_height"] // patch) * (c["image_width"] // patch)
        if c["class_token"]:
            self.class_embedding = nn.Parameter(torch.empty(width, device=device))
        else:
            self.register_parameter("class_embedding", None)
        # The runtime's [patch, patch, channels, width] filter over flattened patches is this
        # convolution with the filter permuted to [width, channels, patch, patch].
        self.patch_embedding = nn.Conv2d(
            c["channels"], width, patch, stride=patch, bias=c["patch_bias"], device=device
        )
        seq = grid + (1 if c["class_token"] else 0)
        self.position_embedding = nn.Embedding(seq, width, device=device)

    def forward(self, images):  # images [N, C, H, W]
        x = self.patch_embedding(images)  # [N, width, H / patch, W / patch]
        x = x.flatten(2).transpose(1, 2)  # [N, grid, width], patches row by row
        if self.class_embedding is not None:
            cls = self.class_embedding.view(1, 1, -1).expand(x.shape[0], 1, -1)  # [N, 1, width]
            x = torch.cat([cls, x], dim=1)  # [N, seq, width]
        return x + self.position_embedding.weight  # [N, seq, width]


class ViTLayer(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        width, heads, kind, eps = c["width"], c["heads"], c["norm"], norm_eps(c)
        mlp = c["mlp"]
        self.layer_norm1 = Norm(width, kind, eps, device)
        self.self_attn = Attention(
            width,
            heads,
            heads,
            width // heads,
            c["qkv_bias"],
            c["bias"],
            out_name="out_proj",
            device=device,
        )
        self.layer_norm2 = Norm(width, kind, eps, device)
        names = CLIP_SWIGLU_MLP if mlp["fn"] == "swiglu" else CLIP_MLP
        self.mlp = MLP(width, mlp["fn"], mlp["hidden"], c["bias"], names, device)

    def forward(self, h):  # h [N, seq, width]
        h = h + self.self_attn(self.layer_norm1(h))  # [N, seq, width]
        return h + self.mlp(self.layer_norm2(h))  # [N, seq, width]


class ViTEncoder(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        self.layers = nn.ModuleList(ViTLayer(c, device) for _ in range(c["depth"]))

    def forward(self, h):
        for layer in self.layers:
            h = layer(h)
        return h


class VisionTransformer(nn.Module):
    def __init__(self, c, device=None):
        super().__init__()
        width, kind, eps = c["width"], c["norm"], norm_eps(c)
        self.embeddings = ViTEmbeddings(c, device)
        # CLIP's spelling, `pre_layrnorm`, so its checkpoints load as they are.
        self.pre_layrnorm = Norm(width, kind, eps, device) if c["pre_norm"] else None
        self.encoder = ViTEncoder(c, device)
        self.post_layernorm = Norm(width, kind, eps, device) if c["final_norm"] else None

    def forward(self, images):  # images [N, C, H, W]
        h = self.embeddings(images)  # [N, seq, width]
        if self.pre_layrnorm is not None:
            h = self.pre_layrnorm(h)
        h = self.encoder(h)  # [N, seq, width]
        if self.post_layernorm is not None:
            h = self.post_layernorm(h)
        return h


class ViT(nn.Module):
    """The `ViT` kind.

    `head` (with `classes`) is counted and loaded, but image tokens come from the patch tokens,
    so the forward pass does not use it (as in the runtime).
    """

    def __init__(self, c, device=None):
        super().__init__()
        self.class_token = c["class_token"]
        self.vision_model = VisionTransformer(c, device)
        classes = c.get("classes")
        self.head = None if classes is None else linear(c["width"], classes, c["bias"], device)

    def forward(self, images):  # images [N, C, H, W]
        h = self.vision_model(images)  # [N, seq, width]
        return h[:, 1:] if self.class_token else h  # [N, grid, width]
