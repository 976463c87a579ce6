"""The Python engine: encoders and decoders generated as Python source from record shapes.

construct parses a record field by field through stream objects, which costs several
microseconds per record; the request path cannot afford that. This module walks each record's
shape (:mod:`jute.shape`, read off its construct declaration) and writes Python source for a
pair of functions per record. It serves where the compiled engine (:mod:`jute.accel`) was not
built, and the property tests hold both to construct's bytes:

* runs of fixed-width fields are fused into precompiled ``struct`` formats, and the length
  prefix of a following string, buffer or vector joins the run: a run encodes with one ``pack``,
  and decodes with one ``unpack_from`` per flat record in it, so ``ReplyHeader`` or a ``Stat``
  becomes its record straight from one call;
* decoding works on a ``bytes`` buffer and an offset, with no stream objects, and checks every
  length against the bytes that remain, so truncated or lying input raises ``JuteError`` before
  anything large is allocated;
* nested fixed-width records (``Stat``) are inlined into their parent's runs.

The generated source is plain Python, kept as :attr:`PythonEngine.source` for reading.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

from jute.errors import JuteError
from jute.shape import Fixed, Node, Rec, Var

# --- helpers over shapes -----------------------------------------------------------------


def _min_size(node: Node) -> int:
    """The fewest bytes an encoding of this node can take."""
    if isinstance(node, Fixed):
        return node.size
    if isinstance(node, Rec):
        return sum(_min_size(child) for _, child in node.fields)
    return 4


def _fixed_leaves(node: Node) -> list[Fixed]:
    if isinstance(node, Fixed):
        return [node]
    assert isinstance(node, Rec)
    return [leaf for _, child in node.fields for leaf in _fixed_leaves(child)]


def _holds_record(members: list[tuple[Node, str]]) -> bool:
    return any(isinstance(node, Rec) for node, _ in members)


def _flat(node: Node) -> bool:
    """A fixed record whose fields are all scalars: it maps onto a slice of one unpack."""
    return isinstance(node, Rec) and all(isinstance(child, Fixed) for _, child in node.fields)


def _fmt(node: Node) -> str:
    return "".join(leaf.fmt for leaf in _fixed_leaves(node))


class _Source:
    """Accumulates generated functions and the precompiled formats they use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.formats: dict[str, str] = {}
        self._counter = 0

    def fresh(self, stem: str) -> str:
        self._counter += 1
        return f"{stem}{self._counter}"

    def format_name(self, fmt: str) -> str:
        if fmt not in self.formats:
            self.formats[fmt] = f"_F_{fmt.replace('?', 'Z')}"
        return self.formats[fmt]


