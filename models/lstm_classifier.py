import numpy as np

from tinygrad_lr import Tensor, nn
from tinygrad_lr.backend import to_host


class LSTMClassifier(nn.Module):
    """(Embedding) + (bi)LSTM + Linear on the last hidden state(s).

    LOSSGRAD's IMDb model (Wójcik, Maziarka & Tabor 2019, arXiv:1902.07656, appendix A) is
    LSTMClassifier(vocab_size, embed_dim=100, hidden_size=256, bidirectional=True, num_classes=1): a 100-d (GloVe
    in the paper) embedding, one bidirectional layer of 256 per direction, a linear layer to one logit. Token
    batches are padded with padding_idx; each sequence's length is taken as the position after its last
    non-padding token, and the LSTM stops there (as torch's packed sequences do), so trailing padding changes
    nothing. Pass `lengths` to override.

    With vocab_size=None it reads float features directly: MNIST row by row is input (N, 28, 28) (or (N, 1, 28, 28))
    = 28 steps of 28 features (input_size=28).

    Args:
        vocab_size: the number of token ids (an Embedding first), or None for float features.
        embed_dim: the embedding size.
        hidden_size: the LSTM's hidden size per direction.
        num_layers: stacked LSTM layers.
        bidirectional: a bidirectional LSTM (the last states of both directions feed the Linear).
        num_classes: outputs of the Linear (1: one logit for binary classification).
        input_size: features per step when vocab_size is None.
        padding_idx: the padding token id (its embedding is 0 and sets the lengths)."""

    def __init__(self, vocab_size=None, embed_dim=100, hidden_size=128, num_layers=1, bidirectional=False,
                 num_classes=10, input_size=None, padding_idx=0):
        super().__init__()
        if vocab_size is None and input_size is None:
            raise ValueError("LSTMClassifier needs vocab_size (token ids) or input_size (float features)")
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx) if vocab_size else None
        self.lstm = nn.LSTM(embed_dim if vocab_size else input_size, hidden_size, num_layers, batch_first=True,
                            bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def _lengths(self, tokens):
        pad = self.embedding.padding_idx
        ids = tokens.data if isinstance(tokens, Tensor) else tokens
        real = to_host(ids) != pad if hasattr(ids, "__cuda_array_interface__") else np.asarray(ids) != pad
        if real.ndim != 2:
            raise ValueError(f"LSTMClassifier expects token ids of shape (batch, seq), got shape {real.shape}")
        last = real.shape[1] - real[:, ::-1].argmax(1)  # one past the last real token
        return np.where(real.any(1), last, 1)  # an all-padding row still needs one step

    def forward(self, x, lengths=None):
        if self.embedding is not None:
            if lengths is None and self.embedding.padding_idx is not None:
                lengths = self._lengths(x)
            x = self.embedding(x)
        elif x.ndim == 4 and x.shape[1] == 1:
            x = x.reshape(x.shape[0], x.shape[2], x.shape[3])
        _, (h, _) = self.lstm(x, lengths=lengths)
        last = h[-1] if not self.lstm.bidirectional else Tensor.cat([h[-2], h[-1]], 1)
        return self.fc(last)
