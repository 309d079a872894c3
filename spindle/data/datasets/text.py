"""Text corpora for language modelling, after PyTorch's word_language_model example:
a :class:`Dictionary` of tokens, a :class:`Corpus` tokenized into 1-D int64 tensors,
:func:`batchify` to lay a token stream out as parallel columns, and :func:`get_batch`
to cut truncated-BPTT windows from it."""

import os

import spindle
from spindle.data.datasets.files import find_files

__all__ = ["Dictionary", "Vocabulary", "Corpus", "batchify", "get_batch", "standard_library_text"]

END_OF_SENTENCE = "<eos>"


class Dictionary:
    """A two-way token <-> index map: ``word2idx[token]`` and ``idx2word[index]``;
    indices are given in order of first appearance."""

    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        """Adds ``word`` if new; returns its index either way."""
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]

    def __len__(self):
        return len(self.idx2word)


# The same class under the name character-level code usually gives it.
Vocabulary = Dictionary


class Corpus:
    """A text tokenized into ``train``, ``valid`` and ``test`` 1-D int64 tensors of
    token indices, sharing one :attr:`dictionary`.

    ``path`` is either a folder holding ``train.txt``, ``valid.txt`` and ``test.txt``
    (word_language_model's layout), or a single text file; alternatively pass the
    text itself as ``text``. A single text is tokenized as a whole and cut into
    consecutive train/valid/test parts by ``fractions``. With ``level='word'`` each
    line is split on whitespace and ends with an ``<eos>`` token; with
    ``level='char'`` every character (newlines included) is a token.
    """

    def __init__(self, path=None, level="word", *, text=None, fractions=(0.8, 0.1, 0.1)):
        if level not in ("word", "char"):
            raise ValueError(f"level should be 'word' or 'char', but got level={level!r}")
        if (path is None) == (text is None):
            raise ValueError("Corpus needs exactly one of path (a folder or a text file) and text")
        self.level = level
        self.dictionary = Dictionary()
        if path is not None and os.path.isdir(path):
            split_paths = find_files("Corpus", [os.fspath(path)], ["train.txt", "valid.txt", "test.txt"])
            self.train, self.valid, self.test = (self.tokenize(_read_text(split)) for split in split_paths)
            return
        if path is not None:
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"Corpus: {path!r} is neither a folder holding train.txt, valid.txt and test.txt nor a text file"
                )
            text = _read_text(path)
        self.train, self.valid, self.test = _split(self.tokenize(text), fractions)

    def tokenize(self, text):
        """Adds the tokens of ``text`` to the dictionary and returns their indices
        as a 1-D int64 tensor."""
        if self.level == "char":
            tokens = list(text)
        else:
            tokens = [word for line in text.splitlines() for word in line.split() + [END_OF_SENTENCE]]
        return spindle.tensor([self.dictionary.add_word(token) for token in tokens], dtype=spindle.int64)


def standard_library_text(limit):
    """The first ``limit`` characters of the Python standard library's top-level .py files, by name:
    a corpus every machine with Python has (the examples' default training text)."""
    folder = os.path.dirname(os.__file__)
    pieces, total = [], 0
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py") and total < limit:
            pieces.append(_read_text(os.path.join(folder, name), errors="replace"))
            total += len(pieces[-1])
    return "".join(pieces)[:limit]


def _read_text(path, errors="strict"):
    with open(path, encoding="utf8", errors=errors) as file:
        return file.read()


def _split(ids, fractions):
    """Cuts ``ids`` into consecutive parts of the given ``fractions`` (summing to 1)
    of its length; the last part takes the rounding remainder."""
    if len(fractions) != 3 or any(fraction < 0 for fraction in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"fractions should be three non-negative numbers summing to 1, but got {fractions}")
    total = ids.size(0)
    train_end = int(total * fractions[0])
    valid_end = train_end + int(total * fractions[1])
    return ids[:train_end], ids[train_end:valid_end], ids[valid_end:]


def batchify(data, batch_size):
    """Lays the 1-D token stream ``data`` of length ``N`` out as ``batch_size``
    parallel columns: returns a contiguous ``(N // batch_size, batch_size)`` tensor
    whose column ``b`` is the ``b``-th consecutive chunk of the stream (the
    ``N % batch_size`` trailing tokens are dropped)."""
    steps = data.size(0) // batch_size
    if steps == 0:
        raise ValueError(f"batchify: data has {data.size(0)} tokens, fewer than batch_size={batch_size}")
    return data.narrow(0, 0, steps * batch_size).view(batch_size, -1).t().contiguous()


def get_batch(source, i, bptt):
    """The truncated-BPTT window of ``source`` (shape ``(T, B)``, from
    :func:`batchify`) starting at row ``i``: ``input`` is rows ``i .. i+L-1`` with
    ``L = min(bptt, T - 1 - i)``, shape ``(L, B)``, and ``target`` the next token of
    each, rows ``i+1 .. i+L`` flattened to shape ``(L * B,)``."""
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].reshape(-1)
