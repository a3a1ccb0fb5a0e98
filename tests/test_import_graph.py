"""trainlab's import graph has no cycles, and `import trainlab` loads neither torch nor the components."""

import importlib.util
import subprocess
import sys
from pathlib import Path

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "import_graph.py"


def _tool():
    spec = importlib.util.spec_from_file_location("import_graph", _TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_import_cycles():
    tool = _tool()
    graph = tool.import_graph()
    assert len(graph) > 100, "the tool found too few modules; is it reading src/trainlab?"
    assert tool.cycles(graph) == []


def test_the_tool_finds_a_cycle(tmp_path):
    package = tmp_path / "trainlab"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from trainlab.sub import b\n")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nimport trainlab.a\nif TYPE_CHECKING:\n    import trainlab.c\n"
    )
    (package / "c.py").write_text("import trainlab.sub.b\n")
    tool = _tool()
    graph = tool.import_graph(tmp_path)
    assert graph["trainlab.sub"] == {"trainlab.sub.b"}
    assert tool.cycles(graph) == [["trainlab.a", "trainlab.sub.b"]]  # the TYPE_CHECKING edge does not count


def test_import_trainlab_loads_no_torch_and_no_components():
    code = "import sys, trainlab; print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('trainlab.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
