"""Text preprocessing: word splitting, hashing and the Keras `Tokenizer`."""

import json
from collections import OrderedDict, defaultdict
from hashlib import md5

import numpy as np

from openkeras.engine import aliases

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=DEFAULT_FILTERS, lower=True, split=" ") -> list:
    """Split a text into words, after lower-casing it and replacing `filters` by `split`.

    Args:
        input_text: The text.
        filters: Characters to remove (each becomes a separator).
        lower: Whether to lower-case the text first.
        split: Word separator.
    """
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def _md5_hash(word):
    return int(md5(word.encode()).hexdigest(), 16)


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                  analyzer=None) -> list:
    """Encode a text as a list of word indices in [1, n) by hashing each word.

    Args:
        text: The text.
        n: Size of the hashing space; indices run from 1 to n - 1 (0 is reserved).
        hash_function: None (Python's `hash`, which varies between runs unless
            PYTHONHASHSEED is set), 'md5' (stable), or a function str -> int.
        filters: Characters to remove.
        lower: Whether to lower-case the text.
        split: Word separator.
        analyzer: Function text -> list of words, replacing the splitting above.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError("hashing_trick / one_hot: `n` (the size of the hashing space) must be an "
                         f"integer >= 2. Received: n={n!r}")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [hash_function(w) % (n - 1) + 1 for w in words]


def one_hot(input_text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None) -> list:
    """`hashing_trick` with Python's `hash` (the Keras name for it).

    Args:
        input_text: The text.
        n: Size of the hashing space.
        filters: Characters to remove.
        lower: Whether to lower-case the text.
        split: Word separator.
        analyzer: Function text -> list of words.
    """
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower,
                         split=split, analyzer=analyzer)


class Tokenizer:
    """Turns texts into sequences of word indices (1 = the most frequent word) or vectors.

    Args:
        num_words: Keep only the `num_words - 1` most frequent words when
            converting; None keeps all.
        filters: Characters removed from texts.
        lower: Whether to lower-case texts.
        split: Word separator.
        char_level: Treat every character as a token.
        oov_token: If given, it gets index 1 and replaces out-of-vocabulary
            words in `texts_to_sequences`.
        analyzer: Function text -> list of tokens, replacing the splitting.
        **kwargs: `document_count` (restored by `tokenizer_from_json`) and
            `nb_words`, the Keras 1 name of `num_words`.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, **kwargs):
        kwargs = aliases.rename_kwargs(kwargs, "num_words", "Tokenizer")
        num_words = kwargs.pop("num_words", num_words)
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                return [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower,
                                     split=self.split)

    def fit_on_texts(self, texts):
        """Update the vocabulary from a list of texts (strings or lists of tokens).

        Args:
            texts: Iterable of strings, or of lists of strings.
        """
        if isinstance(texts, str) or not hasattr(texts, "__iter__"):
            raise TypeError("Tokenizer.fit_on_texts: `texts` must be a list of strings (or of "
                            f"lists of words). Received: {type(texts).__name__} {texts!r:.60}")
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in dict.fromkeys(seq):  # unique, in first-seen order (Keras: set order)
                self.word_docs[w] += 1
        # a stable sort: equally frequent words keep their first-seen order
        ranked = sorted(self.word_counts.items(), key=lambda wc: wc[1], reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(w for w, _ in ranked)
        self.word_index = {w: i for i, w in enumerate(vocabulary, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}
        for w, c in list(self.word_docs.items()):
            self.index_docs[self.word_index[w]] = c

    def fit_on_sequences(self, sequences):
        """Update document statistics (for 'tfidf') from sequences of word indices.

        Args:
            sequences: List of lists of integers.
        """
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences(self, texts) -> list:
        """Each text as a list of word indices (see `texts_to_sequences_generator`)."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Yield each text as a list of word indices.

        Unknown words (and words ranked `num_words` or beyond) are dropped, or
        replaced by the index of `oov_token` when it is set.

        Args:
            texts: Iterable of strings, or of lists of strings.
        """
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            vect = []
            for w in self._tokens(text):
                i = self.word_index.get(w)
                if i is not None and not (self.num_words and i >= self.num_words):
                    vect.append(i)
                elif oov_index is not None:
                    vect.append(oov_index)
            yield vect

    def sequences_to_texts(self, sequences) -> list:
        """Each sequence of word indices back as a space-joined string."""
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Yield each sequence of word indices as a space-joined string.

        Args:
            sequences: Iterable of lists of integers.
        """
        oov_index = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for num in seq:
                word = self.index_word.get(num)
                if word is not None and not (self.num_words and num >= self.num_words):
                    words.append(word)
                elif oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary") -> np.ndarray:
        """Texts as a (n_texts, num_words) matrix; see `sequences_to_matrix` for `mode`."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary") -> np.ndarray:
        """Sequences of word indices as a (n_sequences, num_words) matrix.

        Args:
            sequences: List of lists of integers.
            mode: 'binary' (1 if present), 'count', 'freq' (count / length) or
                'tfidf' ((1 + log(count)) * log(1 + docs / (1 + docs with word))).
        """
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError(
                "Specify a dimension (`num_words` argument), or fit on some text data first."
            )
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(
                "Unknown vectorization mode. Expected 'binary', 'count', 'freq' or 'tfidf'. "
                f"Received: mode={mode!r}"
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        x = np.zeros((len(sequences), num_words))
        for i, seq in enumerate(sequences):
            if not len(seq):
                continue
            counts = defaultdict(int)
            for j in seq:
                if j < num_words:
                    counts[j] += 1
            for j, c in counts.items():
                if mode == "count":
                    x[i, j] = c
                elif mode == "freq":
                    x[i, j] = c / len(seq)
                elif mode == "binary":
                    x[i, j] = 1
                else:
                    tf = 1 + np.log(c)
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i, j] = tf * idf
        return x

    def get_config(self) -> dict:
        """The Tokenizer's settings and fitted state (the vocabularies as JSON strings)."""
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs) -> str:
        """A JSON string `{"class_name": "Tokenizer", "config": ...}` (as Keras writes it).

        Args:
            **kwargs: Passed to `json.dumps`.
        """
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string) -> Tokenizer:
    """Rebuild a fitted `Tokenizer` from the output of its `to_json()`."""
    config = dict(json.loads(json_string).get("config"))
    word_counts = json.loads(config.pop("word_counts"), object_pairs_hook=OrderedDict)
    word_docs = json.loads(config.pop("word_docs"))
    # json turns integer keys into strings
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = word_counts
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
