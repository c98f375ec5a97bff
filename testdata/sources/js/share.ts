// A QR code for the install link, encoded once; the nested query stays encoded once too.
import QRCode from 'qrcode';

const manifestUrl = 'https://ota.acme-apps.io/field/manifest.plist?token=a%253Ab';
export async function qr(canvas: HTMLCanvasElement): Promise<void> {
  await QRCode.toCanvas(canvas, `itms-services://?action=download-manifest&url=${encodeURIComponent(manifestUrl)}`);
}
