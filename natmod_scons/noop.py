"""The no-op shortcut: a build whose every input is as at the last no-op build stops at once.

Why: with nothing to do, SCons still runs every SConscript once per arch and checks every
node; for the examples on 9 arches that is about 0.8 s, more than MicroPython's make flow
(make only compares timestamps), and it grows with the repository.  SCons cannot skip
reading SConscripts because they are Python and may depend on anything, so this module
records what they did depend on, the way a configuration cache does.

An entry of `.natmod-noop.json` (beside `.sconsign.dblite`) is written only after a build
in which SCons found nothing to do (an observed no-op, never a prediction).  It holds:

* what the SConstruct, the SConscripts and the build looked at, traced from before the
  SConstruct's first statement to the end of the build (PEP 578 audit hooks, and
  `os.stat`/`os.lstat`/`os.access` wrapped): every file opened, every path checked
  (present or not), every folder listed (its entries), every environment variable read
  (and the names, when the environment was listed), each as it was when first looked at;
* every node the requested targets depend on (sources, implicit dependencies, compilers,
  outputs) with the file status SCons based its decision on, and the Python modules loaded;
* the output, and as the key: the command line, `SCONSFLAGS`, the working folder, the
  Python, SCons and `sys.path` in use.

A file's status is its modification and change times in ns, size, inode and mode; the
change time cannot be set back, so an edit that restores the modification time still
shows.  A folder's is its inode and mode (its entries count where it was listed).

The next build with the same key in which every fact still holds prints the recorded
output and stops.  Anything else is a normal SCons build, and nothing is recorded when
there is any doubt: a SConscript that started a process or opened a connection, a step
that ran, a failure, an option other than -j, -k, -Q, -s, -f (so -n, -q, -c, -h, --debug,
--tree... always run SCons), the speed-ups off (speed.py).  `NATMOD_NOOP=0` turns the
shortcut off, `NATMOD_NOOP=explain` says in one line why it was or was not taken; a
SConscript whose targets depend on something no file shows (the clock, a server) calls
`natmod_scons.noop.volatile()`.

Where it starts: `import natmod_scons` in `site_scons/site_init.py`, or as the SConstruct's
first statement (only imports and a docstring before it) when no site_init.py ran before.
Imported later, nothing is traced and nothing is recorded.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import sys
from typing import Any

from .filelock import folder_locked

#: the manifest's file name, in the top folder (where SCons keeps `.sconsign.dblite`)
MANIFEST = ".natmod-noop.json"
FORMAT = 1
#: an action attribute: running it every build changes nothing (cli.py's silent alias action)
HARMLESS = "natmod_noop_harmless"
#: command lines remembered (the most recently used ones are kept)
MAX_ENTRIES = 8
#: options that do not change what a build does (besides targets and NAME=value)
_HARMLESS = {"-Q", "-s", "--silent", "--quiet", "-k", "--keep-going", "--no-progress"}
#: audit events after which a read phase depends on more than files and the environment
_OUTSIDE = (
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "socket.connect",
    "socket.getaddrinfo",
    "urllib.Request",
)
_SCONSTRUCT_NAMES = ("SConstruct", "Sconstruct", "sconstruct", "SConstruct.py", "Sconstruct.py", "sconstruct.py")


def _status(path: str) -> list[int] | None:
    """What is recorded of one path: times, size, inode and mode, or None when absent."""
    try:
        st = _ORIGINAL["stat"](path)
    except (OSError, ValueError):
        return None
    return _status_of(st)


def _status_of(st: os.stat_result) -> list[int]:
    """A file's times, size, inode and mode; a folder's inode and mode only (what is in it
    is recorded as its listing, when it was listed; its times change with every file
    written in it, this manifest included)."""
    if stat.S_ISDIR(st.st_mode):
        return [st.st_ino, st.st_mode]
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_mode]


def _listing(path: str) -> list[str] | None:
    """A folder's entries, sorted, without this module's own files; None when not a folder."""
    try:
        names = os.listdir(path)
    except (OSError, ValueError):
        return None
    return sorted(name for name in names if not name.startswith(MANIFEST))


_ORIGINAL: dict[str, Any] = {"stat": os.stat, "lstat": os.lstat, "access": os.access}


class _Trace:
    """What one read phase looked at; also the output written while it was on."""

    def __init__(self, key: str) -> None:
        self.paths: dict[str, list[int] | None] = {}
        self.folders: dict[str, list[str] | None] = {}
        self.env: dict[str, str | None] = {}
        self.env_names: list[str] | None = None
        self.env_written: set[str] = set()
        self.outside: str | None = None
        self.tracing = False
        self.output: list[tuple[int, str]] = []
        self.key = key
        #: set by the speed-ups (speed.py): only a project that turned them on is recorded
        self.allowed = False
        #: the first target SCons built: from then on nothing is traced (no record to write)
        self.built = ""

    def see(self, path: Any) -> None:
        """Record `path`'s status the first time the read phase looks at it."""
        if path.__class__ is str and path in self.paths:  # SCons asks for the same paths again and again
            return
        name = _absolute(path)
        if name is not None and name not in self.paths and not os.path.basename(name).startswith(MANIFEST):
            self.paths[name] = _status(name)

    def see_folder(self, path: Any) -> None:
        """Record a folder's entries the first time the read phase lists it."""
        name = _absolute(path if path not in (None, "", b"") else ".")
        if name is not None and name not in self.folders:
            self.folders[name] = None  # listing it raises this audit event again
            self.folders[name] = _listing(name)

    def see_env(self, key: Any, value: str | None) -> None:
        if isinstance(key, str) and key not in self.env and key not in self.env_written:
            self.env[key] = value


