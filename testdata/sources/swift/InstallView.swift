import UIKit

final class InstallViewController: UIViewController {
    var manifestURL = "https://ota.acme-apps.io/field/manifest.plist"

    @IBAction func install(_ sender: Any) {
        let encoded = manifestURL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        guard let url = URL(string: "itms-services://?action=download-manifest&url=\(encoded)") else { return }
        UIApplication.shared.open(url)
    }
}
