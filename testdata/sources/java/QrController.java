package io.acme.ota;

import com.google.zxing.BarcodeFormat;
import com.google.zxing.qrcode.QRCodeWriter;

public class QrController {
    // the poster in the lab: a QR code holds the link as text
    public Object poster() throws Exception {
        return new QRCodeWriter().encode("itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist", BarcodeFormat.QR_CODE, 300, 300);
    }
}
