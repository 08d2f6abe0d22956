"""ocean-proxy: run the Spot Ocean Kubernetes Controller behind corporate HTTP proxies."""

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: mypy takes it as true
if TYPE_CHECKING:
    from types import TracebackType


_shown = sys.excepthook  # Python's, or one set before (Ubuntu's apport): what is printed


def _quiet_interrupt(kind: "type[BaseException]", value: BaseException,
                     traceback: "TracebackType | None") -> None:
    """Python's last word on an exception nothing caught, but for an interrupt: a Ctrl-C
    that lands while the console script loads its modules, before ``console`` catches it,
    then ends the process as the signal does (Python kills itself with SIGINT once the hook
    returns) without a traceback of the import it stopped."""
    if not issubclass(kind, KeyboardInterrupt):
        _shown(kind, value, traceback)


sys.excepthook = _quiet_interrupt  # first: every module of the package loads after this line

__version__ = "0.1.0"
