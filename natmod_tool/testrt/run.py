"""Run a script on a built test runtime: natively (x86/x64) or under qemu with semihosting."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .targets import TARGETS

#: argv[0] the runtime sees (its own name in messages)
PROGRAM_NAME = "natmod-testrt"
#: exit status reported for a run that hit its timeout (as timeout(1) does)
TIMEOUT_STATUS = 124


@dataclass
class RunResult:
    """One run: its exit status, what it printed, whether it had to be stopped."""

    returncode: int  # 0: the script ended normally; non-zero: exception, fault, timeout
    output: str  # the script's output (tracebacks included), "\n" line ends
    timed_out: bool
    stderr: str = ""  # the emulator's own complaints (bad option, missing file), if any


def _semihosting_arg(text: str) -> str:
    """One qemu `arg=` value: the runtime splits the command line at spaces and undoes
    %XX, and qemu's option parser reads a doubled comma as a comma."""
    return text.replace("%", "%25").replace(" ", "%20").replace(",", ",,")


class Runtime:
    """A built test runtime for one arch."""

    def __init__(self, arch: str, program: Path) -> None:
        self.arch = arch
        self.program = Path(program)
        self.target = TARGETS[arch]

    def __repr__(self) -> str:
        return f"Runtime({self.arch!r}, {str(self.program)!r})"

    def command(self, script: Path, import_dirs: Sequence[Path]) -> list[str]:
        """argv that runs `script` with `import_dirs` first on sys.path (absolute paths:
        the line can be pasted into a shell anywhere)."""
        args = [str(Path(script).resolve()), *(str(Path(d).resolve()) for d in import_dirs)]
        if self.target.hosted:
            return [str(self.program), *args]
        semihosting = ",".join(
            ["enable=on", "target=native", *(f"arg={_semihosting_arg(a)}" for a in [PROGRAM_NAME, *args])]
        )
        return [
            self.target.qemu,
            *self.target.qemu_args,
            "-semihosting-config",
            semihosting,
            "-kernel",
            str(self.program),
        ]

    def run(self, script: Path, import_dirs: Sequence[Path], *, timeout: float = 60.0) -> RunResult:
        """Run `script`; a run longer than `timeout` seconds is killed (timed_out=True)."""
        argv = self.command(script, import_dirs)
        try:
            done = subprocess.run(argv, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            return RunResult(TIMEOUT_STATUS, _text(exc.stdout), True, _text(exc.stderr))
        except OSError as exc:
            return RunResult(127, "", False, f"cannot start {argv[0]}: {exc.strerror or exc}")
        return RunResult(
            done.returncode if done.returncode >= 0 else 128 - done.returncode,
            _text(done.stdout),
            False,
            _text(done.stderr),
        )


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="replace")
    return data.replace("\r\n", "\n")
