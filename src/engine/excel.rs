//! `<convert-output-xml-to-excel input-decimal-separator="dot|comma|magic"/>`: the HTML tables of a transformer's
//! output become one XLSX sheet, following the reference's rules: number cells when the text looks like a number
//! (decimals shown as given), `excel-type="text"` forces text, `colspan`, bold / centred / top border / green, red
//! and orange text, `thead` rows first and `tfoot` rows last, nested tables and `<script>` ignored, rows without
//! text skipped, column widths from the content.

use roxmltree::Node;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};

use super::failure::Failure;
use crate::config::model::data_source::DecimalSeparator;

/// The MIME type of what this produces.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A number as written in a cell: its value and how many decimals it showed.
fn parse_number(text: &str, sep: DecimalSeparator) -> Option<(f64, usize)> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '\''))
    {
        return None;
    }
    if !body.starts_with(|c: char| c.is_ascii_digit())
        || !body.ends_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let decimal = match sep {
        DecimalSeparator::Dot => {
            if body.contains('\'') {
                return None;
            }
            Some('.')
        }
        DecimalSeparator::Comma => {
            if body.contains('\'') {
                return None;
            }
            Some(',')
        }
        DecimalSeparator::Magic => {
            // The last separator is the decimal one when exactly two digits follow it.
            match body.rfind(['.', ',', '\'']) {
                Some(i) if body.len() - i - 1 == 2 && body.as_bytes()[i] != b'\'' => {
                    Some(body.as_bytes()[i] as char)
                }
                _ => None,
            }
        }
    };
    let (int_part, frac_part) = match decimal.and_then(|d| body.rfind(d).map(|i| (d, i))) {
        Some((_, i)) => (&body[..i], &body[i + 1..]),
        None => (body, ""),
    };
    // What is left of the decimal separator may only hold digits and thousands separators in groups of three.
    let groups: Vec<&str> = int_part.split(['.', ',', '\'']).collect();
    if groups.len() > 1
        && (groups[0].is_empty() || groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3))
    {
        return None;
    }
    if frac_part.contains(['.', ',', '\'']) {
        return None;
    }
    if matches!(sep, DecimalSeparator::Dot) && int_part.contains('.')
        || matches!(sep, DecimalSeparator::Comma) && int_part.contains(',')
    {
        return None;
    }
    let digits: String = groups.concat();
    let s = if frac_part.is_empty() {
        digits
    } else {
        format!("{digits}.{frac_part}")
    };
    let v: f64 = s.parse().ok()?;
    Some((if neg { -v } else { v }, frac_part.len()))
}

