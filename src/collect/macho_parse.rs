//! The Mach-O structures otadoctor reads, parsed with the `object` crate from the first bytes of
//! a file (or of one of its slices): the fat header and its slices, then each slice's header and
//! load commands — `LC_CODE_SIGNATURE`, `LC_ENCRYPTION_INFO(_64)`, `LC_BUILD_VERSION`,
//! `LC_VERSION_MIN_*`. Pure: the bytes come from the collector (`collect::macho`).
//!
//! Hostile bytes are normal: every count is capped before anything is read, every offset is
//! checked against the file, and a structure that needs more bytes than were given says how many
//! (`Parse::NeedMore`) instead of guessing.

use object::Endianness;
use object::macho;
use object::read::macho::{FatArch, MachHeader};

use crate::facts::{EncryptionInfo, LinkeditRange, MachOSlice};

/// The most slices a fat header may list (a real one has 2 or 3).
pub const MAX_FAT_ARCHES: u32 = 16;
/// The most load commands a slice may have (a large app has ~100).
pub const MAX_LOAD_COMMANDS: u32 = 1024;
/// The most bytes of load commands a slice may have (`sizeofcmds`; a large app has ~10 KiB).
pub const MAX_LOAD_COMMANDS_SIZE: u32 = 64 * 1024;
/// A 64-bit Mach-O header's size (the 32-bit one is 28).
const HEADER_64: u64 = 32;

/// What a parse needs or found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parse<T> {
    Done(T),
    /// The structure goes on past the bytes given: this many bytes from the same start are needed.
    NeedMore(u64),
    /// Not a Mach-O, or a broken one: why.
    Bad(String),
}

/// The container: a thin file (one slice, the whole file) or a fat one.
#[derive(Debug, Clone)]
pub struct Container {
    pub fat: bool,
    pub slices: Vec<MachOSlice>,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// The name of a CPU type and subtype, as `lipo` says it.
pub fn arch_name(cputype: u32, cpusubtype: u32) -> String {
    let sub = macho::CpuSubtype(cpusubtype).id();
    match (macho::CpuType(cputype), sub) {
        (macho::CPU_TYPE_ARM64, macho::CPU_SUBTYPE_ARM64E) => "arm64e".to_string(),
        (macho::CPU_TYPE_ARM64, _) => "arm64".to_string(),
        (macho::CPU_TYPE_ARM64_32, _) => "arm64_32".to_string(),
        (macho::CPU_TYPE_ARM, macho::CPU_SUBTYPE_ARM_V7S) => "armv7s".to_string(),
        (macho::CPU_TYPE_ARM, macho::CPU_SUBTYPE_ARM_V7K) => "armv7k".to_string(),
        (macho::CPU_TYPE_ARM, macho::CPU_SUBTYPE_ARM_V7) => "armv7".to_string(),
        (macho::CPU_TYPE_ARM, macho::CPU_SUBTYPE_ARM_V6) => "armv6".to_string(),
        (macho::CPU_TYPE_ARM, _) => "arm".to_string(),
        (macho::CPU_TYPE_X86_64, _) => "x86_64".to_string(),
        (macho::CPU_TYPE_X86, _) => "i386".to_string(),
        _ => format!("{cputype:#x}"),
    }
}

/// Whether a CPU type runs on an iPhone or iPad of today (arm64, arm64e).
pub fn is_arm64(cputype: u32) -> bool {
    macho::CpuType(cputype) == macho::CPU_TYPE_ARM64
}

/// Reads the container from the first bytes of a file of `size` bytes.
pub fn container(bytes: &[u8], size: u64) -> Parse<Container> {
    let Some(magic) = be32(bytes, 0) else {
        return if size < 4 {
            Parse::Bad(format!("{size} bytes: too short for a Mach-O"))
        } else {
            Parse::NeedMore(4)
        };
    };
    match magic {
        macho::FAT_MAGIC | macho::FAT_MAGIC_64 => fat(bytes, size, magic == macho::FAT_MAGIC_64),
        macho::MH_MAGIC | macho::MH_CIGAM | macho::MH_MAGIC_64 | macho::MH_CIGAM_64 => {
            let Some(cputype) = header_field(bytes, 4) else {
                return Parse::NeedMore(HEADER_64.min(size.max(12)));
            };
            let Some(cpusubtype) = header_field(bytes, 8) else {
                return Parse::NeedMore(12);
            };
            Parse::Done(Container {
                fat: false,
                slices: vec![MachOSlice {
                    arch: arch_name(cputype, cpusubtype),
                    cputype,
                    cpusubtype,
                    offset: 0,
                    size,
                    ..MachOSlice::default()
                }],
            })
        }
        _ => Parse::Bad(format!("not a Mach-O (its first bytes are {magic:#010x})")),
    }
}

/// A thin header's 32-bit field at `at`, in the header's byte order.
fn header_field(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 4)?;
    let raw = [b[0], b[1], b[2], b[3]];
    Some(match be32(bytes, 0)? {
        macho::MH_MAGIC | macho::MH_MAGIC_64 => u32::from_be_bytes(raw),
        _ => u32::from_le_bytes(raw),
    })
}

