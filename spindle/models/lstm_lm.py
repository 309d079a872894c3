"""An LSTM language model in the style of PyTorch's word_language_model example."""
from spindle import nn

__all__ = ["LSTMLanguageModel"]


class LSTMLanguageModel(nn.Module):
    """Embedding -> dropout -> multi-layer LSTM -> dropout -> linear decoder over the vocabulary.

    ``LSTMLanguageModel(ntoken, ninp=200, nhid=200, nlayers=2, dropout=0.2, tie_weights=False)``:
    ``ntoken`` tokens embedded in ``ninp`` features, ``nlayers`` LSTM layers of ``nhid`` units.
    ``tie_weights`` shares the decoder's weight with the embedding (Press & Wolf 2017; needs
    ``nhid == ninp``). ``forward(input, hidden)`` takes token indices (T, B) and the state from
    :meth:`init_hidden` or the previous window, and returns logits (T, B, ntoken) and the new
    state. For truncated backpropagation through time, detach the state between windows.
    """

    def __init__(self, ntoken, ninp=200, nhid=200, nlayers=2, dropout=0.2, tie_weights=False):
        super().__init__()
        self.ntoken = ntoken
        self.nhid = nhid
        self.nlayers = nlayers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            if nhid != ninp:
                raise ValueError("When using the tied flag, nhid must be equal to emsize")
            self.decoder.weight = self.encoder.weight
        self.init_weights()

    def init_weights(self):
        """Embedding and decoder weights uniform in ±0.1, decoder bias zero (the example's choice)."""
        init_range = 0.1
        nn.init.uniform_(self.encoder.weight, -init_range, init_range)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -init_range, init_range)

    def forward(self, input, hidden):
        embedded = self.drop(self.encoder(input))
        output, hidden = self.rnn(embedded, hidden)
        return self.decoder(self.drop(output)), hidden

    def init_hidden(self, bsz):
        """Zero state for a batch of ``bsz`` sequences: (h0, c0), each (nlayers, bsz, nhid)."""
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
