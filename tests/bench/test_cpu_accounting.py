"""The benchmark's CPU accounting between two readings (bench/run.py): database backends
are counted per process, so one that ends during a run never makes the figure negative."""

from bench.run import cpu_spent


def test_backends_are_counted_per_process():
    before = {"api": 10.0, "database": {101: 5.0, 102: 7.0, 103: 9.0}}
    after = {"api": 12.5, "database": {101: 5.5, 103: 0.25, 104: 1.0}}
    # 101 used 0.5; 102 ended (its CPU went with it); 103 is a new backend on a reused pid;
    # 104 started meanwhile.
    assert cpu_spent(before, after) == {"api": 2.5, "database": 0.5 + 0.25 + 1.0}


def test_without_a_database_only_the_processes_count():
    assert cpu_spent({"api": 1.0, "sandbox": 2.0}, {"api": 1.5, "sandbox": 2.0}) == {"api": 0.5, "sandbox": 0.0}
