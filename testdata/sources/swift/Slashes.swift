import UIKit

func install() {
    let url = URL(string: "itms-services:?action=download-manifest&url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist")!
    UIApplication.shared.open(url)
}
