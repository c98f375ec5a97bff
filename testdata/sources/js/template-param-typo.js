// The template's fixed part names the parameter "uri": no value can make it "url".
export function installLink(manifest) {
  return `itms-services://?action=download-manifest&uri=${encodeURIComponent(manifest)}`;
}
