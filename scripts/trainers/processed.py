"""Checks of a trainer's own processed data (scripts/check-trainers.sh).

Each row is what the trainer feeds the model: token ids and, per token, whether the loss covers
it (the labels that are not -100, or a completion/assistant mask). The loss-covered runs of a row
are its examples' answers: packing puts several in a row. Every export line must be one such run
(none dropped), every run must end with the end-of-turn token (or it and a newline) (none cut by the sequence length),
every row must start with prompt tokens the loss does not cover (the prompt is masked), and no
row may be longer than the configured length.
"""
import sys


def runs(covered):
    """(start, end) of each run of covered positions."""
    out, start = [], None
    for i, c in enumerate(covered):
        if c and start is None:
            start = i
        elif not c and start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(covered)))
    return out


def check(name, rows, expected, end_id, max_length):
    """rows: [(input_ids, covered)], expected: examples the export holds."""
    answers = 0
    for n, (ids, covered) in enumerate(rows):
        assert len(ids) == len(covered), f"{name} row {n}: ids and mask differ in length"
        assert len(ids) <= max_length, f"{name} row {n}: {len(ids)} tokens, over {max_length}"
        assert not covered[0], f"{name} row {n}: the first token is trained on: the prompt is not masked"
        for start, end in runs(covered):
            answers += 1
            # Some chat templates train on the newline after the end of turn too.
            assert end_id in ids[max(start, end - 2):end], (
                f"{name} row {n}: an answer ends with tokens {ids[max(start, end - 2):end]}, not "
                f"the end of turn {end_id}: it was cut"
            )
    assert answers == expected, f"{name}: {answers} answers in the processed data, the export has {expected}"
    print(f"{name}: {len(rows)} rows, {answers} answers of {expected}, none cut, prompts masked, at most {max(len(r[0]) for r in rows)} tokens")


def lines(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


if __name__ == "__main__":
    sys.exit("import this module")
