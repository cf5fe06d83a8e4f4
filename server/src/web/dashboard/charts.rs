//! Charts drawn on the server as SVG: no chart script, nothing the dashboard's CSP has to
//! allow. The picture is hidden from screen readers; the same numbers are a table beside it,
//! which they read instead.

use maud::{html, Markup};

/// One bar (or stack of bars) and its line in the table.
pub struct Row {
    /// Under the bar, when there is room (`30 Nov`).
    pub axis: String,
    /// The table's row header (`Week of 2026-11-30`).
    pub name: String,
    /// One per series, in the order of the chart's columns.
    pub values: Vec<u64>,
}

pub struct Chart<'a> {
    /// Prefix of the ids in the figure.
    pub id: &'a str,
    pub title: &'a str,
    /// The table's column headers: what the rows are, then each series.
    pub columns: &'a [&'a str],
    pub rows: Vec<Row>,
}

/// Drawing units; the picture scales to its box.
const WIDTH: u32 = 360;
const COLUMN_HEIGHT: u32 = 150;
const AXIS_LEFT: u32 = 30;
const AXIS_BOTTOM: u32 = 18;
const TOP: u32 = 8;
/// About how wide a character of the axis labels is.
const CHAR_WIDTH: u32 = 6;

/// Bars standing up, one per row, the series stacked (days, weeks).
pub fn columns(chart: &Chart<'_>) -> Markup {
    let totals: Vec<u64> = chart.rows.iter().map(|row| row.values.iter().sum()).collect();
    let top = nice_ceiling(totals.iter().copied().max().unwrap_or(0));
    let plot_height = COLUMN_HEIGHT - AXIS_BOTTOM - TOP;
    let band = f64::from(WIDTH - AXIS_LEFT) / chart.rows.len().max(1) as f64;
    let bar = band * 0.7;
    // Every n-th label, so the axis never overlaps itself.
    let widest = chart.rows.iter().map(|row| row.axis.chars().count()).max().unwrap_or(1) as f64;
    let label_every = ((widest * f64::from(CHAR_WIDTH) + 4.0) / band).ceil().max(1.0) as usize;
    let y = |value: u64| f64::from(TOP) + f64::from(plot_height) * (1.0 - value as f64 / top as f64);
    html! {
        figure.chart id=(chart.id) {
            figcaption id=(format!("{}-title", chart.id)) { (chart.title) }
            svg viewBox=(format!("0 0 {WIDTH} {COLUMN_HEIGHT}")) aria-hidden="true" focusable="false" {
                @for mark in [0, top / 2, top] {
                    line.grid x1=(AXIS_LEFT) x2=(WIDTH) y1=(fmt(y(mark))) y2=(fmt(y(mark))) {}
                    text.axis x=(AXIS_LEFT - 4) y=(fmt(y(mark) + 4.0)) text-anchor="end" { (compact(mark)) }
                }
                @for (index, row) in chart.rows.iter().enumerate() {
                    @let left = f64::from(AXIS_LEFT) + band * index as f64 + (band - bar) / 2.0;
                    @let stacks = stacked(&row.values);
                    @for (series, (below, value)) in stacks.into_iter().enumerate() {
                        @if value > 0 {
                            // At least a line, so a small number beside a big one still shows.
                            @let height = (y(below) - y(below + value)).max(1.0);
                            rect class=(format!("bar s{series}")) x=(fmt(left)) y=(fmt(y(below) - height))
                                width=(fmt(bar)) height=(fmt(height)) {
                                title { (row.name) ": " (value) }
                            }
                        }
                    }
                    @if index % label_every == 0 {
                        text.axis x=(fmt(left + bar / 2.0)) y=(COLUMN_HEIGHT - 4) text-anchor="middle" { (row.axis) }
                    }
                }
            }
            (legend(chart))
            (table(chart))
        }
    }
}

/// Bars lying down with their number after them, one series (ratings, a funnel).
pub fn bars(chart: &Chart<'_>) -> Markup {
    const ROW: u32 = 24;
    const LABEL: u32 = 96;
    const NUMBER: u32 = 56;
    let height = ROW * u32::try_from(chart.rows.len()).unwrap_or(0) + 4;
    let top = chart.rows.iter().filter_map(|row| row.values.first().copied()).max().unwrap_or(0).max(1);
    let room = f64::from(WIDTH - LABEL - NUMBER);
    html! {
        figure.chart id=(chart.id) {
            figcaption id=(format!("{}-title", chart.id)) { (chart.title) }
            svg viewBox=(format!("0 0 {WIDTH} {height}")) aria-hidden="true" focusable="false" {
                @for (index, row) in chart.rows.iter().enumerate() {
                    @let value = row.values.first().copied().unwrap_or(0);
                    @let y = ROW * u32::try_from(index).unwrap_or(0) + 2;
                    @let length = room * value as f64 / top as f64;
                    text.axis x=(LABEL - 6) y=(y + 15) text-anchor="end" { (row.axis) }
                    rect.track x=(LABEL) y=(y + 3) width=(fmt(room)) height="16" {}
                    @if value > 0 {
                        rect class="bar s0" x=(LABEL) y=(y + 3) width=(fmt(length.max(1.0))) height="16" {
                            title { (row.name) ": " (value) }
                        }
                    }
                    text.value x=(fmt(f64::from(LABEL) + room + 6.0)) y=(y + 15) { (value) }
                }
            }
            (table(chart))
        }
    }
}

