"""Small GPT: 4 pre-norm blocks, causal attention, AdamW; d 256, 4 heads, seq 128, batch 8, vocab 1000.

One step is a training step of a decoder-only language model built from PyTorch's modules: token and
learned position embeddings (GPT-2's N(0, 0.02) initialisation), nn.TransformerEncoder of 4
nn.TransformerEncoderLayer (batch_first, norm_first, GPT-2's tanh-approximated GELU, feed-forward
1024, no dropout) with the
causal mask, a final LayerNorm, an output layer tied to the token embedding, cross-entropy over all
8 x 128 next tokens, backward and AdamW (lr 3e-4, weight decay 0.01).
"""

VOCAB, D_MODEL, HEADS, LAYERS, SEQ_LEN, BATCH = 1000, 256, 4, 4, 128, 8


def setup(torch):
    nn = torch.nn

    def gpt2_gelu(x):
        return nn.functional.gelu(x, approximate="tanh")

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.token_embedding = nn.Embedding(VOCAB, D_MODEL)
            self.position_embedding = nn.Embedding(SEQ_LEN, D_MODEL)
            block = nn.TransformerEncoderLayer(D_MODEL, HEADS, 4 * D_MODEL, dropout=0.0, activation=gpt2_gelu,
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(block, LAYERS, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(D_MODEL)
            self.head = nn.Linear(D_MODEL, VOCAB, bias=False)
            self.head.weight = self.token_embedding.weight
            # GPT-2's N(0, 0.02): with nn.Embedding's N(0, 1) the tied output layer starts with logits
            # of std ~16, a saturated softmax and gradients full of denormal numbers.
            nn.init.normal_(self.token_embedding.weight, std=0.02)
            nn.init.normal_(self.position_embedding.weight, std=0.02)
            self.register_buffer("causal_mask", nn.Transformer.generate_square_subsequent_mask(SEQ_LEN))
            self.register_buffer("positions", torch.arange(SEQ_LEN))

        def forward(self, tokens):
            x = self.token_embedding(tokens) + self.position_embedding(self.positions)
            x = self.blocks(x, mask=self.causal_mask, is_causal=True)
            return self.head(self.norm(x))

    model = GPT()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    tokens = torch.randint(0, VOCAB, (BATCH, SEQ_LEN + 1))
    inputs, targets = tokens[:, :-1], tokens[:, 1:].reshape(-1)

    def step():
        loss = nn.functional.cross_entropy(model(inputs).reshape(-1, VOCAB), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step