fn fat(bytes: &[u8], size: u64, is_64: bool) -> Parse<Container> {
    let Some(count) = be32(bytes, 4) else {
        return Parse::NeedMore(8);
    };
    if count == 0 || count > MAX_FAT_ARCHES {
        return Parse::Bad(format!(
            "a fat header with {count} slices (at most {MAX_FAT_ARCHES}): not a Mach-O"
        ));
    }
    let entry = if is_64 { 32 } else { 20 };
    let need = 8 + u64::from(count) * entry;
    if (bytes.len() as u64) < need {
        return if need > size {
            Parse::Bad(format!("the fat header lists {count} slices, the file ends first"))
        } else {
            Parse::NeedMore(need)
        };
    }
    let raw: Vec<(u32, u32, u64, u64)> = if is_64 {
        match object::read::macho::MachOFatFile64::parse(bytes) {
            Ok(f) => f
                .arches()
                .iter()
                .map(|a| (a.cputype().0, a.cpusubtype().0, a.offset(), a.size()))
                .collect(),
            Err(e) => return Parse::Bad(format!("the fat header does not read: {e}")),
        }
    } else {
        match object::read::macho::MachOFatFile32::parse(bytes) {
            Ok(f) => f
                .arches()
                .iter()
                .map(|a| {
                    (
                        a.cputype().0,
                        a.cpusubtype().0,
                        u64::from(a.offset()),
                        u64::from(a.size()),
                    )
                })
                .collect(),
            Err(e) => return Parse::Bad(format!("the fat header does not read: {e}")),
        }
    };
    let mut slices = Vec::with_capacity(raw.len());
    for (cputype, cpusubtype, offset, len) in raw {
        let arch = arch_name(cputype, cpusubtype);
        if offset < need || offset.checked_add(len).is_none_or(|end| end > size) {
            return Parse::Bad(format!(
                "the {arch} slice (bytes {offset}+{len}) is not inside the file of {size} bytes"
            ));
        }
        slices.push(MachOSlice {
            arch,
            cputype,
            cpusubtype,
            offset,
            size: len,
            ..MachOSlice::default()
        });
    }
    Parse::Done(Container { fat: true, slices })
}

/// Reads a slice's header and load commands from its first bytes into `slice`.
pub fn load_commands(bytes: &[u8], slice: &mut MachOSlice) -> Parse<()> {
    let Some(magic) = be32(bytes, 0) else {
        return if slice.size < 4 {
            Parse::Bad(format!(
                "the {} slice is {} bytes: too short for a Mach-O",
                slice.arch, slice.size
            ))
        } else {
            Parse::NeedMore(4)
        };
    };
    match magic {
        macho::MH_MAGIC_64 | macho::MH_CIGAM_64 => commands::<macho::MachHeader64<Endianness>>(bytes, slice),
        macho::MH_MAGIC | macho::MH_CIGAM => commands::<macho::MachHeader32<Endianness>>(bytes, slice),
        _ => Parse::Bad(format!(
            "the {} slice is not a Mach-O (magic {magic:#010x})",
            slice.arch
        )),
    }
}

