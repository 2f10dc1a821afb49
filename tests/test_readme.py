"""The README's two commands exist and CI runs the test command verbatim."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text: str):
    parts = text.split("```bash\n")[1:]
    return [p.split("```", 1)[0].strip() for p in parts]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = _bash_blocks(readme)
    test_command = next(b for b in blocks if "pytest" in b)
    ci_lines = [l.strip() for l in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def test_readme_has_an_install_and_run_command_for_the_main_job():
    blocks = _bash_blocks((ROOT / "README.md").read_text())
    assert any("pip install" in b and "pytest" not in b and "python -m" in b for b in blocks)