/// The text of a cell: every descendant text except inside `<script>` and nested tables, white space collapsed.
fn cell_text(node: Node) -> String {
    fn walk(n: Node, out: &mut String) {
        for c in n.children() {
            if c.is_text() {
                out.push_str(c.text().unwrap_or(""));
            } else if c.is_element() && !matches!(c.tag_name().name(), "script" | "table") {
                walk(c, out);
            }
        }
    }
    let mut s = String::new();
    walk(node, &mut s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Cell {
    text: String,
    number: Option<(f64, usize)>,
    colspan: u16,
    bold: bool,
    center: bool,
    border_top: bool,
    color: Option<Color>,
}

fn style(node: Node) -> (bool, bool, bool, Option<Color>) {
    let style = node.attribute("style").unwrap_or("").to_ascii_lowercase();
    let mut bold = false;
    let mut center = false;
    let mut border = false;
    let mut color = None;
    for decl in style.split(';') {
        let Some((k, v)) = decl.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "font-weight" if v == "bold" => bold = true,
            "text-align" if v == "center" => center = true,
            "border-top" => border = true,
            "color" => {
                color = match v {
                    "green" => Some(Color::RGB(0x008000)),
                    "red" => Some(Color::RGB(0xFF0000)),
                    "orange" => Some(Color::RGB(0xFFA500)),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    (bold, center, border, color)
}

/// The rows of the outermost tables, `thead` rows first and `tfoot` rows last within each table.
fn rows<'a, 'i>(root: Node<'a, 'i>) -> Vec<Node<'a, 'i>> {
    fn tables<'a, 'i>(n: Node<'a, 'i>, out: &mut Vec<Node<'a, 'i>>) {
        for c in n.children().filter(|c| c.is_element()) {
            if c.tag_name().name() == "table" {
                out.push(c); // tables inside it are not searched
            } else if c.tag_name().name() != "script" {
                tables(c, out);
            }
        }
    }
    let mut found = Vec::new();
    tables(root, &mut found);
    let mut out = Vec::new();
    for t in found {
        let (mut head, mut body, mut foot) = (Vec::new(), Vec::new(), Vec::new());
        for c in t.children().filter(|c| c.is_element()) {
            match c.tag_name().name() {
                "tr" => body.push(c),
                "thead" => head.extend(
                    c.children()
                        .filter(|r| r.is_element() && r.tag_name().name() == "tr"),
                ),
                "tbody" => body.extend(
                    c.children()
                        .filter(|r| r.is_element() && r.tag_name().name() == "tr"),
                ),
                "tfoot" => foot.extend(
                    c.children()
                        .filter(|r| r.is_element() && r.tag_name().name() == "tr"),
                ),
                _ => {}
            }
        }
        out.extend(head);
        out.extend(body);
        out.extend(foot);
    }
    out
}

/// Converts the transformer's (X)HTML output to XLSX bytes.
pub fn html_to_xlsx(html: &[u8], sep: DecimalSeparator) -> Result<Vec<u8>, Failure> {
    let doc = crate::xslt::Document::parse_html(html)
        .map_err(|e| Failure::hidden(format!("Excel: the HTML cannot be read: {e}")))?;
    let xml = String::from_utf8(doc.root_to_xml())
        .map_err(|_| Failure::hidden("Excel: the HTML is not UTF-8"))?;
    let tree =
        roxmltree::Document::parse(&xml).map_err(|e| Failure::hidden(format!("Excel: {e}")))?;
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let mut widths: Vec<usize> = Vec::new();
    let mut r: u32 = 0;
    for row in rows(tree.root_element()) {
        let cells: Vec<Cell> = row
            .children()
            .filter(|c| c.is_element() && matches!(c.tag_name().name(), "td" | "th"))
            .map(|c| {
                let text = cell_text(c);
                let forced_text = c.attribute("excel-type") == Some("text");
                let (bold, center, border_top, color) = style(c);
                Cell {
                    number: if forced_text {
                        None
                    } else {
                        parse_number(&text, sep)
                    },
                    text,
                    colspan: c
                        .attribute("colspan")
                        .and_then(|v| v.trim().parse().ok())
                        .filter(|n| *n >= 1)
                        .unwrap_or(1),
                    bold,
                    center,
                    border_top,
                    color,
                }
            })
            .collect();
        if cells.iter().all(|c| c.text.is_empty()) {
            continue;
        }
        let mut col: u16 = 0;
        for cell in cells {
            let mut f = Format::new();
            if cell.bold {
                f = f.set_bold();
            }
            if cell.center {
                f = f.set_align(FormatAlign::Center);
            }
            if cell.border_top {
                f = f.set_border_top(FormatBorder::Thin);
            }
            if let Some(c) = cell.color {
                f = f.set_font_color(c);
            }
            if let Some((_, decimals)) = cell.number {
                f = f.set_num_format(if decimals == 0 {
                    "0".to_string()
                } else {
                    format!("0.{}", "0".repeat(decimals))
                });
            }
            let last = col + cell.colspan - 1;
            let xl = |e: rust_xlsxwriter::XlsxError| Failure::hidden(format!("Excel: {e}"));
            if cell.colspan > 1 {
                sheet.merge_range(r, col, r, last, "", &f).map_err(xl)?;
            }
            match cell.number {
                Some((v, _)) => sheet.write_number_with_format(r, col, v, &f).map_err(xl)?,
                None => sheet
                    .write_string_with_format(r, col, &cell.text, &f)
                    .map_err(xl)?,
            };
            if cell.colspan == 1 {
                let i = usize::from(col);
                if widths.len() <= i {
                    widths.resize(i + 1, 0);
                }
                widths[i] = widths[i].max(cell.text.chars().count());
            }
            col = last + 1;
        }
        r += 1;
    }
    for (i, w) in widths.iter().enumerate() {
        sheet
            .set_column_width(i as u16, (*w as f64 + 2.0).clamp(6.0, 80.0))
            .map_err(|e| Failure::hidden(format!("Excel: {e}")))?;
    }
    workbook
        .save_to_buffer()
        .map_err(|e| Failure::hidden(format!("Excel: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_separator() {
        use DecimalSeparator::*;
        assert_eq!(parse_number("12.20", Dot), Some((12.2, 2)));
        assert_eq!(parse_number("1,234.5", Dot), Some((1234.5, 1)));
        assert_eq!(parse_number("-7", Dot), Some((-7.0, 0)));
        assert_eq!(parse_number("1.234,56", Comma), Some((1234.56, 2)));
        assert_eq!(parse_number("12,3", Comma), Some((12.3, 1)));
        assert_eq!(parse_number("1,024", Magic), Some((1024.0, 0)));
        assert_eq!(parse_number("12,34", Magic), Some((12.34, 2)));
        assert_eq!(parse_number("1'234.45", Magic), Some((1234.45, 2)));
        assert_eq!(parse_number("1.234.567,89", Magic), Some((1234567.89, 2)));
        for not in [
            "", "abc", "12a", "1.2.3", "1,23,4", ".5", "5.", "1 000", "--1", "1.234,56",
        ] {
            assert_eq!(parse_number(not, Dot), None, "{not}");
        }
    }
}