/// `minos`/`sdk`: `xxxx.yy.zz` in nibbles, as `otool` prints it (`15.0`, `17.2.1`).
pub fn version(v: u32) -> String {
    let (major, minor, patch) = (v >> 16, (v >> 8) & 0xff, v & 0xff);
    if patch == 0 {
        format!("{major}.{minor}")
    } else {
        format!("{major}.{minor}.{patch}")
    }
}

/// `LC_BUILD_VERSION`'s platform, by name.
pub fn platform_name(p: u32) -> String {
    match macho::Platform(p) {
        macho::PLATFORM_MACOS => "macos".to_string(),
        macho::PLATFORM_IOS => "ios".to_string(),
        macho::PLATFORM_TVOS => "tvos".to_string(),
        macho::PLATFORM_WATCHOS => "watchos".to_string(),
        macho::PLATFORM_MACCATALYST => "maccatalyst".to_string(),
        macho::PLATFORM_IOSSIMULATOR => "ios-simulator".to_string(),
        macho::PLATFORM_TVOSSIMULATOR => "tvos-simulator".to_string(),
        macho::PLATFORM_WATCHOSSIMULATOR => "watchos-simulator".to_string(),
        macho::PLATFORM_XROS => "visionos".to_string(),
        macho::PLATFORM_XROSSIMULATOR => "visionos-simulator".to_string(),
        other => format!("platform {other}"),
    }
}

