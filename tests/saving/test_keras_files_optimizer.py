"""Real files of every Keras generation restore their optimizer state (../shared/keras_files):
Keras 1.2 and 2.2.4 lists without iterations or Nadam's m_schedule, tf.keras 2.11's
``Custom>Adam`` and Keras 3's names. Before openkeras mapped them, each of these loaded with a
"freshly initialized optimizer" warning."""

import os
import warnings

import pytest

from openkeras.models import load_model

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = os.path.join(REPO, "..", "shared", "keras_files")


@pytest.mark.parametrize("name,optimizer,iterations", [
    ("churn__model.h5", "Adam", 3000),                       # Keras 3.7
    ("postagger__gru_model.h5", "Adam", 680),                # tf.keras 2.11, Custom>Adam
    ("mtrans__mt_seq2seq_model.h5", "Nadam", 3180),          # Keras 2.2.4, no m_schedule
    ("phvu-carnd__model.h5", "Nadam", 3675),                 # Keras 1.2.1
    ("s2schat__T100_s2s.h5", "RMSprop", 0),                  # Keras 2.2.0, no iterations
    ("dl4j__simple_lstm_tf_keras_2_model.h5", "RMSprop", 0),  # Keras 2.0.6
])
def test_optimizer_state_of_real_files_is_restored(name, optimizer, iterations):
    path = os.path.join(FILES, name)
    assert os.path.isdir(FILES), f"the real Keras files are missing: {FILES} does not exist"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = load_model(path)
    assert not [w for w in caught if "freshly initialized" in str(w.message)]
    assert type(model.optimizer).__name__ == optimizer
    assert int(model.optimizer.iterations) == iterations
    slots = model.optimizer.get_weights()[1 + len(model.optimizer._extra):]
    assert len(slots) == len(model.optimizer.get_slot_names()) * len(model.trainable_weights)
    assert any(float(abs(s).sum()) > 0 for s in slots)  # the stored state, not zeros
