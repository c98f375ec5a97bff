import qrcode

# The QR code on the lab poster: qrcode encodes the text as is.
img = qrcode.make("itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist")
img.save("install.png")