class _DecoderWriter:
    """Writes one decode function.

    Fixed-width members (scalars, and flat records such as ``Stat``) wait in ``pending`` until
    something variable follows, then ``unpack_from`` reads them: one call per flat record, with
    the scalars around it (see :meth:`flush`).
    """

    def __init__(self, src: _Source, record: str) -> None:
        self.src = src
        self.record = record
        self.body: list[str] = []
        self.pending: list[tuple[Node, str]] = []
        self.pending_indent = 0
        self.sized = False  # whether the body reads ``size``, the length of the input

    def _member(self, node: Node, indent: int) -> str:
        var = self.src.fresh("v")
        if not self.pending:
            self.pending_indent = indent
        self.pending.append((node, var))
        return var

    def flush(self) -> None:
        """Read the pending members, one ``unpack_from`` per chunk of the run.

        Building a record straight from an ``unpack_from`` result costs less than unpacking
        into names and gathering them into a tuple again, which for a ``Stat`` costs more than
        a second ``unpack_from`` call; for a header and one length prefix, the names cost less
        than the second call. So each chunk holds at most one flat record: a chunk that is
        exactly a record becomes it directly, one with scalars beside it goes through names.
        """
        if not self.pending:
            return
        members, self.pending = self.pending, []
        chunks: list[list[tuple[Node, str]]] = []
        for member in members:
            if not chunks or (isinstance(member[0], Rec) and _holds_record(chunks[-1])):
                chunks.append([])
            chunks[-1].append(member)
        pad = "    " * self.pending_indent
        at = 0
        for chunk in chunks:
            lines = self._unpack(chunk, f"off + {at}" if at else "off")
            self.body += [pad + line for line in lines]
            at += sum(struct.calcsize(">" + _fmt(node)) for node, _ in chunk)
        self.body.append(f"{pad}off += {at}")

    def _unpack(self, chunk: list[tuple[Node, str]], at: str) -> list[str]:
        fmt = "".join(_fmt(node) for node, _ in chunk)
        unpack = f"{self.src.format_name(fmt)}.unpack_from(buf, {at})"
        if fmt == "?":
            # One byte needs no struct call; IndexError marks truncation like struct.error.
            return [f"{chunk[0][1]} = buf[{at}] != 0"]
        if len(chunk) == 1 and isinstance(chunk[0][0], Rec):
            node, var = chunk[0]
            return [f"{var} = _tnew(_R_{node.name}, {unpack})"]
        leaves: list[str] = []
        built: list[str] = []
        for node, var in chunk:
            if isinstance(node, Fixed):
                leaves.append(var)
                continue
            assert isinstance(node, Rec)
            names = [self.src.fresh("v") for _ in node.fields]
            leaves += names
            built.append(f"{var} = _tnew(_R_{node.name}, ({', '.join(names)},))")
        return [f"{', '.join(leaves)}, = {unpack}", *built]

    def line(self, indent: int, text: str) -> None:
        self.flush()
        self.body.append("    " * indent + text)

    def fail(self, indent: int, what: str) -> None:
        self.line(indent, f'raise JuteError(f"{self.record}: {what} at offset {{off}}")')

    def node(self, node: Node, indent: int) -> str:
        """Emit code that decodes ``node`` at ``off``; return an expression for its value."""
        if isinstance(node, Fixed) or _flat(node):
            return self._member(node, indent)
        if isinstance(node, Rec):
            parts = [self.node(child, indent) for _, child in node.fields]
            return f"_tnew(_R_{node.name}, ({', '.join(parts)},))"
        length = self._member(Fixed("i"), indent)
        var = self.src.fresh("x")
        self.sized = True
        self.line(indent, f"if {length} >= 0:")
        if isinstance(node, Var):
            self.line(indent + 1, f"end = off + {length}")
            self.line(indent + 1, "if end > size:")
            self.fail(indent + 2, f"length {{{length}}} overruns the input")
            if node.text:
                # Strict decoding is the faster call; invalid UTF-8 is then replaced, as Java's
                # new String(bytes, UTF_8) does.
                self.line(indent + 1, "try:")
                self.line(indent + 2, f"{var} = buf[off:end].decode()")
                self.line(indent + 1, "except UnicodeDecodeError:")
                self.line(indent + 2, f'{var} = buf[off:end].decode("utf-8", "replace")')
            else:
                self.line(indent + 1, f"{var} = buf[off:end]")
            self.line(indent + 1, "off = end")
        else:
            self.line(indent + 1, f"if {length} * {_min_size(node.element)} > size - off:")
            self.fail(indent + 2, f"count {{{length}}} overruns the input")
            self.line(indent + 1, f"{var} = []")
            self.line(indent + 1, f"for _ in range({length}):")
            if isinstance(node.element, Rec) and not _flat(node.element):
                item = self.src.fresh("r")
                self.line(indent + 2, f"{item}, off = _dec_{node.element.name}(buf, off)")
            else:
                item = self.node(node.element, indent + 2)
            self.line(indent + 2, f"{var}.append({item})")
        self.line(indent, f"elif {length} == -1:")
        self.line(indent + 1, f"{var} = None")
        self.line(indent, "else:")
        self.fail(indent + 1, f"negative length {{{length}}}")
        return var


def _decoder(src: _Source, name: str, rec: Rec, frame: bool) -> list[str]:
    """A function ``name(buf, off=0) -> (value, next_off)``: the record, or for a frame the
    tuple of its records."""
    writer = _DecoderWriter(src, rec.name)
    if frame:
        result = f"({', '.join(writer.node(child, 2) for _, child in rec.fields)},)"
    else:
        result = writer.node(rec, 2)
    writer.flush()
    return [
        f"def {name}(buf, off=0):",
        *(["    size = len(buf)"] if writer.sized else []),
        "    try:",
        *writer.body,
        "    except (struct.error, IndexError):",
        f'        raise JuteError(f"{rec.name}: truncated at offset {{off}}") from None',
        f"    return {result}, off",
        "",
    ]


