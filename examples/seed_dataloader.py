"""Lecture 9: minibatches from a DataLoader, training the TwoLayerNet with SGD.

`TensorDataset(x, y)` pairs row i of x with row i of y; `DataLoader` groups the pairs
into batches of 8 (in order: shuffle is off by default), so each epoch is 8 steps.
"""
import spindle as torch
from spindle.utils.data import DataLoader, TensorDataset

from seed_two_layer_module import TwoLayerNet

N, D_in, H, D_out = 64, 1000, 100, 10


def build_model():
    """The TwoLayerNet for the lecture's sizes."""
    return TwoLayerNet(D_in, H, D_out)


def main(epochs=20, print_every=5):
    """Train for `epochs` passes over the data and return the loss of every batch."""
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    model = build_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-2)

    losses = []
    for epoch in range(epochs):
        # Iterate over the loader to form minibatches.
        for x_batch, y_batch in loader:
            y_pred = model(x_batch)
            loss = torch.nn.functional.mse_loss(y_pred, y_batch)
            losses.append(loss.item())
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        if print_every and epoch % print_every == 0:
            print(epoch, losses[-1])
    return losses


if __name__ == "__main__":
    main()
