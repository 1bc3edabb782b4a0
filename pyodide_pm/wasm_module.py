"""Read the header of a WebAssembly side module, as Emscripten's dynamic loader does.

A ``.so`` in a Pyodide wheel must be WebAssembly whose *first* section is the
``dylink.0`` custom section (older toolchains wrote ``dylink``): that is what makes
it loadable next to the main module. The section also lists the shared libraries
the module needs and the folders (RPATH) where the loader looks for them. Only the section layout is
read (LEB128 sizes, names); the code is never parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

WASM_MAGIC = b"\0asm"
WASM_VERSION = 1
CUSTOM_SECTION = 0
DYLINK_SECTION = "dylink.0"
LEGACY_DYLINK_SECTION = "dylink"  # before LLVM 13 / Emscripten 2.0.x: a flat layout
WASM_DYLINK_MEM_INFO = 1
WASM_DYLINK_NEEDED = 2
WASM_DYLINK_RUNTIME_PATH = 5  # RPATH: folders searched for needed libraries, "$ORIGIN" = this module's folder

# First bytes of the native formats people ship by mistake, for a useful message.
_NATIVE_MAGICS = (
    (b"\x7fELF", "an ELF binary (built for Linux, not WebAssembly)"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O binary (built for macOS, not WebAssembly)"),
    (b"\xce\xfa\xed\xfe", "a Mach-O binary (built for macOS, not WebAssembly)"),
    (b"\xca\xfe\xba\xbe", "a Mach-O universal binary (built for macOS, not WebAssembly)"),
    (b"MZ", "a Windows PE binary (a DLL, not WebAssembly)"),
)


class WasmFormatError(ValueError):
    """The bytes are not a WebAssembly module, or its sections are malformed."""


@dataclass(frozen=True)
class MemInfo:
    memory_size: int
    memory_align: int
    table_size: int
    table_align: int


@dataclass(frozen=True)
class WasmModule:
    """What the loader needs to know: is it a side module, and what does it need."""

    version: int
    sections: tuple[str, ...]  # section names in order: custom sections by name, others by id ("#1")
    dylink_section: str | None  # "dylink.0" or "dylink" when the module is a side module
    dylink_first: bool  # Emscripten only looks at the first section
    mem_info: MemInfo | None
    needed: tuple[str, ...]  # shared libraries named in the needed-libs subsection
    runtime_paths: tuple[str, ...] = ()  # the runtime-path subsection (RPATH)

    @property
    def is_side_module(self) -> bool:
        return self.dylink_section is not None and self.dylink_first


class _Reader:
    """A cursor over bytes with WebAssembly's LEB128 integers and length-prefixed names."""

    def __init__(self, data: bytes, start: int = 0, end: int | None = None, what: str = "module") -> None:
        self.data = data
        self.pos = start
        self.end = len(data) if end is None else end
        self.what = what

    def at_end(self) -> bool:
        return self.pos >= self.end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise WasmFormatError(f"truncated {self.what} at byte {self.pos}")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def u32(self) -> int:
        """Unsigned LEB128, at most 5 bytes (a u32 in the spec)."""
        result = 0
        for shift in range(0, 35, 7):
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                if result > 0xFFFFFFFF:
                    raise WasmFormatError(f"LEB128 value too large in {self.what} at byte {self.pos}")
                return result
        raise WasmFormatError(f"LEB128 value longer than 5 bytes in {self.what} at byte {self.pos}")

    def take(self, n: int) -> bytes:
        if n > self.end - self.pos:
            raise WasmFormatError(f"truncated {self.what}: needs {n} bytes at byte {self.pos}, has {self.end - self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def name(self) -> str:
        raw = self.take(self.u32())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WasmFormatError(f"a name in the {self.what} is not UTF-8") from exc


def describe_non_wasm(data: bytes) -> str:
    """Say what a file that is not WebAssembly looks like, for the report."""
    for magic, what in _NATIVE_MAGICS:
        if data.startswith(magic):
            return what
    if not data:
        return "an empty file"
    return f"not WebAssembly (starts with {data[:4].hex(' ')}, expected 00 61 73 6d)"


def parse_wasm_module(data: bytes) -> WasmModule:
    """Walk the sections of a module and read its dylink metadata.

    Raises WasmFormatError when the bytes are not WebAssembly version 1 or a
    section runs past the end of the file.
    """
    if len(data) < 8 or data[:4] != WASM_MAGIC:
        raise WasmFormatError(describe_non_wasm(data))
    version = int.from_bytes(data[4:8], "little")
    if version != WASM_VERSION:
        raise WasmFormatError(f"WebAssembly binary version {version}, only version {WASM_VERSION} is loadable")
    reader = _Reader(data, 8)
    sections: list[str] = []
    dylink: str | None = None
    dylink_first = False
    mem_info: MemInfo | None = None
    needed: tuple[str, ...] = ()
    runtime_paths: tuple[str, ...] = ()
    while not reader.at_end():
        section_id = reader.byte()
        size = reader.u32()
        start = reader.pos
        reader.take(size)  # bounds check before reading inside
        if section_id != CUSTOM_SECTION:
            sections.append(f"#{section_id}")
            continue
        inner = _Reader(data, start, start + size, "custom section")
        name = inner.name()
        sections.append(name)
        if name in (DYLINK_SECTION, LEGACY_DYLINK_SECTION) and dylink is None:
            dylink = name
            dylink_first = len(sections) == 1
            inner.what = f"{name} section"
            if name == DYLINK_SECTION:
                mem_info, needed, runtime_paths = _read_dylink0(inner)
            else:
                mem_info, needed = _read_legacy_dylink(inner)
    return WasmModule(version, tuple(sections), dylink, dylink_first, mem_info, needed, runtime_paths)


def _read_dylink0(reader: _Reader) -> tuple[MemInfo | None, tuple[str, ...], tuple[str, ...]]:
    """Subsections: a type byte, a size, a payload; unknown types are skipped."""
    mem_info: MemInfo | None = None
    needed: list[str] = []
    runtime_paths: list[str] = []
    while not reader.at_end():
        kind = reader.byte()
        size = reader.u32()
        start = reader.pos
        reader.take(size)
        sub = _Reader(reader.data, start, start + size, f"{reader.what} subsection {kind}")
        if kind == WASM_DYLINK_MEM_INFO:
            mem_info = MemInfo(sub.u32(), sub.u32(), sub.u32(), sub.u32())
        elif kind == WASM_DYLINK_NEEDED:
            needed += [sub.name() for _ in range(sub.u32())]
        elif kind == WASM_DYLINK_RUNTIME_PATH:
            runtime_paths += [sub.name() for _ in range(sub.u32())]
    return mem_info, tuple(needed), tuple(runtime_paths)


def _read_legacy_dylink(reader: _Reader) -> tuple[MemInfo, tuple[str, ...]]:
    mem_info = MemInfo(reader.u32(), reader.u32(), reader.u32(), reader.u32())
    return mem_info, tuple(reader.name() for _ in range(reader.u32()))

