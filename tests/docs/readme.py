"""Running the README's commands as written: its sections' ```sh lines through a small shell."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
README = ROOT / "README.md"


def section_blocks(prefix: str, language: str) -> list[str]:
    """The ```language blocks of the README section whose heading starts with prefix."""
    text = README.read_text()
    match = re.search(rf"^## {prefix}.*?(?=^## |\Z)", text, flags=re.S | re.M)
    assert match, f"README has no '## {prefix}' section"
    return re.findall(rf"```{language}\n(.*?)```", match.group(0), flags=re.S)


def section_commands(prefix: str) -> list[str]:
    """The lines of the ```sh blocks of the README section whose heading starts with prefix."""
    lines: list[str] = []
    for block in section_blocks(prefix, "sh"):
        lines += [ln.strip() for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    assert lines, f"the {prefix} section has no commands"
    return lines


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Shell:
    """Runs README lines: `export`, `VAR=value cmd`, `$VAR` from its environment, a trailing
    `&` for background."""

    def __init__(self, cwd: Path, env: dict[str, str], ports: dict[str, str]) -> None:
        self.cwd, self.env, self.ports = cwd, env, ports
        self.background: list[subprocess.Popen[str]] = []
        self.outputs: list[str] = []

    def argv(self, line: str) -> tuple[list[str], dict[str, str], bool]:
        for old, new in self.ports.items():
            line = line.replace(old, new)
        line = re.sub(r"\$([A-Z_][A-Z0-9_]*)", lambda m: self.env[m.group(1)], line)
        background = line.endswith("&")
        words = shlex.split(line.rstrip("&").strip())
        env = dict(self.env)
        if words[0] == "export":
            for word in words[1:]:
                name, _, value = word.partition("=")
                self.env[name] = value
            return [], env, False
        while re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
            name, _, value = words.pop(0).partition("=")
            env[name] = value
        tool = {"crossbook": str(BIN / "crossbook"), "ape": str(BIN / "ape")}.get(words[0])
        if tool:
            words[0] = tool
        return words, env, background

    def popen(self, line: str) -> subprocess.Popen[str]:
        """`line` started with pipes for stdin and (merged) stdout, unbuffered."""
        words, env, _ = self.argv(line)
        return subprocess.Popen(
            words,
            cwd=self.cwd,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def run(self, line: str, timeout: float = 300, stdin: str = "") -> str:
        words, env, background = self.argv(line)
        if not words:
            return ""
        if Path(words[0]).name == "curl":
            reply = httpx.get(words[-1], timeout=10)
            assert reply.status_code == 200, f"{line}: {reply.status_code} {reply.text}"
            return reply.text
        if background:
            log = open(self.cwd / f"bg{len(self.background)}.log", "w")  # noqa: SIM115
            proc = subprocess.Popen(
                words, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
            )
            self.background.append(proc)
            return ""
        done = subprocess.run(
            words,
            cwd=self.cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"`{line}` exited {done.returncode}:\n{output}"
        assert "Traceback" not in output, output
        self.outputs.append(output)
        return output

    def wait_http(self, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert all(p.poll() is None for p in self.background), self.logs()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{url} did not come up: {self.logs()}")

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.cwd.glob("bg*.log")))

    def stop(self) -> None:
        for proc in self.background:
            proc.terminate()
        for proc in self.background:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
