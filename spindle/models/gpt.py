"""A small GPT: a decoder-only Transformer language model (Radford et al. 2018/2019), after nanoGPT."""
import math

import spindle
from spindle import nn
from spindle.nn import functional as F

__all__ = ["GPT", "CausalSelfAttention", "GPTBlock"]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t attends positions 0..t only.

    ``qkv`` (3E, E) projects to queries, keys and values at once; ``proj`` mixes the heads.
    Input and output (B, T, E).
    """

    def __init__(self, n_embd, n_head, dropout=0.0, bias=True):
        super().__init__()
        if n_embd % n_head != 0:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_head = n_head
        self.dropout = dropout
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=bias)
        self.proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.resid_dropout = nn.Dropout(dropout)

    def forward(self, x):
        batch, steps, channels = x.shape
        q, k, v = self.qkv(x).split(channels, dim=2)
        q, k, v = (t.reshape(batch, steps, self.n_head, channels // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        y = y.transpose(1, 2).reshape(batch, steps, channels)
        return self.resid_dropout(self.proj(y))


class GPTBlock(nn.Module):
    """Pre-norm Transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)); the MLP is
    Linear(E, 4E) -> GELU (tanh approximation, as GPT-2) -> Linear(4E, E) -> dropout."""

    def __init__(self, n_embd, n_head, dropout=0.0, bias=True):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=bias)
        self.attn = CausalSelfAttention(n_embd, n_head, dropout, bias)
        self.ln_2 = nn.LayerNorm(n_embd, bias=bias)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd, bias=bias),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * n_embd, n_embd, bias=bias),
            nn.Dropout(dropout),
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Token + learned position embeddings, ``n_layer`` :class:`GPTBlock`, a final LayerNorm and
    an output layer whose weight is the token embedding's (weight tying).

    ``GPT(vocab_size, block_size=128, n_layer=4, n_head=4, n_embd=256, dropout=0.0, bias=True)``:
    ``block_size`` is the longest context. ``forward(idx)`` maps token indices (B, T), T <=
    block_size, to next-token logits (B, T, vocab_size). Weights start as GPT-2's: N(0, 0.02),
    with the residual projections scaled by 1/sqrt(2 n_layer), biases zero.
    """

    def __init__(self, vocab_size, block_size=128, n_layer=4, n_head=4, n_embd=256, dropout=0.0, bias=True):
        super().__init__()
        self.block_size = block_size
        self.token_embedding = nn.Embedding(vocab_size, n_embd)
        self.position_embedding = nn.Embedding(block_size, n_embd)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([GPTBlock(n_embd, n_head, dropout, bias) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, bias=bias)
        self.head = nn.Linear(n_embd, vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight
        self.apply(self._init_weights)
        for block in self.blocks:
            for projection in (block.attn.proj, block.mlp[2]):
                nn.init.normal_(projection.weight, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx):
        steps = idx.size(1)
        if steps > self.block_size:
            raise ValueError(f"Cannot forward sequence of length {steps}, block size is only {self.block_size}")
        positions = spindle.arange(steps, device=idx.device)
        x = self.drop(self.token_embedding(idx) + self.position_embedding(positions))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))

    @spindle.no_grad()
    def generate(self, idx, max_new_tokens, temperature=1.0, top_k=None):
        """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens, each sampled from the softmax of the
        last position's logits divided by ``temperature``, restricted to the ``top_k`` most likely
        tokens if given; the context is cropped to the last ``block_size`` tokens. Returns
        (B, T + max_new_tokens). Call ``eval()`` first to disable dropout."""
        for _ in range(max_new_tokens):
            context = idx if idx.size(1) <= self.block_size else idx[:, -self.block_size :]
            logits = self(context)[:, -1, :] / temperature
            if top_k is not None:
                kth_largest = logits.topk(min(top_k, logits.size(-1))).values[:, -1:]
                logits = logits.masked_fill(logits < kth_largest, float("-inf"))
            next_token = spindle.multinomial(F.softmax(logits, dim=-1), num_samples=1)
            idx = spindle.cat([idx, next_token], dim=1)
        return idx
