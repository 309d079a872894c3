"""``MultiheadAttention``: attention from several learned projections ("heads") at once."""
import spindle
from spindle.nn import init
from spindle.nn.functional.attention import _multi_head_attention
from spindle.nn.parameter import Parameter

from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017): ``num_heads`` heads of size
    ``embed_dim // num_heads`` attend in parallel and ``out_proj`` mixes their concatenation.

    Parameters, named as PyTorch's: ``in_proj_weight`` (3E, E) when key and value have the
    embedding size E (else ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim),
    ``v_proj_weight`` (E, vdim)), all xavier-uniform; ``in_proj_bias`` (3E,) and ``out_proj.bias``
    zeros; ``out_proj`` a Linear(E, E); with ``add_bias_kv`` the learned key/value rows ``bias_k``,
    ``bias_v`` (1, 1, E) appended to every sequence; ``add_zero_attn`` appends a zero key/value.
    ``dropout`` drops attention weights in training.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                f"num_heads={num_heads} instead"
            )
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(spindle.empty((3 * embed_dim, embed_dim), **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(spindle.empty((embed_dim, embed_dim), **factory))
            self.k_proj_weight = Parameter(spindle.empty((embed_dim, self.kdim), **factory))
            self.v_proj_weight = Parameter(spindle.empty((embed_dim, self.vdim), **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(spindle.empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(spindle.empty((1, 1, embed_dim), **factory))
            self.bias_v = Parameter(spindle.empty((1, 1, embed_dim), **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """Attend from ``query`` (L, N, E) to ``key`` (S, N, kdim) / ``value`` (S, N, vdim) ((N, L, E)
        etc. with ``batch_first``; (L, E) etc. unbatched).

        ``key_padding_mask`` (N, S): True (or -inf) marks padding keys to ignore. ``attn_mask`` (L, S)
        or (N * num_heads, L, S): True (or -inf) forbids a position, float values are added to the
        scores. ``is_causal`` is a hint that ``attn_mask`` is the causal mask. Returns
        ``(output, weights)``: output shaped like query with E features; weights (N, L, S) averaged
        over heads (or (N, num_heads, L, S) without ``average_attn_weights``) when ``need_weights``,
        else None.
        """
        separate = None if self._qkv_same_embed_dim else (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        return _multi_head_attention(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias, self.bias_k,
            self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias, self.training,
            key_padding_mask, need_weights, attn_mask, separate, None, None, average_attn_weights, is_causal,
            batch_first=self.batch_first,
        )