class _EncoderWriter:
    """Writes one encode function as pieces: fixed values to pack, and byte strings."""

    def __init__(self, src: _Source, indent: int) -> None:
        self.src = src
        self.pad = "    " * indent
        self.body: list[str] = []
        self.pieces: list[tuple[str | None, str]] = []  # (struct format, or None for bytes; expr)

    def node(self, node: Node, value: str) -> None:
        pad = self.pad
        if isinstance(node, Fixed):
            self.pieces.append((node.fmt, value))
        elif isinstance(node, Rec):
            # Even a flat record is unpacked into names: ``pack(*rec)`` copies a tuple subclass
            # item by item through an iterator before the call, which costs more.
            names = [self.src.fresh("e") for _ in node.fields]
            self.body.append(f"{pad}{', '.join(names)}, = {value}")
            for (_, child), name in zip(node.fields, names, strict=True):
                self.node(child, name)
        else:
            data, length = self.src.fresh("b"), self.src.fresh("n")
            if isinstance(node, Var):
                payload = f"{value}.encode()" if node.text else value
                count = f"len({data})"
            else:
                item = _element_encoder(self.src, node.element)
                payload = f"b''.join([{item}(i) for i in {value}])"
                count = f"len({value})"
            self.body += [
                f"{pad}if {value} is None:",
                f"{pad}    {data}, {length} = b'', -1",
                f"{pad}else:",
                f"{pad}    {data} = {payload}",
                f"{pad}    {length} = {count}",
            ]
            self.pieces.append(("i", length))
            self.pieces.append((None, data))

    def framed(self) -> None:
        """Prefix the pieces with the int32 length of everything that follows them."""
        fixed = struct.calcsize(">" + "".join(f for f, _ in self.pieces if f is not None))
        lengths = [f"len({expr})" for f, expr in self.pieces if f is None]
        self.pieces.insert(0, ("i", " + ".join([str(fixed), *lengths])))

    def _pack(self, run: list[tuple[str, str]]) -> str:
        """One struct call for a run of fixed pieces."""
        fmts = "".join(f for f, _ in run)
        if fmts == "?":
            return f"(b'\\x01' if {run[0][1]} else b'\\x00')"
        return f"{self.src.format_name(fmts)}.pack({', '.join(expr for _, expr in run)})"

    def expression(self) -> str:
        parts: list[str] = []
        run: list[tuple[str, str]] = []
        for fmt, expr in [*self.pieces, (None, "")]:
            if fmt is not None:
                run.append((fmt, expr))
                continue
            if run:
                parts.append(self._pack(run))
                run = []
            if expr:
                parts.append(expr)
        if len(parts) <= 4:
            return " + ".join(parts)
        return f"b''.join(({', '.join(parts)}))"


def _element_encoder(src: _Source, node: Node) -> str:
    """Name a function that encodes one vector element of this shape, writing it if needed."""
    if isinstance(node, Rec):
        return f"_enc_{node.name}"
    name = src.fresh("_enc_item")
    writer = _EncoderWriter(src, indent=1)
    writer.node(node, "item")
    result = writer.expression()
    src.lines += [f"def {name}(item):", *writer.body, f"    return {result}", ""]
    return name


def _encoder(src: _Source, name: str, rec: Rec, framed: bool) -> list[str]:
    """A function ``name(rec) -> bytes``; with ``framed``, prefixed with its length."""
    writer = _EncoderWriter(src, indent=2)
    writer.node(rec, "rec")
    if framed:
        writer.framed()
    result = writer.expression()
    return [
        f"def {name}(rec):",
        "    try:",
        *writer.body,
        f"        return {result}",
        "    except (struct.error, TypeError, ValueError, AttributeError) as exc:",
        f'        raise JuteError(f"{rec.name}: cannot encode {{rec!r}}: {{exc}}") from None',
        "",
    ]


def _compile(src: _Source, namespace: dict[str, Any]) -> str:
    for fmt, name in src.formats.items():
        namespace[name] = struct.Struct(">" + fmt)
    source = "\n".join(src.lines)
    exec(compile(source, "<jute.fastcodec>", "exec"), namespace)
    return source


# --- the engine ---------------------------------------------------------------------------


class PythonEngine:
    """Generated Python codecs for every record shape; frames are generated on demand."""

    name = "python"

    def __init__(self, shapes: Mapping[str, Rec], classes: Mapping[str, type]) -> None:
        self._namespace: dict[str, Any] = {
            "struct": struct,
            "JuteError": JuteError,
            "_tnew": tuple.__new__,
        }
        self._namespace |= {f"_R_{name}": cls for name, cls in classes.items()}
        src = _Source()
        for name, shape in shapes.items():
            src.lines += _decoder(src, f"_dec_{name}", shape, frame=False)
            src.lines += _encoder(src, f"_enc_{name}", shape, framed=False)
        self.source = _compile(src, self._namespace)

    def record(self, rec: Rec) -> tuple[Callable, Callable]:
        """A record's ``(decode, encode)``; encode is a function of the record, so it works
        as the record class's method."""
        return self._namespace[f"_dec_{rec.name}"], self._namespace[f"_enc_{rec.name}"]

    def frame(self, rec: Rec) -> tuple[Callable, Callable]:
        """A frame's ``(decode, encode)``, with fixed-width runs fused across its records."""
        src = _Source()
        src.lines += _decoder(src, "_decode_frame", rec, frame=True)
        src.lines += _encoder(src, "_encode_frame", rec, framed=True)
        namespace = dict(self._namespace)
        _compile(src, namespace)
        return namespace["_decode_frame"], namespace["_encode_frame"]