def _absolute(path: Any) -> str | None:
    if isinstance(path, int) or path is None:
        return None
    try:
        name = os.fsdecode(os.fspath(path)) or "."
    except TypeError:
        return None
    if not os.path.isabs(name):
        name = os.path.join(os.getcwd(), name)
    return os.path.normpath(name)


_trace: _Trace | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    trace = _trace
    if trace is None or not trace.tracing:
        return
    if event == "open":
        trace.see(args[0])
    elif event in ("os.listdir", "os.scandir"):
        trace.see_folder(args[0] if args else None)
    elif event.startswith(_OUTSIDE) and trace.outside is None:
        trace.outside = event


def _traced(name: str) -> Any:
    original = _ORIGINAL[name]

    def traced(path: Any, *args: Any, **kwargs: Any) -> Any:
        trace = _trace
        if trace is not None and trace.tracing:
            trace.see(path)
        return original(path, *args, **kwargs)

    traced.__doc__ = original.__doc__
    return traced


class _TracedEnviron(os._Environ):  # type: ignore[misc,name-defined]
    """os.environ while the SConscripts run: every read is noted (class swapped in place,
    so modules that hold a reference to os.environ are traced too)."""

    def __getitem__(self, key: str) -> str:
        try:
            value = super().__getitem__(key)
        except KeyError:
            _note_env(key, None)
            raise
        _note_env(key, value)
        return value

    def __contains__(self, key: object) -> bool:
        value = super().get(key)  # type: ignore[call-overload]
        _note_env(key, value)
        return value is not None

    def __iter__(self) -> Any:
        trace = _trace
        if trace is not None and trace.tracing and trace.env_names is None:
            trace.env_names = sorted(super().__iter__())
        return super().__iter__()

    def __setitem__(self, key: str, value: str) -> None:
        if _trace is not None:
            _trace.env_written.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        if _trace is not None:
            _trace.env_written.add(key)
        super().__delitem__(key)


def _note_env(key: object, value: str | None) -> None:
    trace = _trace
    if trace is not None and trace.tracing:
        trace.see_env(key, value)


class _Tee:
    """A stream that also keeps what was written, for the shortcut to print again."""

    def __init__(self, stream: Any, index: int, trace: _Trace) -> None:
        self._stream = stream
        self._index = index
        self._trace = trace

    def write(self, text: str) -> Any:
        if _trace is self._trace:
            self._trace.output.append((self._index, text))
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _disabled() -> bool:
    return os.environ.get("NATMOD_NOOP", "1").strip().lower() in ("0", "false", "no", "off")