fn legend(chart: &Chart<'_>) -> Markup {
    html! {
        @if chart.columns.len() > 2 {
            ul.legend aria-hidden="true" {
                @for (series, name) in chart.columns.iter().skip(1).enumerate() {
                    li { span class=(format!("swatch s{series}")) {} (name) }
                }
            }
        }
    }
}

fn table(chart: &Chart<'_>) -> Markup {
    html! {
        table.visually-hidden aria-labelledby=(format!("{}-title", chart.id)) {
            thead { tr { @for column in chart.columns { th scope="col" { (column) } } } }
            tbody {
                @for row in &chart.rows {
                    tr {
                        th scope="row" { (row.name) }
                        @for value in &row.values { td { (value) } }
                    }
                }
            }
        }
    }
}

/// Each series' base and height in a stack.
fn stacked(values: &[u64]) -> Vec<(u64, u64)> {
    let mut below = 0;
    values
        .iter()
        .map(|value| {
            let stack = (below, *value);
            below += value;
            stack
        })
        .collect()
}

/// The smallest of 2, 4, 10, 20, 40, 100… at or above `max`: the top of the axis, whose half
/// is a round number too.
fn nice_ceiling(max: u64) -> u64 {
    let mut step: u64 = 1;
    loop {
        for factor in [2, 4, 10] {
            match step.checked_mul(factor) {
                Some(top) if top >= max => return top,
                Some(_) => {}
                None => return max,
            }
        }
        step = step.saturating_mul(10);
    }
}

/// An axis label that fits its margin: `950`, `1.5k`, `40k`, `2M`.
fn compact(value: u64) -> String {
    let short = |value: u64, unit: u64, suffix: &str| {
        let tenths = value / (unit / 10);
        if tenths.is_multiple_of(10) || tenths >= 100 {
            format!("{}{suffix}", tenths / 10)
        } else {
            format!("{}.{}{suffix}", tenths / 10, tenths % 10)
        }
    };
    match value {
        0..=999 => value.to_string(),
        1_000..=999_999 => short(value, 1_000, "k"),
        _ => short(value, 1_000_000, "M"),
    }
}

/// One decimal is plenty for a picture a few hundred units wide.
fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_round_even_number() {
        assert_eq!(nice_ceiling(0), 2);
        assert_eq!(nice_ceiling(3), 4);
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(37), 40);
        assert_eq!(nice_ceiling(41), 100);
        assert_eq!(nice_ceiling(1500), 2000);
        assert_eq!(nice_ceiling(u64::MAX), u64::MAX);
        assert_eq!(compact(40), "40");
        assert_eq!(compact(1_500), "1.5k");
        assert_eq!(compact(40_000), "40k");
        assert_eq!(compact(100_000), "100k");
        assert_eq!(compact(2_000_000), "2M");
        assert_eq!(compact(u64::MAX), "18446744073709M");
    }

    #[test]
    fn charts_carry_their_numbers_as_a_table_and_draw_a_bar_per_value() {
        let chart = Chart {
            id: "reach",
            title: "Reach",
            columns: &["Day", "Widget", "Fragments"],
            rows: vec![
                Row { axis: "1 Dec".into(), name: "2026-12-01".into(), values: vec![3, 0] },
                Row { axis: "2 Dec".into(), name: "2026-12-02".into(), values: vec![5, 2] },
            ],
        };
        let html = columns(&chart).into_string();
        assert_eq!(html.matches("<rect class=\"bar").count(), 3, "no bar for a zero: {html}");
        assert!(html.contains("<th scope=\"row\">2026-12-02</th><td>5</td><td>2</td>"), "{html}");
        assert!(html.contains("aria-hidden=\"true\""));
        let funnel = bars(&Chart { id: "f", title: "Funnel", columns: &["Step", "Count"], rows: chart.rows });
        assert!(funnel.into_string().contains("<text class=\"value\""));
    }
}
