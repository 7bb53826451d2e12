//! Lead files: the content types a campaign may accept, and what a file's
//! bytes say it is. A type is checked by content, not by the name or the
//! header a client sends: binary formats by their magic numbers (the
//! `infer` crate), text by being UTF-8 without control characters.

use crate::text_enum;

text_enum! {
    /// A content type Keyward recognises by content.
    pub enum FileType {
        Pdf => "application/pdf",
        Png => "image/png",
        Jpeg => "image/jpeg",
        Gif => "image/gif",
        Webp => "image/webp",
        Csv => "text/csv",
        Plain => "text/plain",
        Json => "application/json",
    }
}

impl FileType {
    /// What a new campaign accepts.
    pub const DEFAULTS: &'static [FileType] =
        &[FileType::Pdf, FileType::Png, FileType::Jpeg, FileType::Csv, FileType::Plain];

    pub fn label(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Png => "PNG image",
            Self::Jpeg => "JPEG image",
            Self::Gif => "GIF image",
            Self::Webp => "WebP image",
            Self::Csv => "CSV",
            Self::Plain => "Plain text",
            Self::Json => "JSON",
        }
    }

    fn is_text(self) -> bool {
        matches!(self, Self::Csv | Self::Plain | Self::Json)
    }

    /// A declared `Content-Type` (parameters and case ignored), if it is one of ours.
    pub fn from_header(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "application/csv" | "text/comma-separated-values" => Some(Self::Csv),
            other => other.parse().ok(),
        }
    }
}

/// How many leading bytes are enough to recognise a binary format.
pub const SNIFF_LEN: usize = 8192;

/// Reads a file as it streams past, once: the first bytes (for the magic
/// numbers) and whether the whole of it is text.
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// The end of a UTF-8 sequence split between two chunks.
    carry: Vec<u8>,
    text: bool,
    seen: bool,
}

impl Sniffer {
    pub fn new() -> Self {
        Self { text: true, ..Self::default() }
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        self.seen |= !chunk.is_empty();
        if self.head.len() < SNIFF_LEN {
            let take = chunk.len().min(SNIFF_LEN - self.head.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        if !self.text {
            return;
        }
        let joined;
        let chunk = if self.carry.is_empty() {
            chunk
        } else {
            joined = [std::mem::take(&mut self.carry).as_slice(), chunk].concat();
            joined.as_slice()
        };
        match std::str::from_utf8(chunk) {
            Ok(s) => self.text = text_chars(s),
            // A sequence cut at the end of the chunk: keep it for the next.
            Err(e) if e.error_len().is_none() && chunk.len() - e.valid_up_to() < 4 => {
                let (valid, rest) = chunk.split_at(e.valid_up_to());
                self.text = text_chars(std::str::from_utf8(valid).unwrap_or_default());
                self.carry = rest.to_vec();
            }
            Err(_) => self.text = false,
        }
    }

    /// What the bytes are, given what the client declared: the binary
    /// format the magic numbers name (the declaration must agree), or, for
    /// text, the declared text type (plain text when none was declared).
    pub fn verdict(&self, declared: Option<FileType>) -> Result<FileType, String> {
        let text = self.text && self.carry.is_empty() && self.seen;
        let found = infer::get(&self.head).and_then(|t| FileType::from_header(t.mime_type()));
        match (found, declared) {
            (Some(found), Some(declared)) if found != declared => {
                Err(format!("the content is a {} file, not {} as declared", found.label(), declared.as_str()))
            }
            (Some(found), _) => Ok(found),
            (None, Some(declared)) if text && declared.is_text() => Ok(declared),
            (None, None) if text => Ok(FileType::Plain),
            (None, Some(declared)) if !declared.is_text() => {
                Err(format!("the content is not a {} file, as declared", declared.label()))
            }
            (None, _) if !self.seen => Err("the file is empty".to_owned()),
            (None, _) => Err("the content is of a type Keyward does not recognise".to_owned()),
        }
    }
}

/// Text as a person would type it: no control characters but tab, line
/// breaks and form feed.
fn text_chars(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn sniff(chunks: &[&[u8]]) -> Sniffer {
        let mut s = Sniffer::new();
        for c in chunks {
            s.feed(c);
        }
        s
    }

    #[test]
    fn binary_formats_are_known_by_their_magic_numbers() {
        assert_eq!(sniff(&[PNG]).verdict(None), Ok(FileType::Png));
        assert_eq!(sniff(&[PNG]).verdict(Some(FileType::Png)), Ok(FileType::Png));
        assert_eq!(sniff(&[b"%PDF-1.7\n%\xe2\xe3"]).verdict(Some(FileType::Pdf)), Ok(FileType::Pdf));
        let lie = sniff(&[PNG]).verdict(Some(FileType::Pdf)).unwrap_err();
        assert!(lie.contains("PNG image") && lie.contains("application/pdf"), "{lie}");
    }

    #[test]
    fn text_is_text_only_if_every_byte_is() {
        assert_eq!(sniff(&[b"name,email\n", b"Ada,ada@example.com\n"]).verdict(Some(FileType::Csv)), Ok(FileType::Csv));
        assert_eq!(sniff(&[b"hello"]).verdict(None), Ok(FileType::Plain));
        // A multi-byte character cut between chunks is still text.
        let e = "é".as_bytes();
        assert_eq!(sniff(&[b"caf", &e[..1], &e[1..], b"!"]).verdict(None), Ok(FileType::Plain));
        // A PDF sent as text, a NUL in the middle, invalid UTF-8: not text.
        assert!(sniff(&[b"%PDF-1.4"]).verdict(Some(FileType::Plain)).is_err());
        assert!(sniff(&[b"abc\0def"]).verdict(Some(FileType::Plain)).is_err());
        assert!(sniff(&[b"abc", b"\xff"]).verdict(Some(FileType::Csv)).is_err());
        assert!(sniff(&[b"caf", &e[..1]]).verdict(None).is_err(), "cut off at the end");
        // Text declared as an image.
        assert!(sniff(&[b"just words"]).verdict(Some(FileType::Png)).is_err());
        assert!(sniff(&[]).verdict(None).unwrap_err().contains("empty"));
    }

    #[test]
    fn declared_types_are_read_leniently() {
        assert_eq!(FileType::from_header("Image/JPG"), Some(FileType::Jpeg));
        assert_eq!(FileType::from_header("text/csv; charset=utf-8"), Some(FileType::Csv));
        assert_eq!(FileType::from_header("application/x-msdownload"), None);
    }
}
