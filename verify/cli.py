"""The ``lossproof`` command line."""

from __future__ import annotations

import argparse
import sys

import numpy as np

import impls


def _describe(ce) -> str:
    caps = impls.capabilities_of(ce)
    methods = [m for m in impls.REQUIRED_METHODS + impls.OPTIONAL_METHODS if callable(getattr(ce, m, None))]
    limit = "none" if caps.max_size is None else f"N*D*K <= {caps.max_size}"
    hess_limit = "none" if caps.max_hessian_size is None else f"N*D*K <= {caps.max_hessian_size}"
    return (
        f"{ce.name}\n"
        f"  dtypes:         {', '.join(np.dtype(d).name for d in caps.dtypes)}\n"
        f"  methods:        {', '.join(methods)}\n"
        f"  sample_weight:  {'yes' if caps.sample_weight else 'no'}\n"
        f"  exact inputs:   {'yes' if caps.exact else 'no'}\n"
        f"  practical size: {limit} (Hessian: {hess_limit})"
        + "".join(f"\n  note:           {n}" for n in caps.notes)
    )


def cmd_impls(args) -> int:
    """Print the registered implementations (or a user's one) and what they declare."""
    targets = [impls.load(args.impl)] if args.impl else [impls.get(n) for n in impls.names()]
    print("\n\n".join(_describe(ce) for ce in targets))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossproof",
        description="Executable checks of the claims about softmax cross-entropy.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("impls", help="list the implementations and their declared capabilities")
    p.add_argument("--impl", metavar="PKG.MOD:ATTR", help="describe this implementation instead")
    p.set_defaults(func=cmd_impls)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ImportError, AttributeError, TypeError, ValueError, KeyError) as exc:
        print(f"lossproof: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
