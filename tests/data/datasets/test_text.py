"""Language-modelling corpus: Dictionary, Corpus, batchify and get_batch (against
PyTorch's word_language_model code run on torch tensors)."""
import numpy as np
import pytest
import torch

import spindle
from spindle.data.datasets import Corpus, DatasetNotFoundError, Dictionary, batchify, get_batch


def reference_batchify(data, bsz):
    # word_language_model/main.py
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def reference_get_batch(source, i, bptt):
    # word_language_model/main.py
    seq_len = min(bptt, len(source) - 1 - i)
    return source[i : i + seq_len], source[i + 1 : i + 1 + seq_len].view(-1)


def test_dictionary_assigns_indices_in_order_of_appearance():
    dictionary = Dictionary()
    assert [dictionary.add_word(word) for word in ["the", "cat", "the", "sat"]] == [0, 1, 0, 2]
    assert dictionary.idx2word == ["the", "cat", "sat"]
    assert dictionary.word2idx == {"the": 0, "cat": 1, "sat": 2}
    assert len(dictionary) == 3


def test_word_corpus_from_folder(tmp_path):
    (tmp_path / "train.txt").write_text("the cat sat\n the dog\n")
    (tmp_path / "valid.txt").write_text("a cat\n")
    (tmp_path / "test.txt").write_text("the bird\n")
    corpus = Corpus(tmp_path)

    def decode(ids):
        return [corpus.dictionary.idx2word[i] for i in ids.tolist()]

    assert decode(corpus.train) == ["the", "cat", "sat", "<eos>", "the", "dog", "<eos>"]
    assert decode(corpus.valid) == ["a", "cat", "<eos>"]
    assert decode(corpus.test) == ["the", "bird", "<eos>"]
    assert corpus.train.dtype == spindle.int64
    assert corpus.train.tolist()[:4] == [0, 1, 2, 3]


def test_char_corpus_from_text_split_by_fractions():
    text = "abcabcabcd\n" * 10
    corpus = Corpus(text=text, level="char", fractions=(0.6, 0.3, 0.1))
    lengths = [len(part) for part in (corpus.train, corpus.valid, corpus.test)]
    assert lengths == [66, 33, 11]
    ids = torch.cat([torch.from_numpy(part.numpy()) for part in (corpus.train, corpus.valid, corpus.test)])
    assert "".join(corpus.dictionary.idx2word[i] for i in ids.tolist()) == text
    assert sorted(corpus.dictionary.idx2word) == ["\n", "a", "b", "c", "d"]


def test_word_corpus_from_single_file(tmp_path):
    path = tmp_path / "book.txt"
    path.write_text("one two\nthree\n" * 5)
    corpus = Corpus(str(path), fractions=(0.8, 0.2, 0.0))
    assert len(corpus.train) == 20 and len(corpus.valid) == 5 and len(corpus.test) == 0


def test_corpus_errors(tmp_path):
    (tmp_path / "train.txt").write_text("x\n")
    with pytest.raises(DatasetNotFoundError, match="train.txt, valid.txt, test.txt"):
        Corpus(tmp_path)
    with pytest.raises(FileNotFoundError, match="neither a folder"):
        Corpus(str(tmp_path / "absent.txt"))
    with pytest.raises(ValueError, match="level should be 'word' or 'char'"):
        Corpus(text="x", level="byte")
    with pytest.raises(ValueError, match="exactly one of path"):
        Corpus()
    with pytest.raises(ValueError, match="fractions should be three non-negative numbers"):
        Corpus(text="x y", fractions=(0.5, 0.6, -0.1))


@pytest.mark.parametrize("length, batch_size", [(23, 4), (20, 5), (7, 7), (9, 2)])
def test_batchify_matches_word_language_model(rng, length, batch_size):
    tokens = rng.integers(0, 50, size=length)
    ours = batchify(spindle.from_numpy(tokens), batch_size)
    theirs = reference_batchify(torch.from_numpy(tokens), batch_size)
    assert ours.is_contiguous()
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_batchify_rejects_too_short_data():
    with pytest.raises(ValueError, match="data has 3 tokens, fewer than batch_size=4"):
        batchify(spindle.arange(3), 4)


def test_get_batch_windows_match_word_language_model(rng):
    tokens = rng.integers(0, 50, size=47)
    ours_source = batchify(spindle.from_numpy(tokens), 3)
    theirs_source = reference_batchify(torch.from_numpy(tokens), 3)
    bptt = 5
    for i in range(0, ours_source.size(0) - 1, bptt):
        our_input, our_target = get_batch(ours_source, i, bptt)
        their_input, their_target = reference_get_batch(theirs_source, i, bptt)
        np.testing.assert_array_equal(our_input.numpy(), their_input.numpy())
        np.testing.assert_array_equal(our_target.numpy(), their_target.numpy())


def test_standard_library_text_is_the_sorted_stdlib_sources_cut_to_limit():
    import os

    from spindle.data.datasets import standard_library_text

    folder = os.path.dirname(os.__file__)
    first = sorted(name for name in os.listdir(folder) if name.endswith(".py"))[0]
    with open(os.path.join(folder, first), encoding="utf-8", errors="replace") as file:
        expected_start = file.read()[:500]
    text = standard_library_text(50_000)
    assert len(text) == 50_000
    assert text.startswith(expected_start)
