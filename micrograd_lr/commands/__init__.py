"""Subcommands of ``micrograd-lr``: each module has ``register(subparsers)``, which adds its
parser and sets ``run(args) -> int`` as the parser's default."""

__all__: list[str] = []
