//! Go's `text/tabwriter`, as podman's `report.NewWriterDefault` sets it up (minimum cell width
//! 12, padding 2, pad with spaces, no flags): what aligns the columns of `table` output.
//!
//! The model (Go's): text is lines of cells; a cell is *tab-terminated* or the last of its
//! line. A column is a run of adjacent lines that all have a tab-terminated cell at that index;
//! each such run is sized on its own: the widest cell (in characters) plus the padding, and at
//! least the minimum width. The last cell of a line is never padded, and a line without tabs
//! ends every column above it.

/// podman's settings for `table` output.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Minimum width of a cell, padding included.
    pub min_width: usize,
    /// Spaces after the widest cell of a column.
    pub padding: usize,
}

/// `report.NewWriterDefault`: `tabwriter.NewWriter(w, 12, 2, 2, ' ', 0)`.
pub const PODMAN: Settings = Settings {
    min_width: 12,
    padding: 2,
};

/// Aligns `text`'s tab-separated cells into columns.
#[must_use]
pub fn align(text: &str, settings: Settings) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut widths = Vec::new();
    format(&lines, 0, lines.len(), &mut widths, settings, &mut out);
    out
}

fn cell_width(cell: &str) -> usize {
    cell.chars().count()
}

/// Go's `(*Writer).format`: sizes the column at `widths.len()` block by block, recursing for
/// the columns to its right, and writes lines whose cells are all sized.
fn format(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    s: Settings,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        // A column block starts here: write the lines before it.
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = s.min_width;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(cell_width(lines[this][column]) + s.padding);
            this += 1;
        }
        widths.push(width);
        format(lines, line0, this, widths, s, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for (i, line) in lines.iter().enumerate().take(to).skip(from) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < widths.len() && j + 1 < line.len() {
                let pad = widths[j].saturating_sub(cell_width(cell));
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        // The last line is the text after the final newline: it gets no newline.
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_pad_to_the_widest_plus_two_and_at_least_twelve() {
        let t = "REPOSITORY\tTAG\tID\nlocalhost/tinyverylongname\tlatest\tabc\n";
        assert_eq!(
            align(t, PODMAN),
            "REPOSITORY                  TAG         ID\n\
             localhost/tinyverylongname  latest      abc\n"
        );
    }

    #[test]
    fn the_last_cell_of_a_line_is_not_padded() {
        assert_eq!(align("a\tb\n", PODMAN), "a           b\n");
    }

    #[test]
    fn a_line_without_tabs_ends_the_columns_above_it() {
        let t = "aaaaaaaaaaaaaaaaaaaa\tb\nno tabs\nc\td\n";
        assert_eq!(
            align(t, PODMAN),
            "aaaaaaaaaaaaaaaaaaaa  b\nno tabs\nc           d\n"
        );
    }

    #[test]
    fn widths_count_characters_not_bytes() {
        assert_eq!(align("é\tx\n", PODMAN), "é           x\n");
    }

    #[test]
    fn a_column_block_is_sized_on_its_own_lines() {
        // Line 2 has no second tab-terminated cell, so column 1 of line 1 and 3 are two blocks.
        let t = "a\tbbbbbbbbbbbbbbbbbb\tc\nd\te\nf\tg\th\n";
        assert_eq!(
            align(t, PODMAN),
            "a           bbbbbbbbbbbbbbbbbb  c\nd           e\nf           g           h\n"
        );
    }
}
