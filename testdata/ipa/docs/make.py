"""Builds the small example packages used by the IPA rule docs (rules/IPA00*.md).

Run from this folder: python3 make.py
"""
import os
import shutil
import struct
import subprocess
import tempfile
import zipfile

PLIST = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>CFBundleIdentifier</key><string>com.acme.field</string>
  <key>CFBundleExecutable</key><string>Field</string>
  <key>CFBundleName</key><string>Field</string>
  <key>CFBundleVersion</key><string>812</string>
  <key>CFBundleShortVersionString</key><string>4.2</string>
  <key>MinimumOSVersion</key><string>15.0</string>
  <key>CFBundleSupportedPlatforms</key><array><string>iPhoneOS</string></array>
  <key>UIDeviceFamily</key><array><integer>1</integer><integer>2</integer></array>
</dict>
</plist>
"""


def macho(cpu="arm64", cryptid=None, signature=None, size=2048):
    """A thin Mach-O executable of `size` bytes with only the load commands otadoctor reads:
    LC_BUILD_VERSION (iOS 15.0, SDK 17.2) for arm64, LC_VERSION_MIN_IPHONEOS (9.0) for armv7;
    LC_ENCRYPTION_INFO(_64) when `cryptid` is given; LC_CODE_SIGNATURE pointing at the bytes
    `signature` (placed at the end, 16-byte aligned) when given. No code: enough for the rules
    that read load commands (APP008, APP009, SIG016)."""
    is64 = cpu == "arm64"
    cmds = []
    if is64:
        cmds.append(struct.pack("<IIIIII", 0x32, 24, 2, 0x000F0000, 0x00110200, 0))
    else:
        cmds.append(struct.pack("<IIII", 0x25, 16, 0x00090000, 0x00110200))
    if cryptid is not None:
        if is64:
            cmds.append(struct.pack("<IIIIII", 0x2C, 24, 0x4000, 0x4000, cryptid, 0))
        else:
            cmds.append(struct.pack("<IIIII", 0x21, 20, 0x4000, 0x4000, cryptid))
    sig_at = 0
    if signature is not None:
        sig_at = (size - len(signature)) // 16 * 16
        cmds.append(struct.pack("<IIII", 0x1D, 16, sig_at, len(signature)))
    body = b"".join(cmds)
    if is64:
        head = struct.pack("<IIIIIIII", 0xFEEDFACF, 0x0100000C, 0, 2, len(cmds), len(body), 0x00200085, 0)
    else:
        head = struct.pack("<IIIIIII", 0xFEEDFACE, 12, 9, 2, len(cmds), len(body), 0x00200085)
    out = bytearray(head + body)
    out += b"\x00" * (size - len(out))
    if signature is not None:
        out[sig_at:sig_at + len(signature)] = signature
    return bytes(out)


def superblob(code_directory=True):
    """An embedded-signature SuperBlob (0xfade0cc0) holding a CodeDirectory header (0xfade0c02,
    no hashes) and an empty requirements blob: a signature's shape, not a valid one."""
    blobs = []
    if code_directory:
        ident = b"com.acme.field\x00"
        # magic, length, version, flags, hashOffset, identOffset, nSpecialSlots, nCodeSlots,
        # codeLimit, hashSize, hashType (2: SHA-256), platform, pageSize (2^12), spare2
        length = 44 + len(ident)
        cd = struct.pack(">IIIIIIIIIBBBBI", 0xFADE0C02, length, 0x20400, 0, length, 44, 0, 0, 0, 32, 2, 0, 12, 0)
        cd += ident
        blobs.append((0, cd))
    blobs.append((2, struct.pack(">III", 0xFADE0C01, 12, 0)))
    index = b""
    data = b""
    at = 12 + 8 * len(blobs)
    for slot, blob in blobs:
        index += struct.pack(">II", slot, at + len(data))
        data += blob
    return struct.pack(">III", 0xFADE0CC0, 12 + len(index) + len(data), len(blobs)) + index + data


EXE = macho()  # arm64, iOS 15.0, no signature, 2 KiB
DT = (2026, 1, 15, 10, 0, 0)


def info(name, mode, method=zipfile.ZIP_DEFLATED, unix=True):
    zi = zipfile.ZipInfo(name, DT)
    zi.compress_type = method
    if unix:
        zi.create_system = 3
        zi.external_attr = mode << 16
    else:
        zi.create_system = 0
        zi.external_attr = 0x20  # FAT "archive" bit, as Windows tools write it
    return zi


def plist(base=PLIST, **keys):
    """`base` with keys changed: a str, a list of str, or None to remove the key."""
    lines = base.decode().splitlines(keepends=True)
    for key, value in keys.items():
        if value is None:
            line = ""
        elif isinstance(value, list):
            line = f"  <key>{key}</key><array>" + "".join(f"<string>{v}</string>" for v in value) + "</array>\n"
        else:
            line = f"  <key>{key}</key><string>{value}</string>\n"
        at = [i for i, l in enumerate(lines) if l.startswith(f"  <key>{key}</key>")]
        if at:
            lines[at[0]] = line
        else:
            lines.insert(lines.index("</dict>\n"), line)
    return "".join(lines).encode()


