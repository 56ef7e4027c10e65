"""The search record: fixed key order, JSON in and out unchanged (so state
files written before it existed resume), types fixed when the record is made."""
import json

from gml.structures import Candidate
from gml.engine.reports.search_report import CSV_FIELDS


def test_keys_in_the_csv_order_and_measures_after_the_subnet():
    c = Candidate(3, 1, 'mutation', 91, 0.5, 0.1, {'b0': 1},
                  latency_ms=0.2, predicted_score=90.5)
    assert list(c) == ['id', 'generation', 'origin', 'score', 'flops_M',
                       'params_M', 'subnet', 'latency_ms', 'predicted_score']
    assert tuple(list(c)[:6]) == Candidate.FIELDS == CSV_FIELDS
    # the types are fixed once, when the record is made
    assert isinstance(c['score'], float) and c['score'] == 91.0
    assert isinstance(c['id'], int) and c['subnet'] == {'b0': 1}


def test_a_saved_record_reads_back_byte_identical():
    # a record as an older gml wrote it into search_state.json
    text = ('{"id": 7, "generation": 2, "origin": "crossover", "score": '
            '88.25, "flops_M": 0.243, "params_M": 0.0123, "subnet": '
            '{"b0": "shuffle_3x3", "b1": "skip"}, "latency_ms": 0.0451}')
    record = Candidate.from_dict(json.loads(text))
    assert json.dumps(record) == text
    assert record == json.loads(text)  # still a plain mapping to compare
