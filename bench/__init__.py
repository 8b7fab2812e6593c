"""The benchmark behind `make bench`: the seed's hand procedure, the program through the real
engine, and the wire's floor, side by side on a local secure broker (see bench/run.py)."""
