// Opened from the banner: the &amp; was copied from the HTML page.
function openInstall() {
  window.open("itms-services://?action=download-manifest&amp;url=https%3A%2F%2Fota.acme-apps.io%2Ffield%2Fmanifest.plist", "_self");
}