def _command_line() -> list[str] | None:
    """The command line (SCONSFLAGS first), or None when it has an option that matters."""
    words = os.environ.get("SCONSFLAGS", "").split() + sys.argv[1:]
    expect: str | None = None
    for word in words:
        if expect is not None:
            if expect == "jobs" and not word.isdigit():
                return None
            expect = None
        elif word in ("-j", "--jobs"):
            expect = "jobs"
        elif word in ("-f", "--file", "--sconstruct", "--makefile"):
            expect = "file"  # which SConstruct: its frame is found and traced the same way
        elif word.startswith("-") and word not in _HARMLESS and not _harmless_option(word):
            return None
    return None if expect is not None else words


def _harmless_option(word: str) -> bool:
    """-jN, --jobs=N, -fFILE, --file=FILE (and --sconstruct=, --makefile=)."""
    if word.startswith("--jobs="):
        return word[len("--jobs=") :].isdigit()
    if word.startswith("--"):
        return word.startswith(("--file=", "--sconstruct=", "--makefile="))
    if word.startswith("-j"):
        return word[2:].isdigit()
    return word.startswith("-f") and len(word) > 2


def _key(words: list[str]) -> str:
    """The command line and what runs it; with ARCH_JOBS, a child's share of the arches too
    (fanout.py: every child has the same command line, each builds other modules)."""
    import SCons

    from .fanout import SHARE

    share = os.environ.get(SHARE)
    return json.dumps([FORMAT, os.getcwd(), words, sys.version, sys.executable, SCons.__version__, sys.path, share])


def _sconstruct_names() -> set[str]:
    """The SConstruct's possible file names: SCons' defaults and any `-f FILE`."""
    from SCons.Script import GetOption

    return {*_SCONSTRUCT_NAMES, *(os.path.basename(str(name)) for name in GetOption("file") or ())}


def _site_inits() -> list[str]:
    """The site_init.py files SCons runs on this platform, in its order (Main.py's list)."""
    return [
        os.path.join(folder, "site_scons", "site_init.py")
        for folder in ("/usr/share/scons", os.path.expanduser("~/.scons"), os.getcwd())
    ]


def _already_run() -> list[str] | None:
    """The files that ran before this import (site_init.py, the SConstruct), or None when
    code that the trace cannot see ran before it.

    Called while `natmod_scons` is first imported: from a site_init.py, or from the
    SConstruct, whose frame says which line is importing; any other site_init.py that
    SCons ran earlier is code the trace did not see.
    """
    frame = sys._getframe(1)
    while frame is not None:
        name = os.path.basename(frame.f_code.co_filename)
        if frame.f_code.co_name == "<module>" and name == "site_init":  # SCons compiles it under that name
            ours = os.path.abspath(str(frame.f_globals.get("__file__", "")))
            if os.path.basename(ours) != "site_init.py":
                return None
            earlier = _site_inits()
            earlier = earlier[: earlier.index(ours)] if ours in earlier else earlier
            return None if any(os.path.exists(path) for path in earlier) else [ours]
        if frame.f_code.co_name == "<module>" and name in _sconstruct_names():
            script = os.path.abspath(frame.f_code.co_filename)
            if any(os.path.exists(path) for path in _site_inits()):
                return None
            return [script] if _only_imports_before(script, frame.f_lineno) else None
        frame = frame.f_back
    return None


def _only_imports_before(path: str, line: int) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return False
    for statement in tree.body:
        if statement.lineno >= line:
            return True
        docstring = isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
        if not (docstring or isinstance(statement, (ast.Import, ast.ImportFrom))):
            return False
    return False


def _load(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), dict):
        return {}
    return data["entries"]


def _changed(entry: dict[str, Any]) -> str | None:
    """The first recorded fact that no longer holds (None: all hold), checked before
    anything else runs."""
    environ = os.environ
    for name, value in entry["env"].items():
        if environ.get(name) != value:
            return f"environment variable {name} changed"
    if entry["env_names"] is not None and sorted(environ) != entry["env_names"]:
        return "the set of environment variables changed"
    for path, names in entry["folders"].items():
        if _listing(path) != names:
            return f"{path}: a file was added or removed"
    for path in entry["present"]:
        if not os.path.isfile(path):
            return f"{path} is gone"
    for path, status in entry["paths"].items():
        if _status(path) != status:
            return f"{path} changed"
    return None


