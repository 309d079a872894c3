"""LSTM language model (word_language_model style): vocab 10000, 200 hidden, 2 layers, seq 35, batch 20.

One step is a truncated-BPTT training step: embedding, dropout 0.2, a 2-layer LSTM (dropout 0.2
between layers) started from the previous window's detached state, dropout, linear decoder,
cross-entropy over the 35 x 20 next tokens, backward, gradient clipping to norm 0.25 and plain SGD
(lr 20), as in the example's defaults.
"""

VOCAB, HIDDEN, LAYERS, SEQ_LEN, BATCH, DROPOUT = 10000, 200, 2, 35, 20, 0.2


def setup(torch):
    nn = torch.nn
    encoder = nn.Embedding(VOCAB, HIDDEN)
    lstm = nn.LSTM(HIDDEN, HIDDEN, LAYERS, dropout=DROPOUT)
    decoder = nn.Linear(HIDDEN, VOCAB)
    drop = nn.Dropout(DROPOUT)
    model = nn.ModuleList([encoder, lstm, decoder])
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=20.0)
    tokens = torch.randint(0, VOCAB, (SEQ_LEN + 1, BATCH))
    inputs, targets = tokens[:-1], tokens[1:].reshape(-1)
    state = {"hidden": None}

    def step():
        hidden = state["hidden"]
        output, hidden = lstm(drop(encoder(inputs)), hidden)
        logits = decoder(drop(output)).view(-1, VOCAB)
        loss = nn.functional.cross_entropy(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        optimizer.step()
        state["hidden"] = tuple(h.detach() for h in hidden)

    return step
