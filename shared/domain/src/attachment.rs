//! Files an operator sends (R-OP4). Avito's messenger sends images only: JPEG, PNG, GIF, BMP and
//! HEIC, at most 24 MB each. The kind is read from the file's first bytes, not from what the
//! uploader claims.

/// The largest image Avito accepts.
pub const MAX_IMAGE_BYTES: usize = 24 * 1024 * 1024;

/// An image kind Avito accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    Gif,
    Bmp,
    Heic,
}

impl ImageKind {
    /// The MIME type Avito is told.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Gif => "image/gif",
            ImageKind::Bmp => "image/bmp",
            ImageKind::Heic => "image/heic",
        }
    }

    /// A file name with the kind's extension.
    pub fn file_name(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image.jpg",
            ImageKind::Png => "image.png",
            ImageKind::Gif => "image.gif",
            ImageKind::Bmp => "image.bmp",
            ImageKind::Heic => "image.heic",
        }
    }
}

/// Why a file cannot be sent through Avito.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("the file is empty")]
    Empty,
    #[error("the image is over Avito's limit of 24 MB")]
    TooLarge,
    /// Named when recognised (a PDF, a ZIP...).
    #[error(
        "Avito's messenger sends only images (JPEG, PNG, GIF, BMP, HEIC); {0} cannot be sent: share a link in a text message instead"
    )]
    NotAnImage(&'static str),
}

/// The kind of image `bytes` hold, or why they cannot be sent.
pub fn image_kind(bytes: &[u8]) -> Result<ImageKind, AttachmentError> {
    if bytes.is_empty() {
        return Err(AttachmentError::Empty);
    }
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(AttachmentError::TooLarge);
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Ok(ImageKind::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Ok(ImageKind::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Ok(ImageKind::Gif);
    }
    if starts(b"BM") && bytes.len() > 14 {
        return Ok(ImageKind::Bmp);
    }
    // ISO base media: a box size, then `ftyp` and the brand.
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return match &bytes[8..12] {
            b"heic" | b"heix" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => Ok(ImageKind::Heic),
            _ => Err(AttachmentError::NotAnImage("a video or other media file")),
        };
    }
    let named = if starts(b"%PDF") {
        "a PDF"
    } else if starts(b"PK\x03\x04") {
        "an archive or office document"
    } else {
        "this file"
    };
    Err(AttachmentError::NotAnImage(named))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_by_their_first_bytes() {
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic");
        heic.extend_from_slice(&[0; 8]);
        let table: [(&[u8], ImageKind); 5] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], ImageKind::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", ImageKind::Png),
            (b"GIF89a\x01\x00\x01\x00", ImageKind::Gif),
            (b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0", ImageKind::Bmp),
            (&heic, ImageKind::Heic),
        ];
        for (bytes, kind) in table {
            assert_eq!(image_kind(bytes), Ok(kind));
        }
    }

    #[test]
    fn other_files_are_refused_with_the_reason() {
        let pdf = image_kind(b"%PDF-1.7\n...");
        assert_eq!(pdf, Err(AttachmentError::NotAnImage("a PDF")));
        let reason = pdf.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(reason.contains("only images"), "{reason}");
        assert_eq!(image_kind(b""), Err(AttachmentError::Empty));
        assert_eq!(image_kind(b"hello"), Err(AttachmentError::NotAnImage("this file")));
        let mut big = vec![0xFF, 0xD8, 0xFF];
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(image_kind(&big), Err(AttachmentError::TooLarge));
    }
}
