"""Shared mathematics of the checks, no paper: rounding bounds, finite differences, high precision, optimizers, BLAS threads."""
