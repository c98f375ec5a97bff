/* The install button sends the phone straight to the link. */
const manifest = 'https://ota.acme-apps.io/field/manifest.plist';

document.getElementById('install').addEventListener('click', () => {
  window.location.href =
    'itms-services://?action=download-manifest&url=' + encodeURIComponent(manifest);
});