def app(z, prefix="Payload/Field.app", unix=True, exe_mode=0o100755, method=zipfile.ZIP_DEFLATED, extra=(),
        info_plist=PLIST, exe="Field", bundles=(), exe_bytes=EXE):
    """The app at `prefix`; `info_plist` or `exe` None leaves that file out; `bundles` are
    (path inside the app, Info.plist, executable name): extensions, watch apps, App Clips."""
    if info_plist is not None:
        z.writestr(info(f"{prefix}/Info.plist", 0o100644, method, unix), info_plist)
    if exe is not None:
        z.writestr(info(f"{prefix}/{exe}", exe_mode, method, unix), exe_bytes)
    for name, data in extra:
        z.writestr(info(f"{prefix}/{name}", 0o100644, method, unix), data)
    for path, data, name in bundles:
        z.writestr(info(f"{prefix}/{path}/Info.plist", 0o100644, method, unix), data)
        z.writestr(info(f"{prefix}/{path}/{name}", 0o100755, method, unix), EXE)


def build(path, fill):
    with zipfile.ZipFile(path, "w") as z:
        fill(z)


# correct
build("Field.ipa", lambda z: app(z))
# IPA001: a zip cut short by an interrupted upload, and an HTML error page saved as .ipa
# (a file named .ipa is read as a package; IPA001 says it is an HTML page)
with open("Field-error-page.ipa", "wb") as f:
    f.write(b"<!doctype html>\n<html><head><title>403 Forbidden</title></head>\n"
            b"<body><h1>403 Forbidden</h1></body></html>\n")
with open("Field.ipa", "rb") as f:
    whole = f.read()
