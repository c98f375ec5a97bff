// Install link for the field build, shared with the download page module.
export const INSTALL_LINK =
  'itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist';
