import json
from hashlib import md5

import numpy as np
import pytest

from openkeras.preprocessing.text import (
    Tokenizer,
    hashing_trick,
    one_hot,
    text_to_word_sequence,
    tokenizer_from_json,
)

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat cat"]
VOCAB = ["the", "cat", "sat", "on", "mat", "dog", "ate", "my", "homework"]


def test_text_to_word_sequence():
    assert text_to_word_sequence("Hello,  World!\tBye") == ["hello", "world", "bye"]
    assert text_to_word_sequence("A-b c", lower=False, filters="") == ["A-b", "c"]
    assert text_to_word_sequence("a;b;c", split=";", filters="") == ["a", "b", "c"]


def test_hashing_trick_md5_is_stable_and_in_range():
    words = ["the", "cat", "the"]
    expected = [int(md5(w.encode()).hexdigest(), 16) % 9 + 1 for w in words]
    assert hashing_trick("The cat, the", 10, hash_function="md5") == expected
    assert hashing_trick("x y", 10, hash_function=len) == [2, 2]
    assert hashing_trick("ab", 5, hash_function=len, analyzer=list) == [2, 2]
    codes = one_hot("a b c a", 7)
    assert len(codes) == 4 and codes[0] == codes[3] and all(1 <= c <= 6 for c in codes)


def test_fit_on_texts_vocabulary_and_counts():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert tok.document_count == 3
    assert list(tok.word_counts.items()) == [("the", 3), ("cat", 3), ("sat", 1), ("on", 1),
                                             ("mat", 1), ("dog", 1), ("ate", 1), ("my", 1),
                                             ("homework", 1)]
    assert tok.word_index == {w: i for i, w in enumerate(VOCAB, start=1)}
    assert tok.index_word[2] == "cat"
    assert tok.word_docs["the"] == 2 and tok.word_docs["cat"] == 2 and tok.word_docs["my"] == 1
    assert tok.index_docs[1] == 2 and tok.index_docs[9] == 1


def test_texts_to_sequences_num_words_and_oov():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    text = ["the cat sat on the dog's mat"]
    assert tok.texts_to_sequences(text) == [[1, 2, 3, 4, 1, 5]]
    tok.num_words = 4
    assert tok.texts_to_sequences(text) == [[1, 2, 3, 1]]
    assert tok.sequences_to_texts([[1, 2, 3, 4, 9]]) == ["the cat sat"]

    oov = Tokenizer(num_words=5, oov_token="<unk>")
    oov.fit_on_texts(TEXTS)
    assert oov.word_index["<unk>"] == 1 and oov.word_index["the"] == 2
    assert oov.texts_to_sequences(text) == [[2, 3, 4, 1, 2, 1, 1]]
    assert oov.sequences_to_texts([[2, 3, 7]]) == ["the cat <unk>"]
    assert list(oov.texts_to_sequences_generator(["cat"])) == [[3]]


def test_char_level_and_token_lists():
    tok = Tokenizer(char_level=True)
    tok.fit_on_texts(["abca"])
    assert tok.word_index == {"a": 1, "b": 2, "c": 3}
    assert tok.texts_to_sequences(["cab"]) == [[3, 1, 2]]
    lists = Tokenizer()
    lists.fit_on_texts([["Hello", "world"], ["hello"]])
    assert lists.word_index == {"hello": 1, "world": 2}


def test_sequences_to_matrix_modes():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    seqs = [[1, 2, 2], [], [9, 1]]
    width = len(VOCAB) + 1
    binary = np.zeros((3, width))
    binary[0, [1, 2]] = 1
    binary[2, [9, 1]] = 1
    np.testing.assert_array_equal(tok.sequences_to_matrix(seqs), binary)
    count = tok.sequences_to_matrix(seqs, mode="count")
    assert count[0, 2] == 2 and count[0, 1] == 1 and count[1].sum() == 0
    freq = tok.sequences_to_matrix(seqs, mode="freq")
    np.testing.assert_allclose(freq[0, [1, 2]], [1 / 3, 2 / 3])
    tfidf = tok.sequences_to_matrix(seqs, mode="tfidf")
    # tf = 1 + log(count); idf = log(1 + documents / (1 + documents containing the word))
    np.testing.assert_allclose(tfidf[0, 2], (1 + np.log(2)) * np.log(1 + 3 / 3), rtol=1e-12)
    np.testing.assert_allclose(tfidf[2, 9], np.log(1 + 3 / 2), rtol=1e-12)
    matrix = tok.texts_to_matrix(["cat cat mat"], mode="count")
    assert matrix.shape == (1, width) and matrix[0, 2] == 2 and matrix[0, 5] == 1


def test_matrix_errors_and_fit_on_sequences():
    with pytest.raises(ValueError, match="Specify a dimension"):
        Tokenizer().sequences_to_matrix([[1]])
    with pytest.raises(ValueError, match="Fit the Tokenizer on some data"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="mode='wrong'"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="wrong")
    tok = Tokenizer(num_words=4)
    tok.fit_on_sequences([[1, 1, 2], [2, 3]])
    assert tok.document_count == 2 and tok.index_docs[2] == 2 and tok.index_docs[1] == 1
    out = tok.sequences_to_matrix([[2, 5]], mode="tfidf")
    np.testing.assert_allclose(out[0], [0, 0, np.log(1 + 2 / 3), 0], rtol=1e-12)


def test_constructor_arguments():
    with pytest.warns(DeprecationWarning):
        assert Tokenizer(nb_words=7).num_words == 7
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        Tokenizer(bogus=1)


def test_to_json_layout_matches_keras_and_round_trips():
    tok = Tokenizer(num_words=6, oov_token="<unk>")
    tok.fit_on_texts(["b a b", "c"])
    outer = json.loads(tok.to_json())
    assert outer["class_name"] == "Tokenizer"
    config = outer["config"]
    assert list(config) == ["num_words", "filters", "lower", "split", "char_level", "oov_token",
                            "document_count", "word_counts", "word_docs", "index_docs",
                            "index_word", "word_index"]
    assert config["word_counts"] == '{"b": 2, "a": 1, "c": 1}'
    assert config["index_word"] == '{"1": "<unk>", "2": "b", "3": "a", "4": "c"}'
    assert config["index_docs"] == '{"2": 1, "3": 1, "4": 1}'
    assert config["word_docs"] == '{"b": 1, "a": 1, "c": 1}'

    copy = tokenizer_from_json(tok.to_json())
    assert copy.get_config() == tok.get_config()
    assert copy.index_word[2] == "b" and copy.index_docs[4] == 1
    assert copy.texts_to_sequences(["a z"]) == tok.texts_to_sequences(["a z"]) == [[3, 1]]
    np.testing.assert_array_equal(copy.texts_to_matrix(["b c"], mode="tfidf"),
                                  tok.texts_to_matrix(["b c"], mode="tfidf"))
