"""``python -m layerwise.playground [--host H] [--port P]``: start the playground."""

import argparse
import sys

from layerwise.playground import configure_parser, run_cli

parser = configure_parser(argparse.ArgumentParser(prog="layerwise playground", description=__doc__))
sys.exit(run_cli(parser.parse_args()))
