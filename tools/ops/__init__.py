"""Operator commands that use the program: the live check and the adoption document."""
