"""A port of Go's text/tabwriter (liggitt fork, as vendored by kubectl).

kubectl lays out every table with this algorithm ("elastic tabstops"), and its
quirks are visible in the output, so it is ported rule for rule rather than
re-invented:

* cells are *terminated* by tabs; the text after the last tab of a line is not
  part of any column (so the last column of a table is never padded);
* a column is aligned only over a consecutive run of lines that have a cell in
  it: a line with fewer cells ends the block (this is why `describe` values
  move between sections);
* a line without any tab flushes everything buffered so far;
* the RememberWidths flag (used by `kubectl get`, notably `get -w`) keeps the
  widest width seen per column across flushes, so widths only grow.

Widths are counted in code points, like Go's utf8.RuneCount.

Public API:
    TabWriter(minwidth=0, tabwidth=8, padding=2, padchar=" ", flags=0)
        .write(text), .flush() -> str, .remembered_widths (get/set)
    TableWriter(minwidth=6, tabwidth=4, padding=3)   # kubectl `get` layout
        .render(rows) -> str, .reset_widths()
    format_table(rows, minwidth=6, tabwidth=4, padding=3) -> str
    describe_writer() -> TabWriter                  # kubectl `describe` layout
"""

from __future__ import annotations

import re

# Flags, same meaning and names as Go's tabwriter.
ALIGN_RIGHT = 1 << 2
DISCARD_EMPTY_COLUMNS = 1 << 3
TAB_INDENT = 1 << 4
REMEMBER_WIDTHS = 1 << 6

_SEPARATORS = re.compile(r"[\t\v\n\f]")


class TabWriter:
    """Go tabwriter.Writer: buffer tab-separated text, emit aligned text.

    Output produced by implicit flushes (a line with no tab, or a form feed)
    accumulates internally; `flush()` formats the rest and returns it all.
    """

    def __init__(self, minwidth: int = 0, tabwidth: int = 8, padding: int = 2,
                 padchar: str = " ", flags: int = 0) -> None:
        if minwidth < 0 or tabwidth < 0 or padding < 0:
            raise ValueError("negative minwidth, tabwidth, or padding")
        self.minwidth = minwidth
        self.tabwidth = tabwidth
        self.padding = padding
        self.padchar = padchar
        if padchar == "\t":
            flags &= ~ALIGN_RIGHT  # tab padding enforces left alignment
        self.flags = flags
        self._out: list[str] = []
        self._maxwidths: list[int] = []
        self._reset()

    # -- state -------------------------------------------------------------
    def _reset(self) -> None:
        # A line is a list of cells; a cell is (text, width, htab).
        self._lines: list[list[tuple[str, int, bool]]] = [[]]
        self._cell: list[str] = []  # pieces of the incomplete cell
        self._widths: list[int] = []

    @property
    def remembered_widths(self) -> list[int]:
        """Per-column maximum widths (RememberWidths flag)."""
        return list(self._maxwidths)

    @remembered_widths.setter
    def remembered_widths(self, widths: list[int] | None) -> None:
        self._maxwidths = list(widths or [])

    # -- input -------------------------------------------------------------
    def write(self, text: str) -> None:
        """Split text into cells; a line with a single cell flushes."""
        start = 0
        for m in _SEPARATORS.finditer(text):
            i = m.start()
            ch = text[i]
            self._cell.append(text[start:i])
            start = i + 1
            ncells = self._terminate_cell(ch == "\t")
            if ch == "\n" or ch == "\f":
                self._lines.append([])
                if ch == "\f" or ncells == 1:
                    self._flush_internal()
        if start < len(text):
            self._cell.append(text[start:])

    def write_rows(self, rows: list[list[str]]) -> None:
        """Same as write() of the rows joined by tabs and newlines. When they form one
        uniform table (every row the same number of cells, at least two, no separator
        characters inside, nothing buffered: the everyday `get`) each column is a single
        block over all lines, so widths and output are computed directly, without
        building cells one by one."""
        ncells = len(rows[0]) if rows else 0
        if (ncells < 2 or self._cell or self._lines != [[]] or self.padchar != " "
                or self.flags & ~REMEMBER_WIDTHS or any(len(r) != ncells for r in rows)
                or _SEPARATORS.search("".join(c for r in rows for c in r))):
            self.write("".join("\t".join(row) + "\n" for row in rows))
            return
        widths = self._widths
        for column in range(ncells - 1):
            width = max(self.minwidth, max(len(r[column]) for r in rows) + self.padding)
            if self.flags & REMEMBER_WIDTHS:
                width = self._remember(width)
            widths.append(width)
        out = self._out
        for row in rows:
            out.extend(cell.ljust(width) for cell, width in zip(row, widths))
            out.append(row[-1])
            out.append("\n")
        self._widths = []

    def _terminate_cell(self, htab: bool) -> int:
        cell_text = "".join(self._cell)
        self._cell = []
        line = self._lines[-1]
        line.append((cell_text, len(cell_text), htab))
        return len(line)

    def flush(self) -> str:
        """Format everything buffered; return all output since the last flush()."""
        self._flush_internal()
        out = "".join(self._out)
        self._out = []
        return out

    def _flush_internal(self) -> None:
        if self._cell and any(self._cell):
            self._terminate_cell(False)
        self._cell = []
        self._format(0, len(self._lines))
        self._reset()

    # -- formatting (Go: Writer.format / Writer.writeLines) ----------------
    def _format(self, line0: int, line1: int) -> None:
        lines = self._lines
        widths = self._widths
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            # A cell exists in this column: print the lines above the block.
            self._write_lines(line0, this)
            line0 = this
            width = self.minwidth
            discardable = True
            while this < line1:
                line = lines[this]
                if column >= len(line) - 1:
                    break
                _text, cwidth, htab = line[column]
                if cwidth + self.padding > width:
                    width = cwidth + self.padding
                if cwidth > 0 or htab:
                    discardable = False
                this += 1
            if discardable and self.flags & DISCARD_EMPTY_COLUMNS:
                width = 0
            if self.flags & REMEMBER_WIDTHS:
                width = self._remember(width)
            widths.append(width)
            self._format(line0, this)
            widths.pop()
            line0 = this
            # Go's for-loop post statement increments `this` here too.
            this += 1
        self._write_lines(line0, line1)

    def _remember(self, width: int) -> int:
        maxw, widths = self._maxwidths, self._widths
        if len(maxw) < len(widths):
            maxw.extend(widths[len(maxw):])
        col = len(widths)
        if len(maxw) == col:
            maxw.append(width)
        elif maxw[col] > width:
            width = maxw[col]
        else:
            maxw[col] = width
        return width

    def _padding(self, textw: int, cellw: int, use_tabs: bool) -> str:
        if self.padchar == "\t" or use_tabs:
            if self.tabwidth == 0:
                return ""
            cellw = (cellw + self.tabwidth - 1) // self.tabwidth * self.tabwidth
            n = cellw - textw
            return "\t" * ((n + self.tabwidth - 1) // self.tabwidth)
        return self.padchar * (cellw - textw)

    def _write_lines(self, line0: int, line1: int) -> None:
        out = self._out
        widths = self._widths
        nwidths = len(widths)
        nlines = len(self._lines)
        align_right = self.flags & ALIGN_RIGHT
        for i in range(line0, line1):
            use_tabs = bool(self.flags & TAB_INDENT)
            for j, (text, width, _htab) in enumerate(self._lines[i]):
                if not text:
                    if j < nwidths:
                        out.append(self._padding(width, widths[j], use_tabs))
                    continue
                use_tabs = False
                if align_right:
                    if j < nwidths:
                        out.append(self._padding(width, widths[j], False))
                    out.append(text)
                else:
                    out.append(text)
                    if j < nwidths:
                        out.append(self._padding(width, widths[j], False))
            if i + 1 != nlines:
                out.append("\n")
            # The last buffered line has no newline; its incomplete cell was
            # terminated by the flush, so there is nothing left to write.


class TableWriter:
    """kubectl `get` layout (minwidth 6, tabwidth 4, padding 3, RememberWidths).

    Keep one instance for a whole `get -w` run: each `render` call reuses the
    widest widths seen so far. Call `reset_widths()` when a new resource type
    (new header) starts, as kubectl does with SetRememberedWidths(nil).
    """

    def __init__(self, minwidth: int = 6, tabwidth: int = 4, padding: int = 3) -> None:
        self._tw = TabWriter(minwidth, tabwidth, padding, " ", REMEMBER_WIDTHS)

    def render(self, rows: list[list[str]]) -> str:
        tw = self._tw
        tw.write_rows(rows)
        return tw.flush()

    def reset_widths(self) -> None:
        self._tw.remembered_widths = None

    @property
    def widths(self) -> list[int]:
        return self._tw.remembered_widths


def format_table(rows: list[list[str]], minwidth: int = 6, tabwidth: int = 4,
                 padding: int = 3) -> str:
    """Lay out rows like `kubectl get`: one line per row, each ending in "\\n"."""
    tw = TabWriter(minwidth, tabwidth, padding, " ", REMEMBER_WIDTHS)
    tw.write_rows(rows)
    return tw.flush()


def describe_writer() -> TabWriter:
    """The writer kubectl `describe` uses: tabwriter.Init(out, 0, 8, 2, ' ', 0)."""
    return TabWriter(0, 8, 2, " ", 0)
