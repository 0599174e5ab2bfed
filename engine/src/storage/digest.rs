//! sha256 content digests, the names of everything content-addressed in the store.
//!
//! A [`Digest`] prints as `sha256:<64 lowercase hex digits>`, the OCI form; [`Digest::hex`] is the
//! part used as a file name (`blobs/sha256/<hex>`, `layers/<hex>`) and as an image id.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use sha2::{Digest as _, Sha256};

/// A string that is not a sha256 digest (the store wraps it as
/// `StorageError::InvalidDigest`; a digest knows nothing of the store's errors).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid digest '{value}': expected sha256:<64 lowercase hex digits>")]
pub struct InvalidDigest {
    pub value: String,
}

/// A sha256 digest.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// Parses `sha256:<hex>`.
    ///
    /// # Errors
    ///
    /// [`InvalidDigest`] for another algorithm or a malformed hex part.
    pub fn parse(value: &str) -> Result<Digest, InvalidDigest> {
        value
            .strip_prefix("sha256:")
            .and_then(|h| Digest::from_hex(h).ok())
            .ok_or_else(|| InvalidDigest {
                value: value.to_owned(),
            })
    }

    /// A digest from its 64 lowercase hex digits (an image id, a file name in the store).
    ///
    /// # Errors
    ///
    /// [`InvalidDigest`] unless `hex` is exactly 64 lowercase hex digits.
    pub fn from_hex(hex: &str) -> Result<Digest, InvalidDigest> {
        if is_sha256_hex(hex) {
            Ok(Digest {
                hex: hex.to_owned(),
            })
        } else {
            Err(InvalidDigest {
                value: hex.to_owned(),
            })
        }
    }

    /// The digest of `bytes`.
    #[must_use]
    pub fn of_bytes(bytes: &[u8]) -> Digest {
        Digest {
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// The 64 hex digits, without `sha256:`.
    #[must_use]
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

/// Whether `s` is 64 lowercase hex digits.
#[must_use]
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

impl FromStr for Digest {
    type Err = InvalidDigest;

    fn from_str(s: &str) -> Result<Digest, InvalidDigest> {
        Digest::parse(s)
    }
}

/// A reader that hashes and counts what passes through it.
///
/// With a limit, reading past `limit` bytes fails with [`io::ErrorKind::FileTooLarge`]: the
/// guard against decompression bombs, checked on the bytes actually produced rather than on any
/// size an archive claims.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
    limit: u64,
}

impl<R: Read> HashingReader<R> {
    #[must_use]
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader::with_limit(inner, u64::MAX)
    }

    #[must_use]
    pub fn with_limit(inner: R, limit: u64) -> HashingReader<R> {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
            limit,
        }
    }

    /// Bytes read so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Reads what is left (so the digest covers the whole stream) and returns the digest and
    /// the total length.
    ///
    /// # Errors
    ///
    /// A read error of the inner reader, or the limit.
    pub fn finish(mut self) -> io::Result<(Digest, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((
            Digest {
                hex: hex::encode(self.hasher.finalize()),
            },
            self.count,
        ))
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        if self.count > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                format!(
                    "the stream is longer than the limit of {} bytes",
                    self.limit
                ),
            ));
        }
        Ok(n)
    }
}

/// A writer that hashes and counts what passes through it.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    #[must_use]
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// The inner writer, the digest and the length of what was written.
    #[must_use]
    pub fn finish(self) -> (W, Digest, u64) {
        let digest = Digest {
            hex: hex::encode(self.hasher.finalize()),
        };
        (self.inner, digest, self.count)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl rusqlite::types::ToSql for Digest {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_string()))
    }
}

impl rusqlite::types::FromSql for Digest {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        Digest::parse(value.as_str()?)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digest_of_empty_input_is_the_well_known_one() {
        assert_eq!(Digest::of_bytes(b"").hex(), EMPTY);
        assert_eq!(Digest::of_bytes(b"").to_string(), format!("sha256:{EMPTY}"));
    }

    #[test]
    fn parse_accepts_only_sha256_lowercase_hex() {
        let d = Digest::parse(&format!("sha256:{EMPTY}")).expect("valid digest");
        assert_eq!(d.hex(), EMPTY);
        for bad in [
            EMPTY.to_owned(),
            format!("sha512:{EMPTY}"),
            format!("sha256:{}", EMPTY.to_uppercase()),
            format!("sha256:{}", &EMPTY[1..]),
            format!("sha256:../{}", &EMPTY[3..]),
        ] {
            assert!(Digest::parse(&bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn hashing_reader_and_writer_agree_with_of_bytes() {
        let data = vec![7u8; 100_000];
        let (d, n) = HashingReader::new(&data[..]).finish().expect("read");
        assert_eq!((d.clone(), n), (Digest::of_bytes(&data), 100_000));
        let mut w = HashingWriter::new(Vec::new());
        w.write_all(&data).expect("write");
        let (out, d2, n2) = w.finish();
        assert_eq!((out, d2, n2), (data, d, 100_000));
    }

    #[test]
    fn hashing_reader_enforces_its_limit() {
        let data = vec![0u8; 1000];
        let err = HashingReader::with_limit(&data[..], 999)
            .finish()
            .expect_err("over the limit");
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
        assert!(HashingReader::with_limit(&data[..], 1000).finish().is_ok());
    }
}
