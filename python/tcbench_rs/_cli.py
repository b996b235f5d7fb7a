"""The ``tcbench-rs`` command: the ``tcbench`` command line, run in-process."""

from __future__ import annotations

import signal
import sys

from . import _native


def main() -> None:
    """Runs ``tcbench`` with this process's arguments and exits with its exit code."""
    # Python turns Ctrl-C into KeyboardInterrupt, which never reaches native code that
    # holds no Python frame: the default action stops the command as it stops the binary
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.exit(_native.main(sys.argv))