def _explain(message: str) -> None:
    """`NATMOD_NOOP=explain`: say why the shortcut was or was not taken (one line)."""
    if os.environ.get("NATMOD_NOOP", "").strip().lower() == "explain":
        sys.stderr.write(f"natmod: no-op shortcut: {message}\n")


def start() -> None:
    """Take the shortcut if the last no-op's facts hold, else trace this build (idempotent)."""
    global _trace
    if _trace is not None or "SCons.Script.Main" not in sys.modules or _disabled():
        return
    from SCons.Script import Main

    if getattr(Main, "OptionsParser", None) is None:
        return  # imported outside an SCons run (a test, a script)
    already = _already_run()
    if already is None:
        _explain("off: code ran before natmod_scons was imported (a site_init.py, SConstruct statements)")
        return
    words = _command_line()
    if words is None:
        _explain("off for this command line: an option other than -j, -k, -Q, -s, -f")
        return
    key = _key(words)
    entry = _load(MANIFEST).get(key)
    reason = "no record of a no-op build with this command line" if entry is None else _changed(entry)
    if reason is None:
        _explain(f"taken: {len(entry['paths'])} files as recorded")  # type: ignore[index]
        _replay(entry)  # type: ignore[arg-type]
    _explain(f"not taken: {reason}")
    _begin(key, already)


def _replay(entry: dict[str, Any]) -> None:
    streams = (sys.stdout, sys.stderr)
    checked = len(entry["paths"])
    for index, text in entry["output"]:
        if text.startswith("scons: done building targets."):
            text = text.replace(
                "scons: done building targets.",
                f"scons: done building targets (nothing changed since the last build: {checked} files checked).",
                1,
            )
        streams[index].write(text)
    for stream in streams:
        stream.flush()
    raise SystemExit(0)


def _begin(key: str, already: list[str]) -> None:
    global _trace
    from SCons.Script import Main

    trace = _trace = _Trace(key)
    sys.addaudithook(_audit)
    for name in _ORIGINAL:
        setattr(os, name, _traced(name))
    os.environ.__class__ = _TracedEnviron
    sys.stdout = _Tee(sys.stdout, 0, trace)
    sys.stderr = _Tee(sys.stderr, 1, trace)
    trace.tracing = True
    for path in [*already, *_site_inits()]:  # what ran before the trace; a site_init.py added later
        trace.see(path)
    build_targets = Main._build_targets

    def traced_build(fs: Any, options: Any, targets: Any, target_top: Any) -> Any:
        # traced to the end: command lines are substituted while building, and callables
        # in them may read files (a no-op build changes none, so what it reads is input)
        try:
            nodes = build_targets(fs, options, targets, target_top)
        finally:
            _end_tracing()
        _record(trace, nodes)
        return nodes

    Main._build_targets = traced_build
    _stop_at_first_step(trace)


def _stop_at_first_step(trace: _Trace) -> None:
    """Once SCons runs a step, this build will not be recorded: stop tracing right there,
    so a real build pays for the trace only while SCons reads and checks."""
    import SCons.Taskmaster

    execute = SCons.Taskmaster.Task.execute

    def traced_execute(task: Any) -> Any:
        global _trace
        if _trace is trace and not all(_harmless(target) for target in task.targets):
            trace.built = str(task.targets[0])
            _end_tracing()
            _trace = None
        return execute(task)

    SCons.Taskmaster.Task.execute = traced_execute


def _end_tracing() -> None:
    """Restore os.stat, os.lstat, os.access and os.environ's class (the audit hook stays,
    as audit hooks do, and returns at once)."""
    trace = _trace
    if trace is None:
        return
    trace.tracing = False
    for name, original in _ORIGINAL.items():
        setattr(os, name, original)
    os.environ.__class__ = os._Environ  # type: ignore[attr-defined]


def allow() -> None:
    """Let this build be recorded (the speed-ups call this; a plain tool load does not)."""
    if _trace is not None:
        _trace.allowed = True


