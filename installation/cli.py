"""Command line: `run.py [COMMAND] ...`; with no command it plays the default show."""

from __future__ import annotations

import argparse
import atexit
import importlib
import logging
import os
import pkgutil
import sys
import threading
from types import ModuleType
from typing import NoReturn

from installation import commands
from installation.errors import UserError

DEFAULT_COMMAND = "play"


def _command_modules() -> dict[str, ModuleType]:
    found = {}
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        found[module.NAME] = module
    return found


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, ModuleType]]:
    parser = argparse.ArgumentParser(prog="run.py", description="installation: a live StyleGAN2 art engine")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = _command_modules()
    for name, module in modules.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser, modules


def main(argv: list[str] | None = None) -> int:
    # Transparent huge pages for torch's CPU allocator: fewer page-fault storms on big
    # activations. torch reads it when it loads; commands import torch only inside `run`.
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    # Idle OpenMP workers sleep instead of spinning: a spinning worker takes the core that the
    # display loop, the control threads or another process needs (measured here: under load,
    # 256 px eager went from 1,550 ms to 210-250 ms; on an idle machine it costs about 10%).
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, modules = build_parser()
    if not argv or (argv[0] not in modules and argv[0] not in ("-h", "--help", "-v", "--verbose")):
        if DEFAULT_COMMAND in modules:
            argv = [DEFAULT_COMMAND, *argv]
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return int(modules[args.command].run(args) or 0)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stdout = open(os.devnull, "w")
        return 0


def exit_process(code: int) -> NoReturn:
    """End the process with `code` once its work is done: threads that are not daemons joined
    and the exit handlers run, as a normal exit does, but without finalising the interpreter.

    A daemon thread can still be inside torch's C++ code then (a background calibration or a
    graph load). Python's finalisation stops such a thread with pthread_exit, whose unwinding
    through C++ that must not throw aborts the whole process ("terminate called without an
    active exception", exit status 134) after everything was already done.
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()  # ends build processes, flushes and closes the log handlers
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or vanished pipe: nothing left to say there
            pass
    os._exit(code)
