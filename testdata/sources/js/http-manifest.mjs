// The staging host still serves the manifest over http.
export function installUrl(host) {
  return `itms-services://?action=download-manifest&url=http://${host}/field/manifest.plist`;
}
