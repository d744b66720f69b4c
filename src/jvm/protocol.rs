//! The worker's wire format: length-prefixed frames over the child's stdin/stdout, big-endian.
//!
//! ```text
//! frame   = u32 len (bytes after this field) · u8 kind · u64 id · payload
//! str     = u32 byte length · UTF-8
//! bytes   = u32 length · raw bytes
//! ```
//!
//! Engine → worker kinds are the request constants below (`COMPILE_XSLT` … `CANCEL`); the worker answers `READY` once at start (id 0, a description),
//! then `OK` or `ERROR` carrying the id of the request it answers. `RELEASE_*` and `CANCEL` get no answer.
//! `jvm/README.md` describes every payload from the Java side.

use std::io::{self, Read};

/// Largest frame either side accepts.
pub const MAX_FRAME: usize = 1 << 30;

pub const COMPILE_XSLT: u8 = 0x01;
pub const TRANSFORM: u8 = 0x02;
pub const RELEASE_XSLT: u8 = 0x03;
pub const FOP_CONFIGURE: u8 = 0x04;
pub const RENDER_PDF: u8 = 0x05;
pub const RELEASE_FOP: u8 = 0x06;
pub const PING: u8 = 0x07;
pub const CANCEL: u8 = 0x08;

pub const READY: u8 = 0x80;
pub const OK: u8 = 0x81;
pub const ERROR: u8 = 0x82;

/// Builds one engine → worker frame.
pub struct FrameBuilder {
    buf: Vec<u8>,
}

impl FrameBuilder {
    pub fn new(kind: u8, id: u64) -> FrameBuilder {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; 4]);
        buf.push(kind);
        buf.extend_from_slice(&id.to_be_bytes());
        FrameBuilder { buf }
    }

    pub fn u32(mut self, v: u32) -> Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn u64(mut self, v: u64) -> Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn bytes(mut self, b: &[u8]) -> Self {
        self.buf.reserve(4 + b.len());
        self.buf.extend_from_slice(&(b.len() as u32).to_be_bytes());
        self.buf.extend_from_slice(b);
        self
    }

    pub fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }

    pub fn strs<'a>(mut self, list: impl ExactSizeIterator<Item = &'a str>) -> Self {
        self = self.u32(list.len() as u32);
        for s in list {
            self = self.str(s);
        }
        self
    }

    /// The finished frame, or an error when it would exceed [`MAX_FRAME`].
    pub fn finish(mut self) -> Result<Vec<u8>, usize> {
        let len = self.buf.len() - 4;
        if len > MAX_FRAME || self.buf.len() > u32::MAX as usize {
            return Err(len);
        }
        self.buf[..4].copy_from_slice(&(len as u32).to_be_bytes());
        Ok(self.buf)
    }
}

/// One worker → engine frame.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub id: u64,
    pub payload: Vec<u8>,
}

/// Reads one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Frame>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if !(9..=MAX_FRAME).contains(&len) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    let mut head = [0u8; 9];
    r.read_exact(&mut head)?;
    let mut payload = Vec::new();
    r.take((len - 9) as u64).read_to_end(&mut payload)?;
    if payload.len() != len - 9 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(Frame {
        kind: head[0],
        id: u64::from_be_bytes(head[1..9].try_into().expect("8 bytes")),
        payload,
    }))
}

/// Reads the primitives of a payload in order.
pub struct Payload<'a> {
    rest: &'a [u8],
}

fn short() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "payload too short")
}

impl<'a> Payload<'a> {
    pub fn new(b: &'a [u8]) -> Payload<'a> {
        Payload { rest: b }
    }

    pub fn u32(&mut self) -> io::Result<u32> {
        let (head, rest) = self.rest.split_first_chunk::<4>().ok_or_else(short)?;
        self.rest = rest;
        Ok(u32::from_be_bytes(*head))
    }

    pub fn bytes(&mut self) -> io::Result<&'a [u8]> {
        let n = self.u32()? as usize;
        if self.rest.len() < n {
            return Err(short());
        }
        let (b, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(b)
    }

    pub fn str(&mut self) -> io::Result<String> {
        Ok(String::from_utf8_lossy(self.bytes()?).into_owned())
    }
}

/// One diagnostic of an `ERROR` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// A filesystem path, or empty when unknown.
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Decodes an `ERROR` payload.
pub fn diagnostics(payload: &[u8]) -> io::Result<Vec<Diagnostic>> {
    let mut p = Payload::new(payload);
    let n = p.u32()? as usize;
    let mut out = Vec::with_capacity(n.min(64));
    for _ in 0..n {
        out.push(Diagnostic {
            file: p.str()?,
            line: p.u32()?,
            column: p.u32()?,
            message: p.str()?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let f = FrameBuilder::new(TRANSFORM, 7)
            .u64(42)
            .bytes(b"<a/>")
            .strs(["x", "y"].into_iter())
            .finish()
            .unwrap();
        assert_eq!(&f[..4], &((f.len() - 4) as u32).to_be_bytes());
        let frame = read_frame(&mut &f[..]).unwrap().unwrap();
        assert_eq!((frame.kind, frame.id), (TRANSFORM, 7));
        let mut p = Payload::new(&frame.payload);
        assert_eq!(p.u32().unwrap(), 0);
        assert_eq!(p.u32().unwrap(), 42);
        assert_eq!(p.bytes().unwrap(), b"<a/>");
        assert_eq!(p.u32().unwrap(), 2);
        assert_eq!(p.str().unwrap(), "x");
        assert_eq!(p.str().unwrap(), "y");
        assert!(p.u32().is_err());
    }

    #[test]
    fn end_of_stream_and_bad_lengths() {
        assert!(read_frame(&mut &b""[..]).unwrap().is_none());
        assert!(read_frame(&mut &[0u8, 0, 0, 3, 1, 2, 3][..]).is_err());
        assert!(read_frame(&mut &[0u8, 0, 0, 20, 1][..]).is_err());
    }

    #[test]
    fn error_payload() {
        let f = FrameBuilder::new(ERROR, 1)
            .u32(1)
            .str("/a/b.xsl")
            .u32(3)
            .u32(9)
            .str("XPST0017: nope")
            .finish()
            .unwrap();
        let frame = read_frame(&mut &f[..]).unwrap().unwrap();
        let d = diagnostics(&frame.payload).unwrap();
        assert_eq!(
            d,
            vec![Diagnostic {
                file: "/a/b.xsl".into(),
                line: 3,
                column: 9,
                message: "XPST0017: nope".into()
            }]
        );
    }
}
