"""Chaos tests: real `cryptowire` processes under bursts, faults and hostile input (issue 15)."""