fn commands<H: MachHeader<Endian = Endianness>>(bytes: &[u8], slice: &mut MachOSlice) -> Parse<()> {
    let header_size = std::mem::size_of::<H>() as u64;
    if (bytes.len() as u64) < header_size {
        return if header_size > slice.size {
            Parse::Bad(format!("the {} slice is cut before its header ends", slice.arch))
        } else {
            Parse::NeedMore(header_size)
        };
    }
    let header = match H::parse(bytes, 0) {
        Ok(h) => h,
        Err(e) => return Parse::Bad(format!("the {} slice's header does not read: {e}", slice.arch)),
    };
    let Ok(endian) = header.endian() else {
        return Parse::Bad(format!("the {} slice's byte order is unknown", slice.arch));
    };
    let (ncmds, sizeofcmds) = (header.ncmds(endian), header.sizeofcmds(endian));
    if ncmds > MAX_LOAD_COMMANDS {
        return Parse::Bad(format!(
            "the {} slice says {ncmds} load commands (at most {MAX_LOAD_COMMANDS} are read)",
            slice.arch
        ));
    }
    if sizeofcmds > MAX_LOAD_COMMANDS_SIZE {
        return Parse::Bad(format!(
            "the {} slice says {sizeofcmds} bytes of load commands (at most {MAX_LOAD_COMMANDS_SIZE} are read)",
            slice.arch
        ));
    }
    let need = header_size + u64::from(sizeofcmds);
    if need > slice.size {
        return Parse::Bad(format!(
            "the {} slice's load commands ({sizeofcmds} bytes) run past its end",
            slice.arch
        ));
    }
    if (bytes.len() as u64) < need {
        return Parse::NeedMore(need);
    }
    let mut iter = match header.load_commands(endian, bytes, 0) {
        Ok(i) => i,
        Err(e) => return Parse::Bad(format!("the {} slice's load commands do not read: {e}", slice.arch)),
    };
    // the iterator stops after ncmds, each command inside sizeofcmds: linear, bounded
    loop {
        let command = match iter.next() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => return Parse::Bad(format!("the {} slice's load commands do not read: {e}", slice.arch)),
        };
        match command.cmd() {
            macho::LC_CODE_SIGNATURE => {
                if let Ok(c) = command.data::<macho::LinkeditDataCommand<Endianness>>() {
                    slice.code_signature = Some(LinkeditRange {
                        dataoff: c.dataoff.get(endian),
                        datasize: c.datasize.get(endian),
                    });
                }
            }
            macho::LC_ENCRYPTION_INFO | macho::LC_ENCRYPTION_INFO_64 => {
                if let Ok(c) = command.data::<macho::EncryptionInfoCommand32<Endianness>>() {
                    let found = EncryptionInfo {
                        cryptoff: c.cryptoff.get(endian),
                        cryptsize: c.cryptsize.get(endian),
                        cryptid: c.cryptid.get(endian),
                    };
                    // several: the encrypted one counts
                    if slice.encryption.is_none_or(|e| e.cryptid == 0) {
                        slice.encryption = Some(found);
                    }
                }
            }
            macho::LC_BUILD_VERSION => {
                if let Ok(c) = command.data::<macho::BuildVersionCommand<Endianness>>() {
                    slice.platform = Some(platform_name(c.platform.get(endian).0));
                    slice.minos = Some(version(c.minos.get(endian).0));
                    slice.sdk = Some(version(c.sdk.get(endian).0));
                }
            }
            cmd @ (macho::LC_VERSION_MIN_IPHONEOS
            | macho::LC_VERSION_MIN_MACOSX
            | macho::LC_VERSION_MIN_TVOS
            | macho::LC_VERSION_MIN_WATCHOS) => {
                if slice.platform.is_some() {
                    continue; // LC_BUILD_VERSION says it better
                }
                if let Ok(c) = command.data::<macho::VersionMinCommand<Endianness>>() {
                    let name = match cmd {
                        macho::LC_VERSION_MIN_IPHONEOS => "ios",
                        macho::LC_VERSION_MIN_MACOSX => "macos",
                        macho::LC_VERSION_MIN_TVOS => "tvos",
                        _ => "watchos",
                    };
                    slice.platform = Some(name.to_string());
                    slice.minos = Some(version(c.version.get(endian).0));
                    slice.sdk = Some(version(c.sdk.get(endian).0));
                }
            }
            _ => {}
        }
    }
    slice.commands_read = true;
    if let Some(cs) = slice.code_signature {
        let end = u64::from(cs.dataoff) + u64::from(cs.datasize);
        if end > slice.size {
            return Parse::Bad(format!(
                "the {} slice's LC_CODE_SIGNATURE (bytes {}+{}) runs past the slice's {} bytes",
                slice.arch, cs.dataoff, cs.datasize, slice.size
            ));
        }
    }
    Parse::Done(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thin(cputype: u32, sub: u32, commands: &[Vec<u8>]) -> Vec<u8> {
        let size: usize = commands.iter().map(Vec::len).sum();
        let mut out = Vec::new();
        for v in [
            macho::MH_MAGIC_64,
            cputype,
            sub,
            2,
            commands.len() as u32,
            size as u32,
            0,
            0,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for c in commands {
            out.extend_from_slice(c);
        }
        out.resize(out.len() + 256, 0);
        out
    }

    fn command(cmd: macho::LoadCommandType, fields: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for v in [cmd.0, 8 + 4 * fields.len() as u32].iter().chain(fields) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    #[test]
    fn a_thin_arm64_file_reads_its_commands() {
        let bytes = thin(
            macho::CPU_TYPE_ARM64.0,
            0,
            &[
                command(macho::LC_BUILD_VERSION, &[2, 0x000f_0000, 0x0011_0200, 0]),
                command(macho::LC_ENCRYPTION_INFO_64, &[0x4000, 0x1000, 1, 0]),
                command(macho::LC_CODE_SIGNATURE, &[200, 40]),
            ],
        );
        let Parse::Done(mut c) = container(&bytes, bytes.len() as u64) else {
            panic!("a container")
        };
        assert!(!c.fat);
        assert_eq!(c.slices[0].arch, "arm64");
        assert_eq!(load_commands(&bytes, &mut c.slices[0]), Parse::Done(()));
        let s = &c.slices[0];
        assert_eq!(s.platform.as_deref(), Some("ios"));
        assert_eq!(s.minos.as_deref(), Some("15.0"));
        assert_eq!(s.sdk.as_deref(), Some("17.2"));
        assert_eq!(s.encryption.map(|e| e.cryptid), Some(1));
        assert_eq!(
            s.code_signature,
            Some(LinkeditRange {
                dataoff: 200,
                datasize: 40
            })
        );
    }

    #[test]
    fn every_byte_of_a_fat_header_and_its_commands_changed_never_panics_nor_stalls() {
        let slice = thin(
            macho::CPU_TYPE_ARM64.0,
            0,
            &[
                command(macho::LC_BUILD_VERSION, &[2, 0x000f_0000, 0x0011_0200, 0]),
                command(macho::LC_ENCRYPTION_INFO_64, &[0x4000, 0x1000, 0, 0]),
                command(macho::LC_CODE_SIGNATURE, &[200, 40]),
            ],
        );
        let mut file = Vec::new();
        for v in [
            macho::FAT_MAGIC,
            1,
            macho::CPU_TYPE_ARM64.0,
            0,
            64,
            slice.len() as u32,
            14,
        ] {
            file.extend_from_slice(&v.to_be_bytes());
        }
        file.resize(64, 0);
        file.extend_from_slice(&slice);
        for at in 0..file.len().min(200) {
            for value in [0x00, 0xff, 0x80, 0x01, file[at].wrapping_add(1)] {
                let mut bytes = file.clone();
                bytes[at] = value;
                let size = bytes.len() as u64;
                // the whole file, and every prefix a reader may hold
                for cut in [bytes.len(), 8, 31, 64, 100] {
                    let given = &bytes[..cut.min(bytes.len())];
                    let mut c = match container(given, size) {
                        Parse::Done(c) => c,
                        Parse::NeedMore(n) => {
                            assert!(n > given.len() as u64 && n <= size, "{at} {value} {cut}: {n}");
                            continue;
                        }
                        Parse::Bad(_) => continue,
                    };
                    for s in &mut c.slices {
                        let start = usize::try_from(s.offset).unwrap_or(usize::MAX);
                        let from = given.get(start..).unwrap_or_default();
                        if let Parse::NeedMore(n) = load_commands(from, s) {
                            // asking for more means more than was given, within the caps
                            assert!(n > from.len() as u64, "{at} {value} {cut}: {n}");
                            assert!(n <= u64::from(MAX_LOAD_COMMANDS_SIZE) + 32, "{n}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn too_few_bytes_ask_for_more_and_hostile_counts_are_refused() {
        let bytes = thin(
            macho::CPU_TYPE_ARM64.0,
            0,
            &[command(macho::LC_CODE_SIGNATURE, &[100, 8])],
        );
        let mut slice = MachOSlice {
            size: bytes.len() as u64,
            ..MachOSlice::default()
        };
        assert_eq!(load_commands(&bytes[..20], &mut slice), Parse::NeedMore(32));
        assert_eq!(load_commands(&bytes[..40], &mut slice), Parse::NeedMore(48));
        let mut many = bytes.clone();
        many[16..20].copy_from_slice(&100_000u32.to_le_bytes());
        assert!(matches!(load_commands(&many, &mut slice), Parse::Bad(_)));
        let mut fat = vec![0xca, 0xfe, 0xba, 0xbe];
        fat.extend_from_slice(&1_000_000u32.to_be_bytes());
        assert!(matches!(container(&fat, 1 << 30), Parse::Bad(_)));
    }
}