with open("Field-truncated.ipa", "wb") as f:
    f.write(whole[: len(whole) // 2])
# IPA002: the folder holding Payload/ was zipped; a zipped .app
build("Field-wrapped.ipa", lambda z: app(z, prefix="Field-4.2/Payload/Field.app"))
build("Field-zipped-app.ipa", lambda z: app(z, prefix="Field.app"))
# IPA003: two apps in Payload/
def two(z):
    app(z)
    app(z, prefix="Payload/Field-Staging.app")
build("Field-two-apps.ipa", two)
# IPA004: an entry whose zip64 size is 5 GiB. Doctored to stay small: the central directory
# says Assets.car is 5 GiB once inflated; the data is a few bytes. otadoctor reads only the
# central directory, so it sees what a real 5 GiB asset would show.
build("Field-zip64.ipa", lambda z: app(z, extra=[("Assets.car", b"\x00" * 64)]))
with open("Field-zip64.ipa", "rb") as f:
    data = bytearray(f.read())
eocd = data.rfind(b"PK\x05\x06")
cd_size = struct.unpack_from("<I", data, eocd + 12)[0]
cd_start = struct.unpack_from("<I", data, eocd + 16)[0]
cd = data[cd_start:cd_start + cd_size]
pos = 0
out = bytearray()
while pos < len(cd):
    n, m, k = struct.unpack_from("<HHH", cd, pos + 28)
    rec = bytearray(cd[pos:pos + 46 + n + m + k])
    if rec[46:46 + n].endswith(b"Assets.car"):
        struct.pack_into("<I", rec, 24, 0xFFFFFFFF)  # uncompressed size: see zip64 extra
        struct.pack_into("<H", rec, 6, 45)  # version needed: zip64
        extra = struct.pack("<HHQ", 0x0001, 8, 5 * 1024 ** 3)
        struct.pack_into("<H", rec, 30, m + len(extra))
        rec[46 + n + m:46 + n + m] = extra
    out += rec
    pos += 46 + n + m + k
data[cd_start:cd_start + cd_size] = out
struct.pack_into("<I", data, eocd - len(cd) + len(out) + 12, len(out))
with open("Field-zip64.ipa", "wb") as f:
    f.write(data)
# zip64 records on small entries (python's force_zip64): otadoctor does not report these
def forced(z):
    z.writestr(info("Payload/Field.app/Info.plist", 0o100644), PLIST)
    with z.open(info("Payload/Field.app/Field", 0o100755), "w", force_zip64=True) as f:
        f.write(EXE)
build("Field-forced-zip64.ipa", forced)
# IPA005: LZMA (7-Zip's "LZMA" method), and BZip2
build("Field-lzma.ipa", lambda z: app(z, method=zipfile.ZIP_LZMA))
build("Field-bzip2.ipa", lambda z: app(z, method=zipfile.ZIP_BZIP2))
# IPA005: a password (Info-ZIP's zip -P, traditional PKWARE encryption)
if shutil.which("zip"):
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(f"{tmp}/Payload/Field.app")
        with open(f"{tmp}/Payload/Field.app/Info.plist", "wb") as f:
            f.write(PLIST)
        with open(f"{tmp}/Payload/Field.app/Field", "wb") as f:
            f.write(EXE)
        os.chmod(f"{tmp}/Payload/Field.app/Field", 0o755)
        if os.path.exists("Field-encrypted.ipa"):
            os.remove("Field-encrypted.ipa")
        subprocess.run(["zip", "-qry", "-P", "secret", os.path.abspath("Field-encrypted.ipa"), "Payload"], cwd=tmp, check=True)
# IPA006: made on Windows (FAT attributes only: the archive bit); no attributes at all;
# executable without +x
build("Field-windows.ipa", lambda z: app(z, unix=False))
def no_modes(z):
    app(z, unix=False)
    for zi in z.infolist():
        zi.external_attr = 0  # zipfile sets 0o600 << 16 when it is 0; clear it before close
build("Field-no-modes.ipa", no_modes)
build("Field-not-executable.ipa", lambda z: app(z, exe_mode=0o100644))
# IPA007: Finder junk outside and inside the app
def junk_outside(z):
    app(z)
    z.writestr(info("__MACOSX/Payload/Field.app/._Info.plist", 0o100644), b"\x00\x05\x16\x07" + b"\x00" * 80)
    z.writestr(info("Payload/.DS_Store", 0o100644), b"\x00\x00\x00\x01Bud1" + b"\x00" * 60)
build("Field-junk.ipa", junk_outside)
build("Field-junk-in-app.ipa", lambda z: app(z, extra=[(".DS_Store", b"\x00\x00\x00\x01Bud1" + b"\x00" * 60)]))
build("Field-thumbs-in-app.ipa", lambda z: app(z, extra=[("Thumbs.db", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 56)]))

# APP001: no Info.plist in the app; an Info.plist edited by hand after the build (a raw "&")
build("Field-no-info-plist.ipa", lambda z: app(z, info_plist=None))
build("Field-broken-plist.ipa", lambda z: app(z, info_plist=plist(CFBundleName="Field & Co")))
# APP002: no CFBundleVersion; CFBundleExecutable names a file the app does not have
build("Field-no-version.ipa", lambda z: app(z, info_plist=plist(CFBundleVersion=None)))
build("Field-exe-missing.ipa", lambda z: app(z, info_plist=plist(CFBundleExecutable="FieldApp")))
# APP005: built for the Simulator
build("Field-simulator.ipa", lambda z: app(z, info_plist=plist(
    CFBundleSupportedPlatforms=["iPhoneSimulator"], DTPlatformName="iphonesimulator")))
# APP006: the tvOS target's build
build("Field-tvos.ipa", lambda z: app(z, info_plist=plist(
    CFBundleSupportedPlatforms=["AppleTVOS"], DTPlatformName="appletvos")))
# APP007: a share extension whose id is not under the app's, and one whose id is
SHARE = plist(CFBundleIdentifier="com.acme.share", CFBundleExecutable="Share", CFBundleName="Share",
              CFBundleShortVersionString=None, MinimumOSVersion=None, UIDeviceFamily=None)
build("Field-bad-extension-id.ipa", lambda z: app(z, bundles=[("PlugIns/Share.appex", SHARE, "Share")]))
build("Field-extension.ipa", lambda z: app(z, bundles=[
    ("PlugIns/Share.appex", plist(SHARE, CFBundleIdentifier="com.acme.field.share"), "Share")]))
# APP004: an iPad-only build (UIDeviceFamily [2]; plist() writes arrays of strings, so edit PLIST)
build("Field-ipad-only.ipa", lambda z: app(z, info_plist=PLIST.replace(
    b"<integer>1</integer><integer>2</integer>", b"<integer>2</integer>")))

# APP008: an App Store download re-hosted (LC_ENCRYPTION_INFO_64 cryptid 1)
build("Field-fairplay.ipa", lambda z: app(z, exe_bytes=macho(cryptid=1)))
build("Field-cryptid-0.ipa", lambda z: app(z, exe_bytes=macho(cryptid=0)))
# APP009: a 32-bit armv7-only executable
build("Field-armv7.ipa", lambda z: app(z, exe_bytes=macho(cpu="armv7")))
# SIG016: a bundle with its seal (a CodeResources) whose executable has no LC_CODE_SIGNATURE,
# one whose signature has no CodeDirectory, and one with the signature's shape
SEAL = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict><key>files</key><dict/><key>files2</key><dict/></dict>
</plist>
"""
build("Field-unsigned-executable.ipa", lambda z: app(z, extra=[("_CodeSignature/CodeResources", SEAL)]))
build("Field-no-code-directory.ipa", lambda z: app(z, extra=[("_CodeSignature/CodeResources", SEAL)],
                                                   exe_bytes=macho(signature=superblob(code_directory=False))))
build("Field-signed-executable.ipa", lambda z: app(z, extra=[("_CodeSignature/CodeResources", SEAL)],
                                                  exe_bytes=macho(signature=superblob())))
