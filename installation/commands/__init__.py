"""One module per `run.py` subcommand.

Each module defines NAME, HELP, `add_arguments(parser)` and `run(args) -> int`. Heavy imports
(torch, pygame, cv2) belong inside `run` so that `run.py --help` stays fast.
"""
