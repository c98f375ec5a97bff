//! QR images made at run time for the tests: codes rendered by the `qrcode` crate, then
//! turned, scaled, blurred, speckled and saved as PNG or JPEG, the way screenshots and photos
//! of posters arrive. Nothing here decodes: the tool under test does.

use image::{GrayImage, ImageEncoder, Luma};
use qrcode::{EcLevel, QrCode, Version};

use crate::support::Rng;

/// A code holding `text`, `module` pixels per module, with the standard 4-module quiet zone,
/// black on white. `version` fixes the size (None: the smallest that fits).
pub fn code(text: &str, module: u32, version: Option<i16>, ec: EcLevel) -> GrayImage {
    let qr = match version {
        Some(v) => QrCode::with_version(text.as_bytes(), Version::Normal(v), ec),
        None => QrCode::with_error_correction_level(text.as_bytes(), ec),
    }
    .expect("the text fits the code");
    qr.render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(module, module)
        .build()
}

/// The QR version (1–40) the `qrcode` crate picks for `text` at `ec`.
pub fn version_of(text: &str, ec: EcLevel) -> i16 {
    match QrCode::with_error_correction_level(text.as_bytes(), ec)
        .expect("the text fits the code")
        .version()
    {
        Version::Normal(v) => v,
        Version::Micro(v) => -v,
    }
}

/// A canvas of `width`×`height` in `grey`.
pub fn canvas(width: u32, height: u32, grey: u8) -> GrayImage {
    GrayImage::from_pixel(width, height, Luma([grey]))
}

/// Copies `image` onto `canvas` with its top-left corner at (x, y), clipped to the canvas.
pub fn place(canvas: &mut GrayImage, image: &GrayImage, x: u32, y: u32) {
    for (px, py, p) in image.enumerate_pixels() {
        let (cx, cy) = (x + px, y + py);
        if cx < canvas.width() && cy < canvas.height() {
            canvas.put_pixel(cx, cy, *p);
        }
    }
}

/// `image` turned by `degrees` (counter-clockwise) about its centre, on a canvas large enough
/// to hold all of it, the corners filled with `background`; bilinear sampling.
pub fn rotate(image: &GrayImage, degrees: f64, background: u8) -> GrayImage {
    let (w, h) = (image.width() as f64, image.height() as f64);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let out_w = (w * cos.abs() + h * sin.abs()).ceil() as u32;
    let out_h = (w * sin.abs() + h * cos.abs()).ceil() as u32;
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (ox, oy) = (out_w as f64 / 2.0, out_h as f64 / 2.0);
    let sample = |x: f64, y: f64| -> f64 {
        if x < 0.0 || y < 0.0 || x > w - 1.0 || y > h - 1.0 {
            return background as f64;
        }
        let (x0, y0) = (x.floor() as u32, y.floor() as u32);
        let (x1, y1) = ((x0 + 1).min(image.width() - 1), (y0 + 1).min(image.height() - 1));
        let (fx, fy) = (x - x0 as f64, y - y0 as f64);
        let p = |x: u32, y: u32| image.get_pixel(x, y)[0] as f64;
        let top = p(x0, y0) * (1.0 - fx) + p(x1, y0) * fx;
        let bottom = p(x0, y1) * (1.0 - fx) + p(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    };
    GrayImage::from_fn(out_w, out_h, |x, y| {
        // the source pixel that lands here: the inverse rotation of (x, y) about the centres
        let (dx, dy) = (x as f64 + 0.5 - ox, y as f64 + 0.5 - oy);
        let sx = cos * dx - sin * dy + cx - 0.5;
        let sy = sin * dx + cos * dy + cy - 0.5;
        Luma([sample(sx, sy).round().clamp(0.0, 255.0) as u8])
    })
}

/// Salt-and-pepper noise: `per_mille` of the pixels set to black or white at random.
pub fn speckle(image: &mut GrayImage, per_mille: usize, rng: &mut Rng) {
    for p in image.pixels_mut() {
        if rng.below(1000) < per_mille {
            p[0] = if rng.below(2) == 0 { 0 } else { 255 };
        }
    }
}

/// Dark bars like lines of printed text, scattered over the canvas outside `keep` (x, y, w, h).
pub fn clutter(canvas: &mut GrayImage, keep: (u32, u32, u32, u32), rng: &mut Rng) {
    let (kx, ky, kw, kh) = keep;
    for _ in 0..120 {
        let (w, h) = (8 + rng.below(60) as u32, 4 + rng.below(6) as u32);
        let x = rng.below(canvas.width().saturating_sub(w) as usize) as u32;
        let y = rng.below(canvas.height().saturating_sub(h) as usize) as u32;
        let overlaps = x < kx + kw && kx < x + w && y < ky + kh && ky < y + h;
        if overlaps {
            continue;
        }
        let ink = 20 + rng.below(60) as u8;
        for yy in y..y + h {
            for xx in x..x + w {
                canvas.put_pixel(xx, yy, Luma([ink]));
            }
        }
    }
}

/// A photo of a poster: a grey page with text-like clutter, the code turned a little, the
/// whole scaled down to `scale`, blurred with `sigma`, saved as a JPEG of `quality`.
pub fn photo(text: &str, scale: f32, sigma: f32, quality: u8, rng: &mut Rng) -> Vec<u8> {
    let code = rotate(&code(text, 8, None, EcLevel::M), 6.0, 255);
    let mut page = canvas(code.width() * 2 + 200, code.height() + 360, 168);
    let (x, y) = (page.width() / 2 - code.width() / 3, 180);
    clutter(&mut page, (x, y, code.width(), code.height()), rng);
    place(&mut page, &code, x, y);
    let (w, h) = (
        (page.width() as f32 * scale) as u32,
        (page.height() as f32 * scale) as u32,
    );
    let small = image::imageops::resize(&page, w, h, image::imageops::FilterType::Triangle);
    let blurred = image::imageops::blur(&small, sigma);
    jpeg(&blurred, quality)
}

/// The image as PNG bytes.
pub fn png(image: &GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::L8,
        )
        .expect("PNG encodes");
    out
}

/// The image as JPEG bytes at `quality` (1–100).
pub fn jpeg(image: &GrayImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::L8,
        )
        .expect("JPEG encodes");
    out
}
