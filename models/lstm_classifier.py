from tinygrad_lr import Tensor, nn


class LSTMClassifier(nn.Module):
    """(Embedding) + (bi)LSTM + Linear on the last hidden state(s), as LOSSGRAD's IMDb model (100-d embedding,
    1 bidirectional layer of 256 per direction, a linear output). With vocab_size=None it reads float features
    directly: MNIST row by row is input (N, 28, 28) (or (N, 1, 28, 28)) = 28 steps of 28 features."""

    def __init__(self, vocab_size=None, embed_dim=100, hidden_size=128, num_layers=1, bidirectional=False,
                 num_classes=10, input_size=None, padding_idx=0):
        super().__init__()
        if vocab_size is None and input_size is None:
            raise ValueError("LSTMClassifier needs vocab_size (token ids) or input_size (float features)")
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx) if vocab_size else None
        self.lstm = nn.LSTM(embed_dim if vocab_size else input_size, hidden_size, num_layers, batch_first=True,
                            bidirectional=bidirectional)
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def forward(self, x):
        if self.embedding is not None:
            x = self.embedding(x)
        elif x.ndim == 4 and x.shape[1] == 1:
            x = x.reshape(x.shape[0], x.shape[2], x.shape[3])
        _, (h, _) = self.lstm(x)
        last = h[-1] if not self.lstm.bidirectional else Tensor.cat([h[-2], h[-1]], 1)
        return self.fc(last)
