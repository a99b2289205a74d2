"""Benchmarks (``make bench``): throughput as ratios of a raw baseline measured in the same run."""
