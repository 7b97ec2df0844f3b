"""A byte-level pre-scanner in front of lxml.

It does two things while the packet streams through, before lxml sees a byte:

* it rejects any DOCTYPE (or other DTD markup) outright, so that no entity is ever declared — there is no
  XXE and no billion-laughs expansion whatever the parser settings;
* it lifts the text of every ``ContentTransferEncoded`` element (the base64 attachments, which can be tens
  of megabytes) out of the stream into a spool file and hands lxml a short marker instead. lxml keeps
  ``huge_tree=False`` (its 10 MB text-node limit stays in force for everything else) and the tree stays
  small; attachments are decoded from the spool in blocks, so no full copy of an attachment is held in
  memory.

The scanner understands just enough XML to do this safely: comments, processing instructions, CDATA
sections, quoted attribute values, character references. Everything it passes on is checked by lxml; the
text it lifts out is normalised exactly as a parser would deliver it (line ends folded to ``\\n``,
character references resolved), so that the XML-DSig digest can be recomputed over it later.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

from .errors import EdxmlSizeError, EdxmlSyntaxError

_TEXT, _MARKUP, _ENDTAG, _STARTTAG, _CTE, _CTE_CDATA, _CTE_COMMENT = range(7)
_TAG_SPECIAL = re.compile(rb"[\"'>]")
_TEXT_STOP = re.compile(rb"<(?:[!?]|(?:[^\s/>!?:<]+:)?contenttransferencoded[\s/>])", re.IGNORECASE)
_NAME_WINDOW = 600  # a "<" this close to the end of the buffer may open a tag whose name is not all here
_TAG_NAME = re.compile(rb"<([^\s/>]+)")
_PREDEFINED = {b"amp": b"&", b"lt": b"<", b"gt": b">", b"quot": b'"', b"apos": b"'"}
_DTD_KEYWORDS = (b"<!DOCTYPE", b"<!ENTITY", b"<!ELEMENT", b"<!ATTLIST", b"<!NOTATION")
_WAIT_FOR = (b"<!--", b"<![CDATA[", *_DTD_KEYWORDS)
CTE_LOCAL_NAME = b"contenttransferencoded"
FLUSH_AT = 1 << 18


class Spool:
    """The text of one ``ContentTransferEncoded`` element, as the parser would have delivered it."""

    def __init__(self, index: int, line: int, threshold: int, tmpdir: str | None) -> None:
        self.index = index
        self.line = line
        self.size = 0
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=threshold, dir=tmpdir)  # noqa: SIM115

    def write(self, data: bytes | bytearray) -> None:
        if data:
            self.file.write(data)
            self.size += len(data)

    def chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        self.file.seek(0)
        while block := self.file.read(size):
            yield block

    def close(self) -> None:
        self.file.close()


def _normalise_newlines(data: bytearray) -> bytearray:
    if b"\r" not in data:
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


class Scanner:
    """Feed raw bytes with :meth:`write`, then call :meth:`close`; lxml gets its input through ``sink``."""

    def __init__(
        self,
        sink: Callable[[bytes], None],
        *,
        marker: bytes,
        max_text_bytes: int,
        limit_label: str = "",
        spool_threshold: int = 1 << 20,
        tmpdir: str | None = None,
    ) -> None:
        self._sink = sink
        self._marker = marker
        self._max_text = max_text_bytes
        self._limit_label = limit_label or f"{max_text_bytes} bytes of base64"
        self._threshold = spool_threshold
        self._tmpdir = tmpdir
        self._buf = bytearray()
        self._out = bytearray()
        self._state = _TEXT
        self._terminator = b""
        self._quote = 0
        self._tag_head = bytearray()
        self._tag_last = 0
        self._spool: Spool | None = None
        self._cte_newlines = 0
        self.spools: list[Spool] = []
        self.line = 1  # line number at the start of the unconsumed buffer

    # -- public -------------------------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        self._buf += data
        self._run(final=False)

    def close(self) -> None:
        self._run(final=True)
        if self._state == _CTE and self._spool is not None:
            # Unterminated element: lxml reports the document as truncated; keep the marker text consistent.
            self._emit(b"\n" * self._cte_newlines)
        self._emit(bytes(self._buf))
        self._buf.clear()
        self._flush()

    def discard(self) -> None:
        for spool in self.spools:
            spool.close()

    # -- helpers ------------------------------------------------------------------------------------------
    def _emit(self, data: bytes | bytearray) -> None:
        if data:
            self._out += data
            if len(self._out) >= FLUSH_AT:
                self._flush()

    def _flush(self) -> None:
        if self._out:
            data = bytes(self._out)
            self._out.clear()
            self._sink(data)

    def _line_at(self, pos: int) -> int:
        return self.line + self._buf.count(b"\n", 0, pos)

    def _spool_write(self, data: bytes | bytearray, pos: int) -> None:
        spool = self._spool
        assert spool is not None
        spool.write(data)
        if spool.size > self._max_text:
            raise EdxmlSizeError(
                f"line {self._line_at(pos)}: AttachmentEncoded/Attachment[{spool.index + 1}]: attachment is "
                f"larger than the limit of {self._limit_label}"
            )

    # -- the state machine --------------------------------------------------------------------------------
    def _run(self, *, final: bool) -> None:
        buf = self._buf
        pos = 0
        n = len(buf)
        while pos < n:
            state = self._state
            if state == _TEXT:
                # Outside comments, CDATA sections and processing instructions every "<" opens a tag (a "<"
                # in text or in an attribute value is not well-formed: lxml rejects it), so plain tags and
                # text pass through untouched and the scanner stops only at "<!", "<?" and the start tag of
                # a ContentTransferEncoded element.
                m = _TEXT_STOP.search(buf, pos)
                if m is None:
                    last = buf.rfind(b"<", pos)
                    cut = last if (last >= 0 and n - last < _NAME_WINDOW and not final) else n
                    self._emit(buf[pos:cut])
                    pos = cut
                    break
                lt = m.start()
                self._emit(buf[pos:lt])
                pos = lt
                head = bytes(buf[lt : lt + 10])
                second = head[1:2]
                if second not in (b"!", b"?"):
                    self._state = _STARTTAG
                    self._quote = 0
                    self._tag_head = bytearray()
                    self._tag_last = 0
                elif second == b"?":
                    self._state, self._terminator = _MARKUP, b"?>"
                    self._emit(b"<?")
                    pos += 2
                elif second == b"!":
                    upper = head.upper()
                    if head.startswith(b"<!--"):
                        self._state, self._terminator = _MARKUP, b"-->"
                        self._emit(b"<!--")
                        pos += 4
                    elif head.startswith(b"<![CDATA["):
                        self._state, self._terminator = _MARKUP, b"]]>"
                        self._emit(b"<![CDATA[")
                        pos += 9
                    elif len(head) < 10 and not final and any(k.startswith(upper) for k in _WAIT_FOR):
                        break  # too few bytes to tell a comment, CDATA or DTD markup apart
                    elif upper.startswith(b"<!DOCTYPE"):
                        raise EdxmlSyntaxError("DOCTYPE not allowed")
                    elif any(upper.startswith(k) for k in _DTD_KEYWORDS):
                        raise EdxmlSyntaxError(f"line {self._line_at(pos)}: DTD declarations not allowed")
                    else:
                        self._state = _ENDTAG  # malformed "<!...>": pass it on, lxml will report it
            elif state in (_MARKUP, _ENDTAG):
                term = self._terminator if state == _MARKUP else b">"
                end = buf.find(term, pos)
                if end < 0:
                    keep = len(term) - 1
                    cut = max(pos, n - keep)
                    self._emit(buf[pos:cut])
                    pos = cut
                    break
                self._emit(buf[pos : end + len(term)])
                pos = end + len(term)
                self._state = _TEXT
            elif state == _STARTTAG:
                if self._quote:
                    end = buf.find(bytes((self._quote,)), pos)
                    if end < 0:
                        self._tag_bytes(buf[pos:n])
                        pos = n
                        break
                    self._tag_bytes(buf[pos : end + 1])
                    pos = end + 1
                    self._quote = 0
                    continue
                m = _TAG_SPECIAL.search(buf, pos)
                if m is None:
                    self._tag_bytes(buf[pos:n])
                    pos = n
                    break
                ch = buf[m.start()]
                if ch != ord(">"):
                    self._quote = ch
                    self._tag_bytes(buf[pos : m.start() + 1])
                    pos = m.start() + 1
                    continue
                self._tag_bytes(buf[pos : m.start()])
                self_closing = self._tag_last == ord("/")
                self._emit(b">")
                pos = m.start() + 1
                self._state = _TEXT
                name = _TAG_NAME.match(self._tag_head)
                local = name.group(1).rsplit(b":", 1)[-1].lower() if name else b""
                if local == CTE_LOCAL_NAME and not self_closing:
                    self._spool = Spool(len(self.spools), self._line_at(pos), self._threshold, self._tmpdir)
                    self.spools.append(self._spool)
                    self._cte_newlines = 0
                    self._emit(self._marker + str(self._spool.index).encode())
                    self._state = _CTE
            elif state == _CTE:
                lt = buf.find(b"<", pos)
                amp = buf.find(b"&", pos, lt if lt >= 0 else n)
                stop = amp if amp >= 0 else lt
                end = stop if stop >= 0 else n
                segment = buf[pos:end]
                if stop < 0 and segment.endswith(b"\r") and not final:
                    segment = segment[:-1]
                    end -= 1
                self._cte_newlines += segment.count(b"\n")
                self._spool_write(_normalise_newlines(segment), pos)
                pos = end
                if stop < 0:
                    break
                if buf[pos] == ord("&"):
                    semi = buf.find(b";", pos, pos + 16)
                    if semi < 0:
                        if n - pos < 16 and not final:
                            break
                        raise EdxmlSyntaxError(
                            f"line {self._line_at(pos)}: not well-formed: malformed reference"
                        )
                    self._spool_write(self._reference(bytes(buf[pos + 1 : semi]), pos), pos)
                    pos = semi + 1
                    continue
                head = bytes(buf[pos : pos + 9])
                if len(head) < 2 or (head[1:2] == b"!" and len(head) < 9 and not final):
                    break
                if head[1:2] == b"/":
                    self._emit(b"\n" * self._cte_newlines)
                    self._spool = None
                    self._state = _TEXT
                elif head.startswith(b"<![CDATA["):
                    pos += 9
                    self._state = _CTE_CDATA
                elif head.startswith(b"<!--"):
                    pos += 4
                    self._state = _CTE_COMMENT
                else:
                    raise EdxmlSyntaxError(
                        f"line {self._line_at(pos)}: ContentTransferEncoded must hold only base64 text, "
                        "found markup inside it"
                    )
            else:  # _CTE_CDATA or _CTE_COMMENT
                term = b"]]>" if state == _CTE_CDATA else b"-->"
                end = buf.find(term, pos)
                stop = end if end >= 0 else max(pos, n - 2)
                segment = buf[pos:stop]
                if state == _CTE_CDATA:
                    if end < 0 and segment.endswith(b"\r") and not final:
                        segment = segment[:-1]
                        stop -= 1
                    self._spool_write(_normalise_newlines(segment), pos)
                self._cte_newlines += segment.count(b"\n")
                pos = stop
                if end < 0:
                    break
                pos = end + 3
                self._state = _CTE
        self.line += buf.count(b"\n", 0, pos)
        del buf[:pos]
        if not final:
            self._flush()

    def _tag_bytes(self, data: bytes | bytearray) -> None:
        if data:
            self._emit(data)
            if len(self._tag_head) < 512:
                self._tag_head += data[: 512 - len(self._tag_head)]
            stripped = bytes(data).rstrip()
            if stripped:
                self._tag_last = stripped[-1]

    def _reference(self, ref: bytes, pos: int) -> bytes:
        if ref in _PREDEFINED:
            return _PREDEFINED[ref]
        if ref[:1] != b"#":
            name = ref.decode(errors="replace")
            raise EdxmlSyntaxError(f"line {self._line_at(pos)}: not well-formed: entity '{name}' not defined")
        try:
            code = int(ref[2:], 16) if ref[:2] in (b"#x", b"#X") else int(ref[1:], 10)
            return chr(code).encode("utf-8")
        except (ValueError, OverflowError):
            raise EdxmlSyntaxError(
                f"line {self._line_at(pos)}: not well-formed: invalid character reference"
            ) from None
