//! What a file is, from its bytes: the images and videos a post may carry, by their signatures
//! (the WHATWG MIME Sniffing patterns for images, ISO BMFF `ftyp` brands and the EBML header for
//! video). The declared type and the file name are not believed: a `text/html` or SVG page named
//! `cat.png` would otherwise be served back as whatever it claimed, script and all.

/// A kind of media this project stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The MIME type it is stored and served with.
    pub content_type: &'static str,
    /// Its usual file extension: the `media_type` of the original.
    pub extension: &'static str,
}

const fn kind(content_type: &'static str, extension: &'static str) -> Kind {
    Kind {
        content_type,
        extension,
    }
}

const PNG: Kind = kind("image/png", "png");
const JPEG: Kind = kind("image/jpeg", "jpg");
const GIF: Kind = kind("image/gif", "gif");
const WEBP: Kind = kind("image/webp", "webp");
const BMP: Kind = kind("image/bmp", "bmp");
const AVIF: Kind = kind("image/avif", "avif");
const MP4: Kind = kind("video/mp4", "mp4");
const QUICKTIME: Kind = kind("video/quicktime", "mov");
const WEBM: Kind = kind("video/webm", "webm");

/// What the kinds are, for error messages.
pub const KNOWN: &str = "PNG, JPEG, GIF, WebP, BMP, AVIF, MP4, QuickTime or WebM";

/// The kind of media `bytes` hold, if they are one this project stores.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let starts = |prefix: &[u8]| bytes.starts_with(prefix);
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if starts(b"\xff\xd8\xff") {
        return Some(JPEG);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(GIF);
    }
    if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return Some(WEBP);
    }
    if starts(b"BM") && bytes.len() >= 14 {
        return Some(BMP);
    }
    if starts(b"\x1a\x45\xdf\xa3") {
        return Some(WEBM);
    }
    // ISO base media: a box `size | "ftyp" | major brand`.
    if bytes.get(4..8) == Some(b"ftyp") {
        return match bytes.get(8..12)? {
            b"avif" | b"avis" => Some(AVIF),
            b"qt  " => Some(QUICKTIME),
            b"isom" | b"iso2" | b"mp41" | b"mp42" | b"avc1" | b"M4V " | b"dash" | b"3gp4"
            | b"3gp5" => Some(MP4),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_and_videos_are_known_by_their_bytes() {
        let cases: [(&[u8], &str); 9] = [
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "image/png"),
            (b"\xff\xd8\xff\xe0\0\x10JFIF", "image/jpeg"),
            (b"GIF89a\x01\0\x01\0", "image/gif"),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "image/webp"),
            (b"BM\x36\0\0\0\0\0\0\0\x36\0\0\0", "image/bmp"),
            (b"\0\0\0\x1cftypavif\0\0\0\0", "image/avif"),
            (b"\0\0\0\x18ftypmp42\0\0\0\0", "video/mp4"),
            (b"\0\0\0\x14ftypqt  \0\0\0\0", "video/quicktime"),
            (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "video/webm"),
        ];
        for (bytes, content_type) in cases {
            assert_eq!(sniff(bytes).map(|k| k.content_type), Some(content_type));
        }
    }

    #[test]
    fn pages_scripts_and_fragments_are_no_media() {
        for bytes in [
            &b"<html><script>alert(1)</script>"[..],
            b"<?xml version=\"1.0\"?><svg onload=\"alert(1)\"/>",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
            b"%PDF-1.7",
            b"\x89PN",
            b"",
            b"RIFF\0\0\0\0WAVE",
            b"\0\0\0\x18ftypheic",
        ] {
            assert_eq!(sniff(bytes), None, "{bytes:?}");
        }
    }
}
