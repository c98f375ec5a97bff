import CoreImage

let installLink = "itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist"

// The poster's QR code: Core Image encodes the message as is.
func qrImage() -> CIImage? {
    let filter = CIFilter(name: "CIQRCodeGenerator")
    filter?.setValue(installLink.data(using: .ascii), forKey: "inputMessage")
    return filter?.outputImage
}
