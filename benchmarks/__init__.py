"""The asv benchmark suite of lossproof (see asv.conf.json and the README's "Benchmarks")."""
