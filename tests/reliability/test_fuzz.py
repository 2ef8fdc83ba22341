"""Seeded mutation fuzzing of real model files (see fuzz_lib.py): every mutated file loads the
same numbers or raises a clear openkeras error naming it, each within 5 s, and no file
openkeras wrote ever loads silently different. tools/fuzz_files.py runs thousands of cases."""

import warnings

import fuzz_lib
import pytest

CASES = 240


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return workdir, fuzz_lib.build_sources(str(workdir))


def test_intact_sources_load_their_reference(sources):
    workdir, built = sources
    kinds = {s.kind for s in built}
    assert kinds == {"h5", "h5_weights", "keras", "json", "yaml"}
    assert any(s.ours for s in built) and any(not s.ours for s in built)
    for source in built:
        assert source.reference, source.name


@pytest.mark.parametrize("seed", [0])
def test_mutated_files_load_the_same_or_raise_a_clear_error(sources, seed):
    workdir, built = sources
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outcomes = [fuzz_lib.run_case(built, seed, case, str(workdir)) for case in range(CASES)]
    counts, failures = fuzz_lib.summarize(outcomes)
    assert not failures, "\n".join(map(str, failures[:10]))
    assert counts.get("error", 0) > CASES // 3  # the mutations really damage files
    assert counts.get("same", 0) > 0  # and some leave the numbers untouched
    assert max(o.seconds for o in outcomes) < fuzz_lib.TIME_LIMIT_S


def test_a_silent_change_to_a_file_openkeras_wrote_would_be_reported(sources):
    # the classifier itself: a load whose numbers differ from an openkeras file's reference
    workdir, built = sources
    ours = next(s for s in built if s.ours and s.kind == "h5")
    foreign = next(s for s in built if not s.ours and s.kind == "h5")
    changed = dict(ours.reference, weights=[w + 1 for w in ours.reference["weights"]])
    assert not fuzz_lib._same(changed, ours.reference)
    assert fuzz_lib._same(foreign.reference, foreign.reference)
