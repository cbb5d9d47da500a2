"""The sources the claims come from: one record per paper (or collection), ``source()`` to cite a place in it,
and ``claim()``, the decorator that registers a check of a claim declared in the TOML file beside the check's module."""

from __future__ import annotations

import dataclasses

from ..harness.claims import Source, declared_claim

SEEDS = {
    "rychlik": Source(
        "000_083a35bfc7a1f8b0.txt",
        "M. Rychlik, A proof of convergence of multi-class logistic regression network, arXiv:1903.12600 (2019)",
        title="A proof of convergence of multi-class logistic regression network",
        authors=("Marek Rychlik",),
        year=2019,
        venue="arXiv preprint",
        arxiv="1903.12600",
    ),
    "nwaigwe-rychlik": Source(
        "000_083a35bfc7a1f8b0.txt",
        "D. Nwaigwe and M. Rychlik, On the existence of the maximum likelihood estimate and convergence rate under "
        "gradient descent for multi-class logistic regression, arXiv:2012.04576 (2020)",
        title="On the existence of the maximum likelihood estimate and convergence rate under gradient descent for "
        "multi-class logistic regression",
        authors=("Dwight Nwaigwe", "Marek Rychlik"),
        year=2020,
        venue="arXiv preprint",
        arxiv="2012.04576",
    ),
    # A collection, not a paper: passages of tutorials, course notes and question-and-answer threads returned by a
    # web search for "prove that cross entropy loss for a softmax classifier is convex"; no authors, year or arXiv id.
    "folklore": Source(
        "002_465305b0297a7435.txt",
        "Textbook and folklore statements about softmax cross-entropy: passages of tutorials, course notes and "
        "question-and-answer threads found by a web search",
        title="Textbook and folklore statements about softmax cross-entropy",
        venue="a collection of web search results (tutorials, course notes, question-and-answer threads)",
    ),
    "song2023": Source(
        "001_96a3fa0a24726cdd.txt",
        "Z. Song, W. Wang, J. Yin, A unified scheme of ResNet and softmax, arXiv:2309.13482 (2023)",
        title="A Unified Scheme of ResNet and Softmax",
        authors=("Zhao Song", "Weixin Wang", "Junze Yin"),
        year=2023,
        venue="arXiv preprint",
        arxiv="2309.13482",
    ),
    "gopalani2023": Source(
        "003_89a87541452a6c66.txt",
        "P. Gopalani, S. Jha, A. Mukherjee, Global convergence of SGD for logistic loss on two layer neural nets, "
        "arXiv:2309.09258 (2023; Transactions on Machine Learning Research)",
        title="Global Convergence of SGD For Logistic Loss on Two Layer Neural Nets",
        authors=("Pulkit Gopalani", "Samyak Jha", "Anirbit Mukherjee"),
        year=2023,
        venue="Transactions on Machine Learning Research (TMLR); arXiv preprint 2023",
        arxiv="2309.09258",
    ),
    "li2020": Source(
        "004_42f8b9ad8a0eb077.txt",
        "X. Li, X. Li, D. Pan, D. Zhu, On the learning property of logistic and softmax losses for deep neural "
        "networks, arXiv:2003.02309 (2020; AAAI-20)",
        title="On the Learning Property of Logistic and Softmax Losses for Deep Neural Networks",
        authors=("Xiangrui Li", "Xin Li", "Deng Pan", "Dongxiao Zhu"),
        year=2020,
        venue="AAAI Conference on Artificial Intelligence (AAAI-20)",
        arxiv="2003.02309",
    ),
    # Not a publication: the contract of this project (README, "Conventions"), which every implementation must meet.
    "conventions": Source(
        "DESIGN.md",
        "lossproof's implementation contract: the properties every implementation of the loss must have "
        "(README, Conventions)",
        title="lossproof's implementation contract",
    ),
    # the framework-kernel contracts (verify/catalog/kernels): torch's documented semantics, asked for by issue 14
    "torch": Source("issue 14", "PyTorch documentation: torch.nn.functional.cross_entropy and torch.nn.CrossEntropyLoss",
                    title="torch.nn.CrossEntropyLoss", venue="PyTorch documentation"),
}


def source(key: str, where: str = "") -> Source:
    """The source ``key`` with ``where`` (section, theorem, equation) filled in."""
    base = SEEDS[key]
    return dataclasses.replace(base, where=where)


def claim(claim_id: str, **overrides):
    """Decorator: the decorated function checks ``claim_id``, whose id, title, source, statement, hypotheses and
    expected verdict are declared in the ``[[claim]]`` of that id in the TOML file beside the module
    (``rychlik/claims.py`` -> ``rychlik/claims.toml``); its ``source`` is a key of :data:`SEEDS`."""
    return declared_claim(claim_id, make_source=source, **overrides)
