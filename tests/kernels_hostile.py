"""Hostile torch-ce kernels: foreign code that hangs, takes its process down, or raises, each only where one
claim looks (by construction), and otherwise exactly ``torch.nn.functional.cross_entropy``.

* :func:`sleeps_on_smoothing`: with ``label_smoothing > 0`` the forward pass sleeps for an hour (a hang):
  ``kernel.label_smoothing`` must time out, ``kernel.loss`` hold;
* :func:`segfaults_on_backward`: the backward sends its own process SIGSEGV (a crash in a C++ extension or a
  GPU kernel looks the same to the harness): every claim that takes a gradient crashes "in backward",
  ``kernel.loss`` (forward only) holds;
* :func:`raises_on_class_weights`: with class weights it raises ``RuntimeError``: ``kernel.class_weights`` is
  refuted with that error, ``kernel.loss`` holds;
* ``segfaults_on_load``: looking the attribute up (the module's ``__getattr__``) sends SIGSEGV, as a broken
  extension module does on import: the check is a one-line error, no claim runs.

This module imports torch: only tests that have torch import it (the supervised worker does, by the spec).
"""

from __future__ import annotations

import os
import signal
import time

import torch
import torch.nn.functional as F

HANG_S = 3600.0


def sleeps_on_smoothing(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    if label_smoothing > 0:
        time.sleep(HANG_S)
    return F.cross_entropy(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)


class _SegfaultingBackward(torch.autograd.Function):
    """The identity on the forward; its backward kills the process with SIGSEGV."""

    @staticmethod
    def forward(ctx, z):
        return z.view_as(z)

    @staticmethod
    def backward(ctx, grad):
        os.kill(os.getpid(), signal.SIGSEGV)
        return grad


def segfaults_on_backward(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    return F.cross_entropy(_SegfaultingBackward.apply(input), target, weight=weight, ignore_index=ignore_index,
                           reduction=reduction, label_smoothing=label_smoothing)


def raises_on_class_weights(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    if weight is not None:
        raise RuntimeError("class weights: this kernel's weighted path is broken")
    return F.cross_entropy(input, target, ignore_index=ignore_index, reduction=reduction,
                           label_smoothing=label_smoothing)


def __getattr__(name):
    if name == "segfaults_on_load":
        os.kill(os.getpid(), signal.SIGSEGV)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
