"""The documents the code points at: every "format.md N.N" (or older "spec N.N") reference
names a section that docs/format.md has.

Code comments cite format rules by section number so a reader can find the rule; a
number that is not a heading sends them nowhere, and renumbering the document would do
that silently to ~100 comments.  This test is what keeps the numbers honest.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMAT_MD = ROOT / "docs" / "format.md"

#: where references may appear (the brief's three folders plus the tests, tools and README)
SCANNED = ("natmod_tool", "natmod_scons", "docs", "tests", "tools", "README.md")

_NUMBER = r"\d+(?:\.\d+)*"
#: `spec 10.2, 10.4, 10.8`, `format.md sections 4, 5, 13.1 and 14`, `spec 13.3 and 15.1 item 8`
REFERENCE = re.compile(rf"\b(?:[Ss]pec|format\.md)(?: sections?)? ({_NUMBER}(?:(?:\s*,\s*|\s+and\s+){_NUMBER}(?!\w))*)")
#: `## 10. Linking`, `#### 10.5.2 Xtensa: ...`
HEADING = re.compile(rf"^#+ ({_NUMBER})\.? ", re.MULTILINE)


def headings(text: str) -> set[str]:
    """Section numbers of a markdown document's numbered headings."""
    return set(HEADING.findall(text))


def references(text: str) -> list[str]:
    """Every section number a text cites as `spec N.N` or `format.md N.N`."""
    found = []
    for match in REFERENCE.finditer(text):
        found.extend(re.findall(_NUMBER, match[1]))
    return found


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            files.append(path)
        else:
            files.extend(p for p in sorted(path.rglob("*")) if p.suffix in (".py", ".md") and p.is_file())
    return [p for p in files if ".venv" not in p.parts]


def test_reference_parser_reads_every_form() -> None:
    text = (
        "(spec 10.2, 10.4, 10.8) spec sections 4, 5, 13.1 and 14; spec 13.3 and\n15.1 item 8;"
        " format.md 14.6. Spec 2 says; picolibc's specs file (spec 1, 2); spec 11.2 (a), (e)"
    )
    assert references(text) == ["10.2", "10.4", "10.8", "4", "5", "13.1", "14", "13.3", "15.1", "14.6"] + [
        "2",
        "1",
        "2",
        "11.2",
    ]
    assert headings("## 10. Linking\n#### 10.5.2 Xtensa\n### 3.1 varuint\n# Title 2\n") == {"10", "10.5.2", "3.1"}


def test_format_md_has_sections_1_to_16() -> None:
    numbers = headings(FORMAT_MD.read_text(encoding="utf-8"))
    assert {str(n) for n in range(1, 17)} <= numbers


def test_every_section_reference_exists() -> None:
    numbers = headings(FORMAT_MD.read_text(encoding="utf-8"))
    missing = []
    count = 0
    for path in scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for number in references(text):
            count += 1
            if number not in numbers:
                missing.append(f"{path.relative_to(ROOT)}: section {number}")
    assert count > 50, f"only {count} references found: has the reference syntax changed? ({REFERENCE.pattern})"
    assert not missing, "references to sections docs/format.md does not have:\n" + "\n".join(missing)


# --- docs/variables.md: the table of SCons variables, generated from the help strings -----------


def _generator():
    """tools/gen_variables_doc.py as a module (tools/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_variables_doc", ROOT / "tools" / "gen_variables_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_variables_md_is_up_to_date() -> None:
    gen = _generator()
    current = gen.DOC.read_text(encoding="utf-8")
    assert current == gen.render(current), f"docs/variables.md is out of date: run {gen.COMMAND}"


def test_variables_table_has_a_row_per_declared_variable() -> None:
    from natmod_scons.variables import NAMES

    gen = _generator()
    keys = [opt.key for opt in gen.declared_options()]
    assert keys == list(NAMES)
    table = gen.render_table()
    for key in keys:
        assert f"| `{key}` |" in table
    assert "| `V` | `no` | `yes`, `no` |" in table


def test_variables_table_reads_every_kind_of_scons_variable() -> None:
    """EnumVariable/ListVariable/BoolVariable append their values to the help; they get a column."""
    from SCons.Variables import BoolVariable, EnumVariable, ListVariable, Variables

    opts = Variables(None, {})
    opts.Add(EnumVariable("TOOL", "compiler to use", "gcc", allowed_values=("gcc", "clang")))
    opts.Add(ListVariable("ARCHES", "arches to build", "all", names=["x64", "armv6m"]))
    opts.Add(BoolVariable("QUIET", "say less | or nothing", True))
    opts.Add("DIR", "folder of <arch> builds", "")
    table = _generator().render_table(list(opts.options))
    assert "| `TOOL` | `gcc` | `gcc`, `clang` | compiler to use |" in table
    assert "| `ARCHES` | `all` | `all`, `none`, or a comma list of `x64`, `armv6m` | arches to build |" in table
    assert "| `QUIET` | `yes` | `yes`, `no` | say less \\| or nothing |" in table
    assert "| `DIR` | (empty) |  | folder of &lt;arch&gt; builds |" in table


def test_generator_check_mode_agrees(capsys) -> None:
    assert _generator().main(["--check"]) == 0, capsys.readouterr().err


# --- links between the documents ----------------------------------------------------------------

#: `[text](target)`, not images and not inside inline code spans of the link text
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Anchors of a markdown file's headings (outside code blocks)."""
    found, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.add(anchor(line.lstrip("#")))
    return found


def test_anchor_matches_github() -> None:
    assert anchor(" C++ modules") == "c-modules"
    assert anchor(" The C maths library (`sqrtf`, `sinf`, `pow`, ...)") == "the-c-maths-library-sqrtf-sinf-pow-"
    assert anchor(" Testing modules on every arch: `scons test`") == "testing-modules-on-every-arch-scons-test"


def test_relative_links_in_the_documents_resolve() -> None:
    documents = [ROOT / "README.md", ROOT / "natmod_scons" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for doc in documents:
        text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.DOTALL)
        for target in _LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            path_part, _, fragment = target.partition("#")
            path = (doc.parent / path_part).resolve() if path_part else doc
            if not path.exists():
                broken.append(f"{doc.relative_to(ROOT)}: {target}: no such file")
            elif fragment and path.suffix == ".md" and fragment not in anchors(path):
                broken.append(f"{doc.relative_to(ROOT)}: {target}: no such heading")
    assert not broken, "\n".join(broken)
