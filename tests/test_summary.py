import openkeras as ok
from openkeras import layers


def _lines(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    return out


def test_sequential_summary_format():
    model = ok.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                           layers.Dropout(0.2), layers.Dense(10, activation="softmax")])
    assert _lines(model) == [
        'Model: "sequential"',
        "_" * 65,
        "Layer (type)                 Output Shape              Param #   ",
        "=" * 65,
        "dense (Dense)                (None, 512)               401920    ",
        "_" * 65,
        "dropout (Dropout)            (None, 512)               0         ",
        "_" * 65,
        "dense_1 (Dense)              (None, 10)                5130      ",
        "=" * 65,
        "Total params: 407,050",
        "Trainable params: 407,050",
        "Non-trainable params: 0",
        "_" * 65,
    ]


def test_functional_summary_has_connected_to_column():
    a, b = ok.Input((4,), name="a"), ok.Input((4,), name="b")
    out = layers.Dense(1, name="out")(layers.concatenate([a, b], name="cat"))
    lines = _lines(ok.Model([a, b], out, name="two"))
    assert lines[0] == 'Model: "two"' and len(lines[1]) == 98
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#", "Connected", "to"]
    cat = [i for i, line in enumerate(lines) if line.startswith("cat (Concatenate)")][0]
    assert lines[cat].rstrip().endswith("a[0][0]")
    assert lines[cat + 1].strip() == "b[0][0]"
    assert "Total params: 9" in lines


def test_non_trainable_counts_and_print_fn_and_line_length():
    model = ok.Sequential([layers.Dense(3, input_shape=(2,)), layers.Dense(1)])
    model.layers[0].trainable = False
    lines = _lines(model, line_length=80)
    assert len(lines[1]) == 80
    assert "Trainable params: 4" in lines and "Non-trainable params: 9" in lines


def test_nested_model_rows():
    inner = ok.Sequential([layers.Dense(3, input_shape=(2,))], name="inner")
    x = ok.Input((2,), name="x")
    model = ok.Model(x, layers.Dense(1, name="d")(inner(x)), name="outer")
    lines = _lines(model)
    assert any(line.startswith("inner (Sequential)") and "9" in line for line in lines)