def volatile(reason: str = "a SConscript said so") -> None:
    """Never record this build: its targets depend on something no file or variable shows."""
    if _trace is not None:
        _trace.outside = _trace.outside or reason


def _record(trace: _Trace, nodes: Any) -> None:
    """After the build: store the entry if SCons ran nothing and nothing failed, else drop it."""
    global _trace
    from SCons.Script import GetBuildFailures, Main

    _trace = None  # stop keeping output
    failed = not nodes or Main.this_build_status or GetBuildFailures()
    paths, built = _graph_paths(nodes) if not (failed or trace.built) else (None, trace.built)
    entry, why = None, ""
    if failed:
        why = "the build failed"
    elif paths is None:
        why = f"SCons built {built}"
    elif trace.outside:
        why = f"the SConscripts reached outside ({trace.outside})"
    elif not trace.allowed:
        why = "the speed-ups are off (NATMOD_SPEEDUPS)"
    else:
        entry = _entry(trace, paths)
    with folder_locked(os.getcwd()):  # ARCH_JOBS children finish together (fanout.py)
        entries = _load(MANIFEST)
        had = entries.pop(trace.key, None) is not None
        if entry is not None:
            entries[trace.key] = entry
            while len(entries) > MAX_ENTRIES:
                entries.pop(next(iter(entries)))
            _explain(f"recorded: {len(entry['paths'])} files")
            _write(entries)
            return
        _explain(f"not recorded: {why}")
        if had:
            _write(entries)


def _entry(trace: _Trace, paths: dict[str, list[int] | None]) -> dict[str, Any]:
    """The manifest entry: the graph's files, what the read phase saw, the output."""
    paths.update(trace.paths)
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if isinstance(filename, str):
            filename = os.path.abspath(filename)
            paths.setdefault(filename, _status(filename))
    # SCons rewrites its database on every run, so only that it is there counts: a target
    # is rebuilt, and its file changes, whenever its recorded signature changes.  The arch
    # folders' database files (signdb.py) go with the outputs beside them.
    present = [os.path.abspath(name) for name in sorted(os.listdir(".")) if name.startswith(".sconsign")]
    for path in [p for p in paths if os.path.basename(p).startswith(".sconsign")]:
        paths.pop(path, None)
    return {
        "paths": paths,
        "present": present,
        "folders": trace.folders,
        "env": trace.env,
        "env_names": trace.env_names,
        "output": trace.output,
    }


def _graph_paths(nodes: Any) -> tuple[dict[str, list[int] | None] | None, str]:
    """The status of every file and folder the targets depend on, or (None, the first node
    built) if SCons ran anything.

    The status is the one SCons stat'ed when it decided (kept on the node), so a file edited
    while the build ran is seen as changed next time.
    """
    import SCons.Node
    import SCons.Node.FS

    done = {SCons.Node.up_to_date, SCons.Node.no_state}
    paths: dict[str, list[int] | None] = {}
    seen: set[int] = set()
    todo = list(nodes)
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if (node.always_build or node.get_state() not in done) and not _harmless(node):
            return None, str(node)
        if isinstance(node, SCons.Node.FS.Base):
            st = node.stat()
            if not os.path.basename(node.get_abspath()).startswith(MANIFEST):
                paths[node.get_abspath()] = _status_of(st) if st is not None else None
        todo.extend(node.children())
        todo.extend(node.prerequisites or ())
    return paths, ""


def _harmless(node: Any) -> bool:
    """An alias whose actions change nothing (none, or marked HARMLESS): built every time,
    as `natmods` is under -Q, it still leaves a no-op a no-op."""
    import SCons.Node.Alias

    if not isinstance(node, SCons.Node.Alias.Alias):
        return False
    executor = node.get_executor() if node.has_builder() else None
    actions = executor.get_action_list() if executor is not None else []
    return all(getattr(action, HARMLESS, False) for action in actions)


def _write(entries: dict[str, Any]) -> None:
    """Replace the manifest in one rename (a reader sees the old one or the new one)."""
    temporary = f"{MANIFEST}.{os.getpid()}.tmp"
    try:
        text = json.dumps({"format": FORMAT, "entries": entries}, separators=(",", ":"))
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, MANIFEST)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass
