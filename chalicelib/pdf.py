"""Branded invoice and statement PDFs, drawn with fpdf2.

fpdf2 (and Pillow, fontTools under it) is imported inside the functions that
draw, never at module import: `import app` stays light and only a request that
renders a PDF pays for it (bench/pdf.py measures both).  The input is the plain
`document` dict built in `services/documents.py`, whose hash names the stored
object; nothing here reads DynamoDB or S3.

The core Helvetica font covers Latin-1 only; other characters are mapped to
near equivalents or "?" rather than failing (a bundled TTF would cost ~1 MB and
a slower render).
"""

import functools
import io
from collections.abc import Sequence

from .colors import text_on
from .templating import money

MARGIN = 12  # mm, Letter paper
ROW = 5.2  # mm per text line in tables
GREY = (90, 90, 90)
PUNCTUATION = str.maketrans(
    {
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u2022": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)


def _t(value) -> str:
    text = str(value if value is not None else "").translate(PUNCTUATION)
    return text.encode("latin-1", "replace").decode("latin-1")


def _rgb(hex_color: str):
    value = (hex_color or "#1f4e79").lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    try:
        return tuple(int(value[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return (31, 78, 121)


@functools.lru_cache(maxsize=1)
def _document_class():
    from fpdf import FPDF  # deferred: keeps fpdf2 off the cold-start path

    class Document(FPDF):
        def __init__(self, document: dict, logo: bytes | None):
            super().__init__(orientation="P", unit="mm", format="Letter")
            self.brand = document["company"]
            self.title_text = _t(document["title"])
            self.logo = logo
            self.color = _rgb(self.brand["color"])
            self.on_color = _rgb(text_on(self.brand["color"] or "#1f4e79"))
            self.set_margins(MARGIN, MARGIN, MARGIN)
            self.set_auto_page_break(auto=True, margin=18)
            self.set_title(f"{self.title_text} - {_t(self.brand['name'])}")
            self.set_author(_t(self.brand["name"]))
            self.set_creator("Dealer Portal")

        def header(self):
            x = MARGIN
            if self.logo:
                try:
                    info = self.image(io.BytesIO(self.logo), x=MARGIN, y=9, w=60, h=14, keep_aspect_ratio=True)
                    x = MARGIN + info.rendered_width + 4
                except Exception:  # a logo that cannot be drawn is left out, never a failure
                    self.logo = None
            self.set_xy(x, 10)
            self.set_font("Helvetica", "B", 14)
            self.set_text_color(*self.color)
            self.cell(110, 7, _t(self.brand["name"]))
            self.set_xy(MARGIN, 10)
            self.cell(self.epw, 7, self.title_text, align="R")
            contact = " - ".join(_t(v) for v in (self.brand.get("phone"), self.brand.get("email")) if v)
            self.set_xy(x, 17)
            self.set_font("Helvetica", "", 8.5)
            self.set_text_color(*GREY)
            self.cell(110, 5, contact)
            self.set_draw_color(*self.color)
            self.set_line_width(0.6)
            self.line(MARGIN, 25, self.w - MARGIN, 25)
            self.set_text_color(0, 0, 0)
            self.set_xy(MARGIN, 29)

        def footer(self):
            self.set_y(-13)
            self.set_font("Helvetica", "", 8)
            self.set_text_color(*GREY)
            self.cell(self.epw / 2, 5, f"{self.title_text} - {_t(self.brand['name'])}")
            self.cell(self.epw / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")

        def amount(self, cents) -> str:
            return _t(money(cents, self.brand.get("currency") or "USD"))

        def fit(self, text: str, width: float) -> str:
            if self.get_string_width(text) <= width:
                return text
            while text and self.get_string_width(text + "...") > width:
                text = text[:-1]
            return text + "..."

        def wrap(self, text: str, width: float) -> list[str]:
            """Greedy word wrap (fpdf2's multi_cell dry run is ~10 times slower per row)."""
            width -= 2 * self.c_margin
            if self.get_string_width(text) <= width:
                return [text]
            lines, current = [], ""
            for word in text.split():
                candidate = f"{current} {word}" if current else word
                if current and self.get_string_width(candidate) > width:
                    lines.append(current)
                    candidate = word
                current = self.fit(candidate, width) if self.get_string_width(candidate) > width else candidate
            return lines + [current] if current else lines or [""]

        def heading(self, text: str):
            if self.will_page_break(14):
                self.add_page()
            self.ln(3)
            self.set_font("Helvetica", "B", 11)
            self.set_text_color(*self.color)
            self.cell(self.epw, 7, _t(text), new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)

        def facts(self, facts: Sequence[Sequence[str]], columns: int = 2):
            width = self.epw / columns
            label_width = 26 if columns > 1 else 36
            for start in range(0, len(facts), columns):
                for label, value in facts[start : start + columns]:
                    self.set_font("Helvetica", "B", 9)
                    self.cell(label_width, ROW, _t(label))
                    self.set_font("Helvetica", "", 9)
                    self.cell(width - label_width, ROW, self.fit(_t(value), width - label_width - 2))
                self.ln(ROW)

        def table(
            self,
            columns: Sequence[str],
            widths: list[float],
            aligns: str,
            rows: Sequence[Sequence[str]],
            wrap: int = -1,
        ):
            """Rows that break across pages with the heading repeated; column `wrap` wraps."""

            def heading_row():
                self.set_font("Helvetica", "B", 8.5)
                self.set_fill_color(*self.color)
                self.set_text_color(*self.on_color)
                for name, width, align in zip(columns, widths, aligns, strict=False):
                    self.cell(width, ROW + 1, _t(name), fill=True, align=align)
                self.ln(ROW + 1)
                self.set_text_color(0, 0, 0)
                self.set_font("Helvetica", "", 8.5)

            heading_row()
            self.set_draw_color(210, 210, 210)
            self.set_line_width(0.2)
            for row in rows:
                cells = [_t(value) for value in row]
                lines = self.wrap(cells[wrap], widths[wrap]) if wrap >= 0 else [""]
                height = ROW * max(len(lines), 1)
                if self.will_page_break(height):
                    self.add_page()
                    heading_row()
                top = self.get_y()
                x = self.l_margin
                for index, (text, width, align) in enumerate(zip(cells, widths, aligns, strict=False)):
                    self.set_xy(x, top)
                    if index == wrap:
                        for number, line in enumerate(lines):
                            self.set_xy(x, top + number * ROW)
                            self.cell(width, ROW, line)
                    else:
                        self.cell(width, ROW, text, align=align)
                    x += width
                self.set_xy(self.l_margin, top + height)
                self.line(self.l_margin, top + height, self.l_margin + sum(widths), top + height)

        def amounts(self, rows: Sequence[Sequence], bold_last: bool = True):
            """Label / amount pairs, right-aligned (totals, summary)."""
            for index, (label, cents) in enumerate(rows):
                last = bold_last and index == len(rows) - 1
                if self.will_page_break(ROW + 1):
                    self.add_page()
                self.set_font("Helvetica", "B" if last else "", 10 if last else 9)
                self.set_x(self.l_margin + self.epw - 110)
                self.cell(75, ROW + (1 if last else 0), _t(label), align="R")
                self.cell(35, ROW + (1 if last else 0), self.amount(cents), align="R", new_x="LMARGIN", new_y="NEXT")

        def to_bytes(self) -> bytes:
            return bytes(self.output())

    return Document


def render_invoice(document: dict, logo: bytes | None = None) -> bytes:
    pdf = _document_class()(document, logo)
    pdf.add_page()
    pdf.facts(document["facts"])
    pdf.heading("Lines")
    fixed = [26, 15, 16, 23, 21, 24]
    widths = [fixed[0], pdf.epw - sum(fixed)] + fixed[1:]
    rows = [
        [part, description, str(ordered), str(shipped), str(backordered), pdf.amount(price), pdf.amount(extension)]
        for part, description, ordered, shipped, backordered, price, extension in document["lines"]
    ]
    if rows:
        pdf.table(
            ["Part", "Description", "Ordered", "Shipped", "Back-ordered", "Price", "Extension"],
            widths,
            "LLRRRRR",
            rows,
            wrap=1,
        )
    else:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(pdf.epw, ROW, "This invoice has no lines.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.amounts(
        [["Subtotal", document["subtotal"]], ["Tax", document["tax"]], ["Total", document["total"]]]
        + [[label, -cents] for label, cents in document["payments"]]
        + [["Balance due", document["balance"]]]
    )
    return pdf.to_bytes()


def render_statement(document: dict, logo: bytes | None = None) -> bytes:
    pdf = _document_class()(document, logo)
    pdf.add_page()
    pdf.facts(document["facts"], columns=1)
    pdf.heading("Summary")
    pdf.amounts(document["summary"])
    if document["paid_since"]:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(
            pdf.epw,
            ROW,
            f"Paid online since the statement date: {pdf.amount(document['paid_since'])}",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.heading("Aging")
    width = pdf.epw / len(document["aging"])
    pdf.table(
        [label for label, _ in document["aging"]],
        [width] * len(document["aging"]),
        "R" * len(document["aging"]),
        [[pdf.amount(cents) for _, cents in document["aging"]]],
    )
    pdf.heading("Open items")
    if document["open_items"]:
        pdf.table(
            ["Invoice", "Date", "Due", "Days past due", "Balance"],
            [40, 38, 38, 36, pdf.epw - 152],
            "LLLRR",
            [[no, day, due, str(late), pdf.amount(cents)] for no, day, due, late, cents in document["open_items"]],
        )
    else:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(pdf.epw, ROW, "No open items.", new_x="LMARGIN", new_y="NEXT")
    pdf.heading("Activity since the previous statement")
    if document["activity"]:
        pdf.table(
            ["Date", "Description", "Reference", "Amount"],
            [30, 50, pdf.epw - 115, 35],
            "LLLR",
            [[day, label, reference, pdf.amount(cents)] for day, label, reference, cents in document["activity"]],
            wrap=2,
        )
    else:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(pdf.epw, ROW, "No activity in this period.", new_x="LMARGIN", new_y="NEXT")
    if not document["complete"]:
        pdf.ln(2)
        pdf.set_font("Helvetica", "I", 8.5)
        pdf.multi_cell(
            pdf.epw, ROW, "This account has more activity than one statement lists; ask us for a complete statement."
        )
    return pdf.to_bytes()
