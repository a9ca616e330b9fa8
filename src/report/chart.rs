//! The trend chart: licenses consumed against purchased per run, the overage shaded, as a PNG
//! drawn by plotters with DejaVu Sans (`assets/fonts`, its licence beside it) registered once.
//! Drawn at twice the size it is shown (552 × 300 CSS px in the email), so it stays sharp.
//!
//! Pure: points in, PNG bytes out; no file, no system font (PNG text would otherwise fail with
//! `FontUnavailable`), no clock.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use plotters::prelude::*;

use crate::report::weekly::Point;

/// The PNG's size in pixels.
pub const WIDTH: u32 = 1104;
pub const HEIGHT: u32 = 600;
const FONT_NAME: &str = "seatwarden-sans";
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

const CONSUMED: RGBColor = RGBColor(31, 111, 235);
const PURCHASED: RGBColor = RGBColor(89, 99, 110);
const OVERAGE: RGBColor = RGBColor(207, 34, 46);

/// Why no chart could be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart's font (assets/fonts/DejaVuSans.ttf) cannot be loaded")]
    Font,
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    #[error("cannot encode the chart as PNG: {0}")]
    Encode(String),
}

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// Days since `t0`, the x coordinate.
fn days(t0: DateTime<Utc>, t: DateTime<Utc>) -> f64 {
    (t - t0).num_seconds() as f64 / 86_400.0
}

/// The axes' ranges: x in days (at least a week wide), y around the values with a margin.
fn ranges(points: &[Point]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let t0 = points[0].at;
    let last = days(t0, points[points.len() - 1].at);
    let pad = (last * 0.04).max(0.5);
    let x = if last < 7.0 {
        -pad..(7.0_f64).max(last + pad)
    } else {
        -pad..last + pad
    };
    let values = points
        .iter()
        .flat_map(|p| std::iter::once(p.consumed).chain(p.purchased));
    let (low, high) = values.fold((u64::MAX, 0), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (low, high) = (low as f64, high as f64);
    // Room above and below the lines, so a small overage stays visible; never below zero.
    let margin = ((high - low) * 0.35).max(high * 0.08).max(2.0);
    (x, (low - margin).max(0.0).floor()..(high + margin).ceil())
}

/// Draw the chart. An empty series draws an empty frame saying so.
pub fn png(points: &[Point]) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        if points.is_empty() {
            let style = (FONT_NAME, 30).into_font().color(&PURCHASED);
            root.draw_text("No stored runs in this window yet", &style, (40, 280))
                .map_err(draw_err)?;
        } else {
            draw(&root, points)?;
        }
        root.present().map_err(draw_err)?;
    }
    encode(rgb)
}

fn draw_err(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn draw(
    root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    points: &[Point],
) -> Result<(), ChartError> {
    let t0 = points[0].at;
    let (x_range, y_range) = ranges(points);
    let mut chart = ChartBuilder::on(root)
        .margin_top(56)
        .margin_right(28)
        .margin_left(12)
        .margin_bottom(8)
        .x_label_area_size(52)
        .y_label_area_size(84)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(RGBColor(234, 238, 242))
        .bold_line_style(RGBColor(216, 222, 228))
        .axis_style(RGBColor(140, 149, 159))
        .label_style((FONT_NAME, 24).into_font().color(&PURCHASED))
        .x_labels(7)
        .y_labels(6)
        .x_label_formatter(&|d| {
            (t0 + chrono::Duration::seconds((*d * 86_400.0) as i64))
                .format("%b %-d")
                .to_string()
        })
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(draw_err)?;

    let xy = |p: &Point, v: u64| (days(t0, p.at), v as f64);
    let with_purchase: Vec<&Point> = points.iter().filter(|p| p.purchased.is_some()).collect();
    // The overage: the band between purchased and consumed wherever consumed is above.
    let mut band: Vec<(f64, f64)> = with_purchase
        .iter()
        .map(|p| xy(p, p.consumed.max(p.purchased.unwrap_or(0))))
        .collect();
    band.extend(
        with_purchase
            .iter()
            .rev()
            .map(|p| xy(p, p.purchased.unwrap_or(0))),
    );
    if band.len() >= 4 {
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                OVERAGE.mix(0.22).filled(),
            )))
            .map_err(draw_err)?;
    }
    chart
        .draw_series(LineSeries::new(
            with_purchase
                .iter()
                .map(|p| xy(p, p.purchased.unwrap_or(0))),
            PURCHASED.stroke_width(3),
        ))
        .map_err(draw_err)?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| xy(p, p.consumed)),
            CONSUMED.stroke_width(5),
        ))
        .map_err(draw_err)?;
    chart
        .draw_series(
            points
                .iter()
                .map(|p| Circle::new(xy(p, p.consumed), 6, CONSUMED.filled())),
        )
        .map_err(draw_err)?;
    legend(root)
}

/// The key, above the plot: what each colour means.
fn legend(root: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>) -> Result<(), ChartError> {
    let text = (FONT_NAME, 26).into_font().color(&RGBColor(31, 35, 40));
    let items: [(&str, RGBColor, bool); 3] = [
        ("consumed", CONSUMED, false),
        ("purchased", PURCHASED, false),
        ("overage", OVERAGE, true),
    ];
    let mut x = 100;
    for (label, color, area) in items {
        if area {
            root.draw(&Rectangle::new(
                [(x, 14), (x + 36, 38)],
                color.mix(0.22).filled(),
            ))
            .map_err(draw_err)?;
        } else {
            root.draw(&Rectangle::new([(x, 23), (x + 36, 29)], color.filled()))
                .map_err(draw_err)?;
        }
        root.draw_text(label, &text, (x + 46, 12))
            .map_err(draw_err)?;
        x += 60 + 16 * label.len() as i32;
    }
    Ok(())
}

fn encode(rgb: Vec<u8>) -> Result<Vec<u8>, ChartError> {
    let img = image::RgbImage::from_raw(WIDTH, HEIGHT, rgb)
        .ok_or_else(|| ChartError::Encode("the pixel buffer has the wrong size".into()))?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageOutputFormat::Png)
        .map_err(|e| ChartError::Encode(e.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn point(day: u32, consumed: u64) -> Point {
        Point {
            at: Utc.with_ymd_and_hms(2026, 10, day, 5, 0, 0).unwrap(),
            consumed,
            purchased: Some(500),
        }
    }

    #[test]
    fn the_chart_is_a_png_of_its_size_with_overage_drawn_in_red() {
        let points: Vec<Point> = (0..12)
            .map(|i| point(1 + 2 * i, 480 + 7 * i as u64))
            .collect();
        let bytes = png(&points).unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_rgb8();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
        // The shaded band mixes red into white: some pixels are clearly reddish.
        let reddish = img
            .pixels()
            .filter(|p| p[0] > 230 && p[1] < 215 && p[2] < 215)
            .count();
        assert!(reddish > 500, "{reddish} reddish pixels");
    }

    #[test]
    fn no_overage_draws_no_red_band_and_no_points_still_draws() {
        let points: Vec<Point> = (0..4).map(|i| point(1 + 7 * i, 400)).collect();
        let img = image::load_from_memory(&png(&points).unwrap())
            .unwrap()
            .to_rgb8();
        let red_band = img
            .pixels()
            .filter(|p| p[0] > 230 && p[1] < 215 && p[2] < 215 && p[1] > 150)
            .count();
        // Only the legend's swatch (36 × 24 px) is that colour.
        assert!(red_band <= 36 * 25, "{red_band}");
        assert!(png(&[]).is_ok());
    }
}
